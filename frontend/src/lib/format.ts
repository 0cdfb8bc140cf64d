/** Display helpers for file sizes, image headers and job counts. */
import type { FileHeader, JobCounts } from "../api/types";

const UNITS = ["B", "KB", "MB", "GB", "TB"] as const;

/** 1536 → "1.5 KB" (powers of 1024, one decimal below 10). */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "";
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

function numberList(value: unknown): number[] | null {
  if (!Array.isArray(value) || value.length === 0) return null;
  if (!value.every((v) => typeof v === "number" && Number.isFinite(v))) return null;
  return value as number[];
}

function firstList(header: FileHeader, keys: readonly string[]): number[] | null {
  for (const key of keys) {
    const list = numberList(header[key]);
    if (list !== null) return list;
  }
  return null;
}

function trimNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(4)));
}

/** Image dimensions from a header, e.g. "256×256×176"; the key name differs by format. */
export function headerDims(header: FileHeader | null | undefined): string {
  if (!header) return "";
  const dims = firstList(header, ["dims", "shape", "dim", "size", "sizes"]);
  return dims === null ? "" : dims.map(trimNumber).join("×");
}

/** Voxel size from a header, e.g. "1×1×1.2 mm". */
export function headerVoxel(header: FileHeader | null | undefined): string {
  if (!header) return "";
  const vox = firstList(header, ["voxel_size", "voxel", "zooms", "pixdim", "spacing", "spacings"]);
  return vox === null ? "" : `${vox.slice(0, 3).map(trimNumber).join("×")} mm`;
}

/** "q2 r1 e3" style summary of a job-count record, empty when there are none. */
export function jobSummary(jobs: JobCounts | null | undefined): Array<{ state: "q" | "r" | "e"; count: number }> {
  if (!jobs) return [];
  return (["q", "r", "e"] as const)
    .filter((state) => (jobs[state] ?? 0) > 0)
    .map((state) => ({ state, count: jobs[state] }));
}
