/**
 * The ROI tool's keys on the page (never while typing in a field, lib/keys.ts): D opens / closes the
 * tool, Space toggles drawing, V hides / restores every ROI, Esc clears the drawing target (the viewer's
 * Esc closes its boxes as well), Ctrl+Z / Ctrl+Shift+Z (Ctrl+Y) undo / redo on the current ROI.
 */
import { useEffect, useRef } from "react";
import { isTyping } from "../../lib/keys";
import type { RoiTool } from "./tool";

export function useRoiKeys(tool: RoiTool, toggleWindow: () => void) {
  const toggle = useRef(toggleWindow);
  toggle.current = toggleWindow;
  useEffect(() => {
    const ws = tool.ws;
    function onKey(e: KeyboardEvent) {
      if (e.defaultPrevented || isTyping(e.target)) return;
      const key = e.key.toLowerCase();
      const ctrl = e.ctrlKey || e.metaKey;
      if (ctrl && !e.altKey && (key === "z" || key === "y")) {
        if (ws.current === null) return;
        if (key === "y" || e.shiftKey) ws.redo();
        else ws.undo();
      } else if (ctrl || e.altKey) {
        return;
      } else if (e.key === " ") {
        if (ws.current === null) return;
        // a focused button would take the Space too
        if (e.target instanceof HTMLElement && e.target.tagName === "BUTTON") e.target.blur();
        ws.toggleDrawing();
      } else if (key === "v" && !e.shiftKey) {
        if (ws.rois.length === 0) return;
        ws.toggleHideAll();
      } else if (key === "d" && !e.shiftKey) {
        toggle.current();
      } else if (e.key === "Escape") {
        ws.clearTarget();
        return; // the viewer and the windows close their boxes on the same key
      } else {
        return;
      }
      e.preventDefault();
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [tool]);
}
