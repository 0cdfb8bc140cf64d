/**
 * The assistant's drawing in progress over its viewport (a scribble, a box, a lasso, or the points
 * collected while Q is held): an SVG on top of the canvas, pointer events passing through, in the colour
 * of the sign (green: part of the structure, red: not).
 */
import { useSyncExternalStore } from "react";
import type { Vec3 } from "../grid";
import { screenOf } from "../roi/drawing";
import type { RoiTool } from "../roi/tool";
import type { Draft } from "./controller";

const NORMAL = { axial: 2, coronal: 1, sagittal: 0 } as const;

/** The four world corners of a box drawn from corner `a` to corner `b` on its plane. */
function boxCorners(d: Draft): Vec3[] {
  const [a, b] = d.points as [Vec3, Vec3];
  const n = NORMAL[d.plane];
  const [u, v] = [0, 1, 2].filter((x) => x !== n) as [number, number];
  const at = (pu: Vec3, pv: Vec3): Vec3 => {
    const p: Vec3 = [a[0], a[1], a[2]];
    p[u] = pu[u]!;
    p[v] = pv[v]!;
    return p;
  };
  return [a, at(b, a), b, at(a, b)];
}

export function AssistantLayer(props: { tool: RoiTool }) {
  const ctl = props.tool.assistant;
  useSyncExternalStore(ctl.subscribe, ctl.getVersion);
  useSyncExternalStore(props.tool.engine.subscribe, props.tool.engine.snapshot);
  const d = ctl.draft;
  const vp = d ? props.tool.engine.viewports[d.viewport] : undefined;
  if (!d || !vp?.canvas || d.points.length === 0) return null;
  const rect = vp.canvas.getBoundingClientRect();
  const dpr = vp.nv.uiData.dpr ?? 1;
  const world = d.kind === "box" && d.points.length === 2 ? boxCorners(d) : d.points;
  const pts = world.map((p) => screenOf(vp.nv, d.tile, p)).filter((s): s is [number, number] => s !== null).map(([x, y]) => [x / dpr, y / dpr] as const);
  const colour = (positive: boolean | undefined) => (positive === false ? "#ff453a" : "#30d158");
  const line = pts.map((p) => p.join(",")).join(" ");
  return (
    <svg className="assistant-draft" data-testid="assistant-draft" data-kind={d.kind} data-points={d.points.length}
      style={{ position: "fixed", left: rect.left, top: rect.top, width: rect.width, height: rect.height, pointerEvents: "none", zIndex: 5 }}>
      {d.kind === "point"
        ? pts.map(([x, y], i) => <circle key={i} cx={x} cy={y} r={4} fill={colour(d.positive[i])} stroke="#000" strokeWidth={0.8} />)
        : d.kind === "scribble"
          ? <polyline points={line} fill="none" stroke={colour(d.positive[0])} strokeWidth={2} />
          : <polygon points={line} fill="none" stroke={colour(d.positive[0])} strokeWidth={1.5} strokeDasharray="4 3" />}
    </svg>
  );
}
