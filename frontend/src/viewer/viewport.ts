/**
 * One viewport of the viewer: its niivue instance, canvas, slicing and the objects it shows (entries),
 * with the operations that touch that viewport alone. Depends on niivue and model.ts only.
 */
import { NVImage, NVMesh, Niivue, SLICE_TYPE } from "@niivue/niivue";
import { MOSAIC_COLUMNS, mosaicRows, mosaicString, type Look, type Role, type SliceName } from "./model";

export interface Entry {
  key: string;
  role: Role;
  override: Partial<Look>;
  vol: NVImage | null;
  mesh: NVMesh | null;
}

const SLICE_TYPES: Record<SliceName, SLICE_TYPE> = {
  axial: SLICE_TYPE.AXIAL,
  coronal: SLICE_TYPE.CORONAL,
  sagittal: SLICE_TYPE.SAGITTAL,
  render: SLICE_TYPE.RENDER,
  multiplanar: SLICE_TYPE.MULTIPLANAR,
  mosaic: SLICE_TYPE.AXIAL,
};
/** The voxel axis a slicing steps through (X/Y/Z keys, wheel). */
export const AXIS: Partial<Record<SliceName, 0 | 1 | 2>> = { sagittal: 0, coronal: 1, axial: 2, mosaic: 2 };
/** Slicings whose view niivue pans and zooms (mosaic tiles and the 3D render ignore pan2Dxyzmm). */
export const PANNABLE: SliceName[] = ["axial", "coronal", "sagittal", "multiplanar"];
/** The smallest size of niivue's text (orientation labels), in CSS pixels. */
export const ORIENTATION_TEXT_PX = 18;

export class Viewport {
  nv: Niivue;
  canvas: HTMLCanvasElement | null = null;
  slice: SliceName;
  entries: Entry[] = [];
  ready: Promise<void> | null = null;
  mosaicColumns = MOSAIC_COLUMNS.initial;
  /** Volumes another tool keeps on top of the entries (the ROI tool's masks): not objects of the viewbar. */
  slots: NVImage[] = [];
  /** Whether a slot asks for outlines (niivue's outline width is one for all overlays). */
  slotOutline = false;

  constructor(slice: SliceName) {
    this.slice = slice;
    this.nv = new Niivue({
      backColor: [0.07, 0.07, 0.08, 1],
      crosshairColor: [0.2, 0.9, 0.3, 1],
      crosshairWidthUnit: "mm",
      crosshairWidth: 1,
      show3Dcrosshair: true,
      isOrientationTextVisible: true,
      dragAndDropEnabled: false,
      loadingText: "",
      isColorbar: false,
      multiplanarShowRender: 0,
    } as ConstructorParameters<typeof Niivue>[0]);
    // niivue draws the crosshair in mm: after a draw at a new scale, set the width that gives
    // CROSSHAIR_PX device pixels and draw once more.
    const draw = this.nv.drawScene.bind(this.nv);
    this.nv.drawScene = () => {
      const out = draw();
      return fitCrosshair(this.nv) ? draw() : out;
    };
    // orientation labels (and niivue's other text) readable at every size: niivue's default is 13 px
    this.nv.opts.fontMinPx = ORIENTATION_TEXT_PX;
  }
}

/** The crosshair's line width in device pixels at every zoom (at least one pixel, at most two). */
export const CROSSHAIR_PX = 1.5;

/** Device pixels per mm of the first 2D tile niivue drew (null when it drew none). */
export function pixelsPerMM(nv: Niivue): number | null {
  for (const tile of nv.screenSlices) {
    const px = tile.leftTopWidthHeight[2] ?? 0;
    const mm = Math.abs(tile.fovMM?.[0] ?? 0); // negative in radiological convention
    if (tile.axCorSag <= SLICE_TYPE.SAGITTAL && px > 0 && mm > 0) return px / mm;
  }
  const back = nv.volumes[0];
  if (!back?.extentsMinOrtho || !back.extentsMaxOrtho || !nv.canvas) return null;
  const extent = Math.max(...[0, 1, 2].map((i) => back.extentsMaxOrtho![i]! - back.extentsMinOrtho![i]!));
  const side = Math.min(nv.canvas.width, nv.canvas.height);
  return extent > 0 && side > 0 ? side / extent : null; // the 3D render: the volume fills the canvas
}

/** Set the crosshair width for the scale niivue drew at; true when it changed (a redraw is due). */
function fitCrosshair(nv: Niivue): boolean {
  const perMM = pixelsPerMM(nv);
  if (perMM === null) return false;
  const wanted = CROSSHAIR_PX / perMM;
  if (Math.abs(wanted - nv.opts.crosshairWidth) <= 0.05 * wanted) return false;
  nv.opts.crosshairWidth = wanted;
  if (nv.crosshairs3D?.mm) nv.crosshairs3D.mm[0] = Number.NaN; // niivue rebuilds its lines only when they moved
  return true;
}

/** Give niivue the viewport's slicing (and, in mosaic, tiles fitting the canvas); nothing before a canvas. */
export function applySlice(vp: Viewport) {
  if (!vp.canvas) return;
  const nv = vp.nv;
  if (vp.slice === "mosaic") {
    const back = nv.volumes[0];
    const [lo, hi] = [back?.extentsMinOrtho ?? [-80, -110, -50], back?.extentsMaxOrtho ?? [80, 80, 80]];
    const tile = (hi[0]! - lo[0]!) / (hi[1]! - lo[1]! || 1);
    const aspect = vp.canvas.clientHeight > 0 ? vp.canvas.clientWidth / vp.canvas.clientHeight : 1;
    const rows = mosaicRows(vp.mosaicColumns, aspect, tile);
    nv.setSliceMosaicString(mosaicString(lo[2]!, hi[2]!, vp.mosaicColumns, rows));
  } else {
    nv.setSliceMosaicString("");
  }
  nv.setSliceType(SLICE_TYPES[vp.slice]);
}

/** Put the slots back on top of niivue's volumes after a volume was added above them. */
export function keepSlotsOnTop(vp: Viewport) {
  const nv = vp.nv;
  const slots = vp.slots.filter((s) => nv.volumes.includes(s));
  if (slots.length === 0 || nv.volumes.slice(-slots.length).every((v, i) => v === slots[i])) return;
  nv.volumes = [...nv.volumes.filter((v) => !slots.includes(v)), ...slots];
  nv.back = nv.volumes[0] ?? null;
  nv.overlays = nv.volumes.slice(1);
  nv.updateGLVolume();
}

/** Take one object out of the viewport: out of niivue and out of its entries. */
export function removeEntry(vp: Viewport, entry: Entry) {
  if (entry.vol) vp.nv.removeVolume(entry.vol);
  if (entry.mesh) vp.nv.removeMesh(entry.mesh);
  vp.entries = vp.entries.filter((e) => e !== entry);
}

/** Move entry `from` to the bottom of the viewport (niivue's volume 0, the background). */
export function reorderTo(vp: Viewport, from: number) {
  const e = vp.entries[from]!;
  vp.entries.splice(from, 1);
  vp.entries.unshift(e);
  if (e.vol) vp.nv.setVolume(e.vol, 0);
}

/** The first 4D volume of a viewport (the background before overlays). */
export function fourD(vp: Viewport): Entry | null {
  return vp.entries.find((e) => e.vol !== null && Number(e.vol.nFrame4D ?? 1) > 1) ?? null;
}
