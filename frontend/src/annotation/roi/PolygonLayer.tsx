/**
 * The polygon pen's outline over its viewport: an SVG on top of the canvas (pointer events pass through
 * to the canvas), its points where niivue draws those world positions now (after zoom or pan too).
 */
import { useSyncExternalStore } from "react";
import { screenOf } from "./drawing";
import type { RoiTool } from "./tool";

export function PolygonLayer(props: { tool: RoiTool }) {
  const { tool } = props;
  useSyncExternalStore(tool.ws.subscribe, tool.ws.getVersion);
  useSyncExternalStore(tool.engine.subscribe, tool.engine.snapshot);
  const draft = tool.ws.polygon;
  const vp = draft ? tool.engine.viewports[draft.viewport] : undefined;
  if (!draft || !vp?.canvas || draft.points.length === 0) return null;
  const rect = vp.canvas.getBoundingClientRect();
  const dpr = vp.nv.uiData.dpr ?? 1;
  const pts = draft.points.map((p) => screenOf(vp.nv, draft.tile, p)).filter((s): s is [number, number] => s !== null).map(([x, y]) => [x / dpr, y / dpr]);
  const colour = tool.ws.byId(draft.roiId)?.colour ?? "#ffcc00";
  return (
    <svg className="roi-polygon" data-testid="roi-polygon" data-points={draft.points.length}
      style={{ position: "fixed", left: rect.left, top: rect.top, width: rect.width, height: rect.height, pointerEvents: "none", zIndex: 5 }}>
      <polygon points={pts.map((p) => p.join(",")).join(" ")} fill="none" stroke={colour} strokeWidth={1.5} strokeDasharray="4 3" />
      {pts.map(([x, y], i) => <circle key={i} cx={x} cy={y} r={3.5} fill={colour} stroke="#000" strokeWidth={0.8} />)}
    </svg>
  );
}
