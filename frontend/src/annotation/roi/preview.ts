/**
 * The pen preview: while an ROI is the drawing target and the pointer hovers a 2D viewport (no button
 * held), the voxels a press of the thresholding or magic pens would take at the pointer are shown under
 * it, in the ROI's colour, on a canvas over that viewport (pointer events pass through). 3D region
 * growing shows the part of its region in the slice under the pointer (a press grows through the
 * volume). The same functions as the press choose the voxels (drawing.ts's penSelection / growSelection);
 * a frame computes at most one preview.
 */
import type { ViewerEngine } from "../../viewer/engine";
import { apply, type Vec3 } from "../grid";
import { growSelection, penSelection, type RoiDrawing, tileProjection } from "./drawing";
import type { PenKind, RoiWorkspace } from "./workspace";

/** The pens whose choice depends on the image under the pointer (the plain pen's disc is PenCursor's). */
export const PREVIEWED: readonly PenKind[] = ["higher", "lower", "higherGrow", "lowerGrow", "magic", "magicConnected", "grow3d"];

export class PenPreview {
  /** the voxel indices shown now (browser tests) */
  shown: number[] = [];
  private readonly canvas = document.createElement("canvas");
  private pointer: { index: number; e: MouseEvent } | null = null;
  private frame = 0;

  constructor(private readonly engine: ViewerEngine, private readonly ws: RoiWorkspace, private readonly drawing: RoiDrawing) {
    this.canvas.className = "roi-pen-preview";
    this.canvas.dataset.testid = "roi-pen-preview";
    document.body.appendChild(this.canvas);
    window.addEventListener("mousemove", (e) => this.moved(e), true);
    ws.subscribe(() => this.schedule());
  }

  private moved(e: MouseEvent): void {
    const index = e.buttons ? -1 : this.engine.viewports.findIndex((vp) => vp.canvas !== null && vp.canvas === e.target);
    const was = this.pointer;
    this.pointer = index >= 0 ? { index, e } : null;
    if (this.pointer || was) this.schedule();
  }

  private schedule(): void {
    if (this.frame === 0) this.frame = requestAnimationFrame(() => this.draw());
  }

  private draw(): void {
    this.frame = 0;
    const ctx = this.canvas.getContext("2d");
    const picked = this.pick();
    this.shown = picked?.voxels ?? [];
    this.canvas.dataset.count = String(this.shown.length);
    if (!ctx) return;
    if (!picked) {
      this.canvas.style.display = "none";
      return;
    }
    const { vp, roi, tile, voxels } = picked;
    const rect = vp.canvas!.getBoundingClientRect();
    Object.assign(this.canvas.style, { display: "block", left: `${rect.left}px`, top: `${rect.top}px`, width: `${rect.width}px`, height: `${rect.height}px` });
    if (this.canvas.width !== vp.canvas!.width) this.canvas.width = vp.canvas!.width;
    if (this.canvas.height !== vp.canvas!.height) this.canvas.height = vp.canvas!.height;
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    const project = tileProjection(vp.nv, tile);
    if (!project) return;
    const grid = roi.roi.grid;
    const [nx, ny] = grid.dims;
    const at = (i: number, j: number, k: number) => project(apply(grid.affine, [i, j, k] as Vec3));
    // one voxel's size on screen: the distance to its neighbours in the two in-plane axes
    const o = at(0, 0, 0);
    const steps = [at(1, 0, 0), at(0, 1, 0), at(0, 0, 1)].map((p) => Math.hypot(p[0] - o[0], p[1] - o[1])).filter((d) => d > 1e-6);
    const size = Math.max(1, Math.min(...steps));
    ctx.fillStyle = roi.colour;
    ctx.globalAlpha = 0.45;
    for (const v of voxels) {
      const i = v % nx, j = Math.floor(v / nx) % ny, k = Math.floor(v / (nx * ny));
      const [x, y] = at(i, j, k);
      ctx.fillRect(x - size / 2, y - size / 2, size, size);
    }
  }

  private pick() {
    const p = this.pointer;
    const roi = p ? this.ws.target(p.e.shiftKey) : null;
    const pen = this.ws.pen;
    if (!p || !roi || !PREVIEWED.includes(pen.kind) || p.e.altKey || p.e.ctrlKey || p.e.metaKey) return null;
    const vp = this.engine.viewports[p.index];
    if (!vp?.canvas || !this.drawing.drawsIn(p.index)) return null;
    const hit = this.drawing.hit(p.index, p.e, roi, -1);
    const back = hit ? this.drawing.background(p.index, roi) : null;
    if (!hit || !back) return null;
    const grid = roi.roi.grid;
    const voxels = pen.kind === "grow3d"
      ? growSelection(grid, hit.voxel, hit.fixed, pen.similarity, back)
      : penSelection(grid, { centre: hit.voxel, radius: pen.radius, fixed: hit.fixed }, pen, back);
    return { vp, roi, tile: hit.tile, voxels };
  }
}
