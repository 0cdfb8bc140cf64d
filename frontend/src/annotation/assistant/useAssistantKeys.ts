/**
 * The assistant's keys (never while typing in a field, lib/keys.ts), NORA's where they fit: W chooses
 * the assistant pen for the current ROI (NORA's remote segmentation key) or goes back to the plain pen,
 * Enter accepts (NORA's M "memorize": here M is the marker tool's key; the result stays in the ROI, the
 * session ends), Q held collects the point mode's clicks and sends them together on release.
 */
import { useEffect } from "react";
import { isTyping } from "../../lib/keys";
import type { RoiTool } from "../roi/tool";

export function useAssistantKeys(tool: RoiTool) {
  useEffect(() => {
    const ctl = tool.assistant;
    const ws = tool.ws;
    function down(e: KeyboardEvent) {
      if (e.defaultPrevented || isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey || e.shiftKey) return;
      const key = e.key === "Enter" ? "enter" : e.key.toLowerCase();
      const on = ws.pen.kind === "assistant";
      if (key === "enter" && e.target instanceof HTMLElement && e.target.tagName === "BUTTON") return; // the button's own
      if (key === "w" && ws.current !== null) ws.setPen({ kind: on ? "paint" : "assistant" });
      else if (key === "enter" && on && ctl.roiId !== null) ctl.accept();
      else if (key === "q" && on) ctl.setCollecting(true);
      else return;
      e.preventDefault();
    }
    function up(e: KeyboardEvent) {
      if (e.key.toLowerCase() === "q") ctl.setCollecting(false);
    }
    window.addEventListener("keydown", down);
    window.addEventListener("keyup", up);
    return () => {
      window.removeEventListener("keydown", down);
      window.removeEventListener("keyup", up);
    };
  }, [tool]);
}
