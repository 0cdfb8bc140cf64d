/**
 * The assistant pen's mouse in a 2D viewport (the ROI tool's drawing hands it the presses while the
 * "Assistant" pen is chosen): the pointer's world position (RAS mm) in the tile pressed, and the plane of
 * that tile, so a point in the axial view and a box in the coronal one refine the same 3D result.
 * Point: a click (left positive, right negative); scribble and lasso: a drag; box: a drag from corner to
 * corner. The right button draws the opposite of the chosen sign.
 */
import type { ViewerEngine } from "../../viewer/engine";
import { canvasXY, type ToolDrag } from "../../viewer/gestures";
import type { Vec3 } from "../grid";
import type { AssistantController, Plane } from "./controller";

/** niivue's tile orientation (axCorSag 0, 1, 2) -> the assistant's plane */
const PLANE: Plane[] = ["axial", "coronal", "sagittal"];
/** device pixels between two recorded points of a scribble or lasso */
const SPACING = 3;

function worldAt(engine: ViewerEngine, index: number, e: MouseEvent, tile: number): { mm: Vec3; tile: number; plane: Plane } | null {
  const vp = engine.viewports[index];
  if (!vp?.canvas) return null;
  const nv = vp.nv;
  const [x, y] = canvasXY(nv, vp.canvas, e);
  const mm = nv.screenXY2mm(x, y, tile);
  const t = mm[3]!;
  if (![0, 1, 2].every((i) => Number.isFinite(mm[i]!)) || !Number.isFinite(t)) return null;
  const orient = nv.screenSlices[t]?.axCorSag ?? -1;
  const plane = PLANE[orient];
  return plane ? { mm: [mm[0]!, mm[1]!, mm[2]!], tile: t, plane } : null;
}

/** The drag of an assistant press in viewport `index` (null: not on a 2D tile of an image). */
export function assistantPress(engine: ViewerEngine, ctl: AssistantController, index: number, e: MouseEvent): ToolDrag | null {
  const at = worldAt(engine, index, e, -1);
  if (!at) return null;
  const where = { viewport: index, tile: at.tile, plane: at.plane };
  const none = { move: () => {}, end: () => {} };
  if (ctl.mode === "point") {
    ctl.point(at.mm, e.button === 0, where);
    return none;
  }
  const positive = e.button === 0 ? ctl.positive : !ctl.positive;
  const kind = ctl.mode;
  ctl.setDraft({ ...where, kind, points: kind === "box" ? [at.mm, at.mm] : [at.mm], positive: [positive] });
  let last = canvasXY(engine.viewports[index]!.nv, engine.viewports[index]!.canvas!, e);
  return {
    move: (m) => {
      const d = ctl.draft;
      const next = worldAt(engine, index, m, at.tile);
      if (!d || !next) return;
      if (kind === "box") return ctl.setDraft({ ...d, points: [d.points[0]!, next.mm] });
      const xy = canvasXY(engine.viewports[index]!.nv, engine.viewports[index]!.canvas!, m);
      if (Math.hypot(xy[0] - last[0], xy[1] - last[1]) < SPACING) return;
      last = xy;
      ctl.setDraft({ ...d, points: [...d.points, next.mm] });
    },
    end: () => ctl.finishDrawing(),
  };
}
