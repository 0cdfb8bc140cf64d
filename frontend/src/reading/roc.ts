/** Drawing of ROC curves: an SVG polyline of (FPR, TPR) points in a square plot, and the colour of a reader. */

const PALETTE = ["#4e9af1", "#f1a34e", "#6bd17a", "#e26ad0", "#e8d44d", "#5fd3d3", "#f06262", "#a78bfa"];

/** The SVG `points` of a curve in a `size` x `size` plot with `pad` pixels around it (y grows downwards). */
export function rocPoints(fpr: readonly number[], tpr: readonly number[], size: number, pad = 0): string {
  const span = size - 2 * pad;
  return fpr.map((x, i) => `${(pad + x * span).toFixed(1)},${(pad + (1 - (tpr[i] ?? 0)) * span).toFixed(1)}`).join(" ");
}

export function readerColour(readers: readonly string[], reader: string): string {
  const i = readers.indexOf(reader);
  return PALETTE[(i < 0 ? 0 : i) % PALETTE.length] ?? "#4e9af1";
}

/** A number for a table cell: fixed digits, or an en dash where it is undefined. */
export function fmt(value: number | null | undefined, digits = 3): string {
  return value === null || value === undefined || !Number.isFinite(value) ? "–" : value.toFixed(digits);
}
