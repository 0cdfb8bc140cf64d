/**
 * The assistant's keys (never while typing in a field, lib/keys.ts), NORA's where they fit: W chooses
 * the assistant pen for the current ROI (NORA's remote segmentation key) or goes back to the plain pen;
 * N (NORA's "segment the current slice"): tapped, the next interaction changes the ROI on its own slice
 * only (tapped again: not); held while moving to another slice (X / Y, the wheel) and released, the next
 * interaction changes the slices between where it was pressed and released; Enter accepts (NORA's M
 * "memorize": here M is the marker tool's key; the result stays in the ROI, the session ends); Q held
 * collects the point mode's clicks and sends them together on release.
 */
import { useEffect } from "react";
import { isTyping } from "../../lib/keys";
import type { Vec3 } from "../grid";
import type { RoiTool } from "../roi/tool";

export function useAssistantKeys(tool: RoiTool) {
  useEffect(() => {
    const ctl = tool.assistant;
    const ws = tool.ws;
    let nFrom: Vec3 | null | undefined; // N is down: the crosshair then
    const crosshair = (): Vec3 | null => {
      const at = tool.engine.crosshairMM;
      return at ? [at[0], at[1], at[2]] : null;
    };
    function down(e: KeyboardEvent) {
      if (e.defaultPrevented || isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey || e.shiftKey) return;
      const key = e.key === "Enter" ? "enter" : e.key.toLowerCase();
      const on = ws.pen.kind === "assistant";
      if (key === "enter" && e.target instanceof HTMLElement && e.target.tagName === "BUTTON") return; // the button's own
      if (key === "w" && ws.current !== null) ws.setPen({ kind: on ? "paint" : "assistant" });
      else if (key === "enter" && on && ctl.roiId !== null) ctl.accept();
      else if (key === "q" && on) ctl.setCollecting(true);
      else if (key === "n" && on && ws.current !== null) {
        if (!e.repeat) nFrom = crosshair();
      } else return;
      e.preventDefault();
    }
    function up(e: KeyboardEvent) {
      const key = e.key.toLowerCase();
      if (key === "q") ctl.setCollecting(false);
      if (key === "n" && nFrom !== undefined) {
        const from = nFrom;
        const to = crosshair();
        nFrom = undefined;
        const moved = from !== null && to !== null && from.some((v, a) => Math.abs(v - to[a]!) > 1e-6);
        if (moved) ctl.armSlices(from, to);
        else ctl.armSlices();
      }
    }
    window.addEventListener("keydown", down);
    window.addEventListener("keyup", up);
    return () => {
      window.removeEventListener("keydown", down);
      window.removeEventListener("keyup", up);
    };
  }, [tool]);
}
