/**
 * Window presets that fit the image (keys 0-8, the toolbar's "Window" list): a project's own
 * `colorlimpresets` when it sets them, else CT windows for CT and percentile windows for MR, PET and
 * other images, and the percentile arithmetic. Pure functions, no niivue.
 */
import { DEFAULT_LIM_PRESETS, type LimPreset, type LimPresets } from "./model";

/** Which table a background image gets: CT windows, PET (and NM) percentiles, or MR percentiles. */
export type WindowKind = "CT" | "PET" | "MR";

function percentile(name: string, lo: number, hi: number): LimPreset {
  return { name, limits: null, percentiles: [lo, hi], label: `p${lo}–p${hi}` };
}

const AUTO: LimPreset = { name: "image range", limits: null, label: "auto" };

/** MR (and images of unknown modality that are not in HU): percentiles of the non-zero voxels. */
export const MR_PRESETS: LimPresets = {
  "0": AUTO,
  "1": percentile("standard", 1, 99),
  "2": percentile("narrow", 2, 98),
  "3": percentile("contrast", 5, 95),
  "4": percentile("wide", 0.5, 99.5),
  "5": percentile("full", 0, 100),
};

/** PET and NM: from zero up to a high percentile, and a hot-spot window. */
export const PET_PRESETS: LimPresets = {
  "0": AUTO,
  "1": percentile("standard", 0, 99),
  "2": percentile("wide", 0, 99.5),
  "3": percentile("peak", 0, 99.9),
  "4": percentile("hot spots", 50, 99.9),
  "5": percentile("full", 0, 100),
};

/**
 * The table for an image: its DICOM modality when known, else CT when its values reach air in HU
 * (≤ -500), else MR.
 */
export function windowKind(modality: string | null | undefined, minimum: number): WindowKind {
  const m = (modality ?? "").toUpperCase();
  if (m === "CT") return "CT";
  if (m === "PT" || m === "NM") return "PET";
  if (m !== "") return "MR";
  return minimum <= -500 ? "CT" : "MR";
}

/** The presets for an image of `kind`: the project's own when it configured any (limPresetsFrom). */
export function presetsFor(project: LimPresets, kind: WindowKind): LimPresets {
  if (project !== DEFAULT_LIM_PRESETS) return project;
  return kind === "CT" ? DEFAULT_LIM_PRESETS : kind === "PET" ? PET_PRESETS : MR_PRESETS;
}

/** At most this many voxels are sorted for percentiles (an evenly strided sample of larger images). */
export const PERCENTILE_SAMPLES = 262_144;

/**
 * The sorted non-zero, finite values of the first `count` entries of `raw`, scaled by `slope` and
 * `inter` (NIfTI's scl_slope / scl_inter), strided down to PERCENTILE_SAMPLES.
 */
export function sortedSample(raw: ArrayLike<number>, count: number, slope: number, inter: number): Float64Array {
  const n = Math.min(count, raw.length);
  const stride = Math.max(1, Math.floor(n / PERCENTILE_SAMPLES));
  const out: number[] = [];
  for (let i = 0; i < n; i += stride) {
    const v = raw[i]! * slope + inter;
    if (v !== 0 && Number.isFinite(v)) out.push(v);
  }
  return Float64Array.from(out).sort();
}

/** The value below which `p` percent of `sorted` lie (linear between neighbours); NaN when empty. */
export function valueAt(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const at = (Math.max(0, Math.min(100, p)) / 100) * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}
