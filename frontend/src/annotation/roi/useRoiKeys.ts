/**
 * The ROI tool's keys on the page (never while typing in a field, lib/keys.ts): D opens / closes the
 * tool, Space toggles drawing, V hides / restores every ROI, Esc clears the drawing target (the viewer's
 * Esc closes its boxes as well), Ctrl+Z / Ctrl+Shift+Z (Ctrl+Y) undo / redo on the current ROI.
 * None of them does anything while the open reading has the ROI tool off (its `tools`: viewer/bus.ts).
 */
import { useEffect, useRef } from "react";
import { isTyping } from "../../lib/keys";
import type { RoiTool } from "./tool";

export type RoiKeyAction = "undo" | "redo" | "draw" | "hide" | "window" | "clear";

/** What the ROI tool's keys need to know of the key and of the tool. */
export interface RoiKeyEvent {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
}
export interface RoiKeyState {
  /** the ROI tool is offered (false while a reading's `tools` switch it off) */
  enabled: boolean;
  /** an ROI is the drawing target */
  current: boolean;
  /** some ROI is open */
  rois: boolean;
}

/** The ROI tool's action for a key press, or null where the key is not the ROI tool's now. */
export function roiKeyAction(e: RoiKeyEvent, state: RoiKeyState): RoiKeyAction | null {
  if (!state.enabled) return null;
  const key = e.key.toLowerCase();
  const ctrl = e.ctrlKey || e.metaKey;
  if (ctrl && !e.altKey && (key === "z" || key === "y")) {
    if (!state.current) return null;
    return key === "y" || e.shiftKey ? "redo" : "undo";
  }
  if (ctrl || e.altKey) return null;
  if (e.key === " ") return state.current ? "draw" : null;
  if (key === "v" && !e.shiftKey) return state.rois ? "hide" : null;
  if (key === "d" && !e.shiftKey) return "window";
  if (e.key === "Escape") return "clear";
  return null;
}

export function useRoiKeys(tool: RoiTool, toggleWindow: () => void, enabled: boolean) {
  const toggle = useRef(toggleWindow);
  toggle.current = toggleWindow;
  const on = useRef(enabled);
  on.current = enabled;
  useEffect(() => {
    const ws = tool.ws;
    function onKey(e: KeyboardEvent) {
      if (e.defaultPrevented || isTyping(e.target)) return;
      const action = roiKeyAction(e, { enabled: on.current, current: ws.current !== null, rois: ws.rois.length > 0 });
      if (action === null) return;
      if (action === "undo") ws.undo();
      else if (action === "redo") ws.redo();
      else if (action === "draw") {
        // a focused button would take the Space too
        if (e.target instanceof HTMLElement && e.target.tagName === "BUTTON") e.target.blur();
        ws.toggleDrawing();
      } else if (action === "hide") ws.toggleHideAll();
      else if (action === "window") toggle.current();
      else {
        ws.clearTarget();
        return; // the viewer and the windows close their boxes on the same key
      }
      e.preventDefault();
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [tool]);
}
