/**
 * The marker sets in the viewer: drawn on a 2D canvas over each viewport after every niivue frame (a
 * marker shows in a 2D tile when it lies within half a slice thickness of the tile's slice; a freeline's
 * waypoints are joined), as meshes in every 3D viewport, and the mouse: with the pen on, a left click in a
 * 2D viewport (Shift + left click on the rendered surface in 3D) adds a point to the current set and
 * moves the crosshair there; Shift + right click deletes the point under the pointer; Shift + wheel in 3D
 * changes the current set's marker size. Listeners sit on the viewport element in the capture phase, so
 * they run before the viewer's own gestures and niivue.
 */
import { NVMesh, type Niivue } from "@niivue/niivue";
import type { ViewerEngine } from "../../viewer/engine";
import { viewportCount } from "../../viewer/model";
import { surfacePoint } from "../../viewer/pick";
import { depthAxis, inSlice, markerMesh, nearest, onTile, rgb, type Tile, type Vec3 } from "./geometry";
import type { MarkerWorkspace, OpenSet } from "./workspace";

/** The smallest drawn marker radius (CSS pixels), so a 1 mm marker stays visible at any zoom. */
const MIN_RADIUS_PX = 3;
/** How near (CSS pixels) a Shift + right click must be to delete a point. */
const HIT_PX = 10;

interface Drawn {
  x: number;
  y: number;
  set: number;
  index: number;
}

function vec(v: ArrayLike<number>): Vec3 {
  return [Number(v[0]), Number(v[1]), Number(v[2])];
}

/** Slice thickness (mm) along world axis `axis` of the viewport's background (1 mm without one). */
function thickness(nv: Niivue, axis: 0 | 1 | 2): number {
  const pix = nv.volumes[0]?.pixDimsRAS ?? nv.volumes[0]?.hdr?.pixDims;
  const t = Math.abs(Number(pix?.[axis + 1] ?? 1));
  return Number.isFinite(t) && t > 0 ? t : 1;
}

export class MarkerView {
  /** what each viewport drew last (canvas pixels), for hit tests and the browser tests */
  readonly drawn: Drawn[][] = [];
  private overlays: (HTMLCanvasElement | null)[] = [];
  private meshes = new Map<number, NVMesh[]>();
  /** what each 3D viewport's meshes show (points, sizes, colours): rebuilt only when it changes */
  private meshKey: (string | null)[] = [];
  private wrapped = new Set<number>();

  constructor(
    private readonly engine: ViewerEngine,
    private readonly ws: MarkerWorkspace,
  ) {
    engine.subscribe(() => this.sync());
    ws.subscribe(() => this.redraw());
    this.sync();
  }

  /** The shown patient's visible sets. */
  private sets(): OpenSet[] {
    return this.ws.shown().filter((s) => s.visible && s.doc.points.length > 0);
  }

  /** Hook every attached viewport (once), and place the 3D meshes where the slicing is 3D. */
  private sync() {
    const n = viewportCount(this.engine.layout);
    this.engine.viewports.forEach((vp, i) => {
      if (vp.canvas && !this.wrapped.has(i)) this.hook(i);
      const render = i < n && vp.slice === "render" && vp.canvas !== null;
      if (!render && this.meshes.has(i)) this.clearMeshes(i);
      if (render && this.meshKey[i] !== this.geometryKey()) {
        this.placeMeshes(i);
        vp.nv.drawScene();
      }
    });
  }

  /** What the 3D meshes depend on (not names, selection or the pen). */
  private geometryKey(): string {
    return JSON.stringify(this.sets().map((s) => [s.doc.type, s.doc.color, s.doc.size, s.doc.points.map((p) => [p.x, p.y, p.z])]));
  }

  /**
   * The workspace changed: the 2D overlays are drawn again (niivue's frame stays as it is) and the 3D
   * viewports' meshes rebuilt when their geometry changed; a 3D frame is expensive with software WebGL.
   */
  private redraw() {
    this.sync();
    this.engine.viewports.forEach((vp, i) => {
      if (vp.canvas && vp.slice !== "render") this.drawOverlay(i);
    });
  }

  private hook(i: number) {
    const vp = this.engine.viewports[i]!;
    const canvas = vp.canvas!;
    const host = canvas.parentElement;
    if (!host) return;
    this.wrapped.add(i);
    const overlay = document.createElement("canvas");
    overlay.className = "marker-overlay";
    overlay.dataset.testid = `marker-overlay-${i}`;
    host.appendChild(overlay);
    this.overlays[i] = overlay;
    // after each niivue frame (pan, zoom, slice, resize ...) the markers follow
    const draw = vp.nv.drawScene.bind(vp.nv);
    vp.nv.drawScene = () => {
      const out = draw();
      this.drawOverlay(i);
      return out;
    };
    host.addEventListener("mousedown", (e) => this.mouseDown(i, e), { capture: true });
    host.addEventListener("wheel", (e) => this.wheel(i, e), { capture: true, passive: false });
  }

  // ------------------------------------------------------------------ 2D

  private drawOverlay(i: number) {
    const vp = this.engine.viewports[i];
    const overlay = this.overlays[i];
    const canvas = vp?.canvas;
    if (!vp || !overlay || !canvas) return;
    overlay.style.left = `${canvas.offsetLeft}px`;
    overlay.style.top = `${canvas.offsetTop}px`;
    overlay.style.width = `${canvas.clientWidth}px`;
    overlay.style.height = `${canvas.clientHeight}px`;
    if (overlay.width !== canvas.width) overlay.width = canvas.width;
    if (overlay.height !== canvas.height) overlay.height = canvas.height;
    const ctx = overlay.getContext("2d");
    if (!ctx) return;
    ctx.clearRect(0, 0, overlay.width, overlay.height);
    const drawn: Drawn[] = [];
    this.drawn[i] = drawn;
    const nv = vp.nv;
    if (vp.slice === "render" || nv.volumes.length === 0) return;
    const dpr = nv.uiData.dpr ?? 1;
    const tiles = (nv.screenSlices as unknown as Tile[]).filter((t) => t.axCorSag >= 0 && t.axCorSag <= 2);
    const current = this.ws.currentSet();
    for (const set of this.sets()) {
      const [r, g, b] = rgb(set.doc.color);
      // world RAS -> the space niivue draws its slices in (the same for unrotated images)
      const inSpace = set.doc.points.map((p) => vec(nv.frac2mm(nv.mm2frac([p.x, p.y, p.z], 0, true))));
      for (const tile of tiles) {
        const t = thickness(nv, depthAxis(tile.axCorSag));
        const placed = inSpace.map((mm) => onTile(tile, mm));
        const shown = placed.map((p) => p !== null && inSlice(p.depth, t));
        ctx.strokeStyle = `rgb(${r},${g},${b})`;
        ctx.fillStyle = `rgba(${r},${g},${b},0.85)`;
        ctx.lineWidth = 1.5 * dpr;
        if (set.doc.type === "freeline") {
          ctx.beginPath();
          for (let k = 1; k < placed.length; k++) {
            const [a, c] = [placed[k - 1], placed[k]];
            if (a && c && shown[k - 1] && shown[k]) {
              ctx.moveTo(a.x, a.y);
              ctx.lineTo(c.x, c.y);
            }
          }
          ctx.stroke();
        }
        ctx.font = `${12 * dpr}px sans-serif`;
        placed.forEach((p, k) => {
          if (!p || !shown[k]) return;
          const radius = Math.max(MIN_RADIUS_PX * dpr, (set.doc.size / 2) * p.scale);
          ctx.beginPath();
          ctx.arc(p.x, p.y, radius, 0, 2 * Math.PI);
          ctx.fill();
          if (current?.id === set.id && this.ws.selected === k) {
            ctx.strokeStyle = "#ffffff";
            ctx.lineWidth = 2 * dpr;
            ctx.beginPath();
            ctx.arc(p.x, p.y, radius + 3 * dpr, 0, 2 * Math.PI);
            ctx.stroke();
            ctx.strokeStyle = `rgb(${r},${g},${b})`;
          }
          const name = set.doc.points[k]?.name ?? "";
          if (name) ctx.fillText(name, p.x + radius + 3 * dpr, p.y - radius);
          drawn.push({ x: p.x, y: p.y, set: set.id, index: k });
        });
      }
    }
  }

  // ------------------------------------------------------------------ 3D

  private clearMeshes(i: number) {
    const nv = this.engine.viewports[i]!.nv;
    for (const m of this.meshes.get(i) ?? []) nv.removeMesh(m);
    this.meshes.delete(i);
    this.meshKey[i] = null;
  }

  private placeMeshes(i: number) {
    const nv = this.engine.viewports[i]!.nv;
    const gl = nv.gl;
    for (const m of this.meshes.get(i) ?? []) nv.removeMesh(m);
    const made: NVMesh[] = [];
    if (gl) {
      for (const set of this.sets()) {
        const mesh = markerMesh(set.doc.points.map((p) => [p.x, p.y, p.z] as Vec3), set.doc.size, set.doc.type === "freeline");
        const [r, g, b] = rgb(set.doc.color);
        const nvm = new NVMesh(new Float32Array(mesh.pts), new Uint32Array(mesh.tris), `markers:${set.doc.name}`, new Uint8Array([r, g, b, 255]), 1, true, gl);
        nv.addMesh(nvm);
        made.push(nvm);
      }
    }
    this.meshes.set(i, made);
    this.meshKey[i] = this.geometryKey();
  }

  /** Marker meshes in viewport `i` (browser tests). */
  meshCount(i: number): number {
    return this.meshes.get(i)?.length ?? 0;
  }

  // ------------------------------------------------------------------ mouse

  private editable(): OpenSet | null {
    return this.ws.pen ? this.ws.currentSet() : null;
  }

  private xy(i: number, e: MouseEvent): [number, number] {
    const vp = this.engine.viewports[i]!;
    const rect = vp.canvas!.getBoundingClientRect();
    const dpr = vp.nv.uiData.dpr ?? window.devicePixelRatio ?? 1;
    return [(e.clientX - rect.left) * dpr, (e.clientY - rect.top) * dpr];
  }

  private mouseDown(i: number, e: MouseEvent) {
    const vp = this.engine.viewports[i];
    if (!vp || e.target !== vp.canvas || e.ctrlKey || e.metaKey || e.altKey) return;
    const set = this.editable();
    if (!set || vp.nv.volumes.length === 0) return;
    const [x, y] = this.xy(i, e);
    const render = vp.slice === "render";
    let done = false;
    if (e.button === 2 && e.shiftKey && !render) {
      const dpr = vp.nv.uiData.dpr ?? 1;
      const hit = nearest((this.drawn[i] ?? []).filter((d) => d.set === set.id).map((d) => ({ x: d.x, y: d.y, index: d.index })), x, y, HIT_PX * dpr);
      if (hit !== null) this.ws.deletePoint(set.id, hit);
      done = true;
    } else if (e.button === 0 && !render && !e.shiftKey) {
      const frac = vp.nv.canvasPos2frac([x, y]);
      if (frac[0]! >= 0) {
        const mm = vec(vp.nv.frac2mm(frac, 0, true));
        this.ws.addPoint(mm);
        this.engine.setCrosshairMM(mm);
      }
      done = true;
    } else if (e.button === 0 && render && e.shiftKey) {
      const mm = surfacePoint(vp.nv, x, y);
      if (mm) {
        this.ws.addPoint(mm);
        this.engine.setCrosshairMM(mm);
      } else this.engine.message("Markers: Shift + click on the rendered image to add a point in 3D", "info");
      done = true;
    }
    if (done) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }

  private wheel(i: number, e: WheelEvent) {
    const vp = this.engine.viewports[i];
    const set = this.editable();
    if (!vp || !set || !e.shiftKey || vp.slice !== "render") return;
    e.preventDefault();
    e.stopImmediatePropagation();
    const up = (e.deltaY || e.deltaX) < 0;
    this.ws.setSize(set.id, set.doc.size + (up ? 0.5 : -0.5));
  }
}
