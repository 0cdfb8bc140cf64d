/**
 * NORA's modified mouse gestures on a 2D viewport, taken before niivue sees them: Shift + left drag pans
 * this viewport, Ctrl + left drag (and Shift + right drag) pans all 2D viewports together, Ctrl + Shift +
 * left click / drag on 4D data pins a time-series plot at the pointer, and the middle drag sets the
 * window (through the engine's one look change, so the viewbar and every viewport follow). The other
 * buttons stay niivue's (crosshair, pan). Listeners are registered in the capture phase on the canvas, so they run
 * before niivue's own, and while a gesture is under way its moves and release are kept from niivue.
 */
import type { Niivue } from "@niivue/niivue";

export type Gesture = "pan" | "panAll" | "pin" | "window";

/** What the engine does for the gestures (ViewerEngine implements it). */
export interface GestureTarget {
  /** Whether `gesture` applies in viewport `index` now (2D slicing, images loaded, 4D data for pins). */
  accepts(index: number, gesture: Gesture): boolean;
  /** Move the view by `delta` mm (world) from where it was when the drag began; all 2D viewports or one. */
  panFrom(index: number, start: PanStart, delta: [number, number, number]): void;
  panStart(index: number, all: boolean): PanStart;
  /** Pin the time series at canvas pixel (x, y) of viewport `index` (device pixels). */
  pinAt(index: number, x: number, y: number): void;
  /** The image a middle drag windows in viewport `index` and its limits now; null when there is none. */
  windowStart(index: number): WindowStart | null;
  /** Window from `start` after the pointer moved by `moved` (fractions of the canvas: right, up). */
  windowFrom(index: number, start: WindowStart, moved: [number, number]): void;
  /** The tool that takes presses first (null: none). */
  readonly tool: ViewportTool | null;
}

/**
 * A tool that takes the mouse in the 2D viewports before the viewer's own gestures (the ROI tool's
 * drawing): `press` answers a drag for a button press it takes, or null to leave it to the viewer;
 * `wheel` answers true for a wheel turn it took (Shift + wheel: pen size).
 */
export interface ViewportTool {
  press(index: number, e: MouseEvent): ToolDrag | null;
  wheel(index: number, e: WheelEvent): boolean;
}

export interface ToolDrag {
  move(e: MouseEvent): void;
  end(e: MouseEvent): void;
}

export interface WindowStart {
  key: string;
  limits: [number, number];
}

/** Each affected viewport's pan/zoom when the drag began. */
export type PanStart = Map<number, [number, number, number, number]>;

/** Which gesture a button press with these modifiers starts (null: niivue handles it). */
export function gestureOf(e: { button: number; shiftKey: boolean; ctrlKey: boolean; metaKey: boolean; altKey: boolean }): Gesture | null {
  const ctrl = e.ctrlKey || e.metaKey;
  if (e.button === 1 && !ctrl && !e.altKey) return "window"; // with Shift: this viewport only
  if (e.button === 2 && e.shiftKey && !ctrl && !e.altKey) return "panAll"; // NORA: synchronised pan
  if (e.button !== 0 || e.altKey) return null;
  if (ctrl && e.shiftKey) return "pin";
  if (ctrl) return "panAll";
  if (e.shiftKey) return "pan";
  return null;
}

/** Pointer position in the canvas's device pixels (what niivue's tile geometry uses). */
export function canvasXY(nv: Niivue, canvas: HTMLCanvasElement, e: MouseEvent): [number, number] {
  const rect = canvas.getBoundingClientRect();
  const dpr = nv.uiData.dpr ?? window.devicePixelRatio ?? 1;
  return [(e.clientX - rect.left) * dpr, (e.clientY - rect.top) * dpr];
}

function sub(a: ArrayLike<number>, b: ArrayLike<number>): [number, number, number] {
  return [a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!];
}

/**
 * World mm per device pixel along the screen's x and y at (x, y), from niivue's own screen mapping;
 * null outside a 2D tile.
 */
export function mmPerPixel(nv: Niivue, x: number, y: number): { ux: [number, number, number]; uy: [number, number, number] } | null {
  const at = nv.screenXY2mm(x, y);
  const tile = at[3]!;
  if (!Number.isFinite(at[0]!) || !Number.isFinite(tile)) return null;
  const unit = (dx: number, dy: number): [number, number, number] | null => {
    for (const s of [1, -1]) {
      const other = nv.screenXY2mm(x + s * dx, y + s * dy, tile);
      if (Number.isFinite(other[0]!)) return sub(other, at).map((v) => v * s) as [number, number, number];
    }
    return null;
  };
  const ux = unit(1, 0);
  const uy = unit(0, 1);
  return ux && uy ? { ux, uy } : null;
}

/** Install the gestures on viewport `index`'s canvas. */
export function attachGestures(target: GestureTarget, index: number, nv: Niivue, canvas: HTMLCanvasElement) {
  canvas.addEventListener(
    "mousedown",
    (down: MouseEvent) => {
      const drag = target.tool?.press(index, down) ?? null;
      const gesture = drag ? null : gestureOf(down);
      if (!drag && (gesture === null || !target.accepts(index, gesture))) return;
      const [x0, y0] = canvasXY(nv, canvas, down);
      let move: (e: MouseEvent) => void;
      let end: (e: MouseEvent) => void = () => {};
      if (drag) {
        move = (e) => drag.move(e);
        end = (e) => drag.end(e);
      } else if (gesture === "window") {
        const start = target.windowStart(index);
        if (start === null) return;
        const [w, h] = [Math.max(1, canvas.width), Math.max(1, canvas.height)];
        move = (e) => {
          const [x, y] = canvasXY(nv, canvas, e);
          target.windowFrom(index, start, [(x - x0) / w, (y0 - y) / h]);
        };
      } else if (gesture === "pin") {
        target.pinAt(index, x0, y0);
        move = (e) => target.pinAt(index, ...canvasXY(nv, canvas, e));
      } else {
        const scale = mmPerPixel(nv, x0, y0);
        if (scale === null) return;
        const start = target.panStart(index, gesture === "panAll");
        move = (e) => {
          const [x, y] = canvasXY(nv, canvas, e);
          const [dx, dy] = [x - x0, y - y0];
          const delta = [0, 1, 2].map((i) => dx * scale.ux[i]! + dy * scale.uy[i]!) as [number, number, number];
          target.panFrom(index, start, delta);
        };
      }
      down.preventDefault();
      down.stopImmediatePropagation();
      // Window capture listeners see the moves first and keep them from niivue until the button is released.
      const onMove = (e: MouseEvent) => {
        e.stopPropagation();
        e.preventDefault();
        move(e);
      };
      const onUp = (e: MouseEvent) => {
        e.stopPropagation();
        end(e);
        window.removeEventListener("mousemove", onMove, true);
        window.removeEventListener("mouseup", onUp, true);
      };
      window.addEventListener("mousemove", onMove, true);
      window.addEventListener("mouseup", onUp, true);
    },
    { capture: true },
  );
}
