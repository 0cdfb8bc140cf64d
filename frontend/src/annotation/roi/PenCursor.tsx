/**
 * The pen's footprint under the pointer while an ROI is the drawing target: a circle of the pen's radius
 * (in the ROI's voxels at the viewport's zoom) over the 2D viewport the pointer is in. Pointer events
 * pass through to the canvas.
 */
import { useEffect, useState, useSyncExternalStore } from "react";
import { pixelsPerMM } from "../../viewer/viewport";
import type { RoiTool } from "./tool";

const PLANES = ["axial", "coronal", "sagittal", "multiplanar", "mosaic"];

export function PenCursor(props: { tool: RoiTool }) {
  const { tool } = props;
  useSyncExternalStore(tool.ws.subscribe, tool.ws.getVersion);
  const [at, setAt] = useState<{ x: number; y: number; index: number; shift: boolean } | null>(null);
  useEffect(() => {
    function onMove(e: MouseEvent) {
      const el = e.target instanceof Element ? e.target.closest("canvas") : null;
      const index = tool.engine.viewports.findIndex((vp) => vp.canvas === el);
      setAt(index >= 0 ? { x: e.clientX, y: e.clientY, index, shift: e.shiftKey } : null);
    }
    window.addEventListener("mousemove", onMove, true);
    return () => window.removeEventListener("mousemove", onMove, true);
  }, [tool]);
  const roi = at ? tool.ws.target(at.shift) : null;
  const vp = at ? tool.engine.viewports[at.index] : undefined;
  const pen = tool.ws.pen;
  if (!at || !roi || !vp || !PLANES.includes(vp.slice) || ["polygon", "grow3d", "assistant"].includes(pen.kind)) return null;
  const perMM = pixelsPerMM(vp.nv);
  if (perMM === null) return null;
  const a = roi.roi.grid.affine;
  const spacing = Math.min(...[0, 1, 2].filter((c) => roi.roi.grid.dims[c]! > 1).map((c) => Math.hypot(a[c] ?? 0, a[4 + c] ?? 0, a[8 + c] ?? 0)));
  const dpr = vp.nv.uiData.dpr ?? 1;
  const r = Math.max(2, ((pen.radius + 0.5) * spacing * perMM) / dpr);
  return (
    <div className="roi-pen-cursor" data-testid="roi-pen-cursor" data-radius={pen.radius}
      style={{ position: "fixed", left: at.x - r, top: at.y - r, width: 2 * r, height: 2 * r, borderColor: roi.colour }} />
  );
}
