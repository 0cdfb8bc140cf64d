/**
 * NORA's viewer keys on the page (not while typing in a field): colour-limit presets 0-8, slice steps
 * X / Y / Z and their size with Shift, S settings, R reset crosshair, C centre (Shift+C reset zoom),
 * Escape closes boxes and the pin, ↑ / ↓ the previous / next case. Shift held is told to the engine
 * (per-viewport viewbar changes).
 */
import { useEffect, useRef } from "react";
import { isTyping } from "../lib/keys";
import type { ViewerEngine } from "./engine";

export interface KeyActions {
  toggleSettings(): void;
  /** Escape: close the settings and the link box. */
  closeBoxes(): void;
  stepCase(delta: number): void;
}

export function useViewerKeys(engine: ViewerEngine, actions: KeyActions) {
  const current = useRef(actions);
  current.current = actions;
  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (e.key === "Shift") engine.shift = e.type === "keydown";
      if (e.type !== "keydown" || e.defaultPrevented || isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      const key = e.key.toLowerCase();
      const index = engine.active;
      const act = current.current;
      if (/^[0-8]$/.test(e.key)) engine.applyLimPreset(e.key);
      else if (key === "x" && e.shiftKey) engine.setScrollSpeed(engine.scrollSpeed + 1);
      else if (key === "y" && e.shiftKey) engine.setScrollSpeed(engine.scrollSpeed - 1);
      else if (key === "x") engine.step(index, 1);
      else if (key === "y" || key === "z") engine.step(index, -1);
      else if (key === "s") act.toggleSettings();
      else if (key === "r") engine.resetCrosshair();
      else if (key === "c" && e.shiftKey) engine.resetView(index);
      else if (key === "c") engine.centre(index);
      else if (e.key === "Escape") {
        act.closeBoxes();
        engine.closePin();
      } else if (e.key === "ArrowDown") act.stepCase(1);
      else if (e.key === "ArrowUp") act.stepCase(-1);
      else return;
      e.preventDefault();
    }
    window.addEventListener("keydown", onKey);
    window.addEventListener("keyup", onKey);
    return () => {
      window.removeEventListener("keydown", onKey);
      window.removeEventListener("keyup", onKey);
    };
  }, [engine]);
}
