/**
 * CSV the page writes (copied or saved): the one place for quoting and the formula guard.
 * A text cell starting with = + - @ tab or CR would run as a formula in a spreadsheet (OWASP CSV injection):
 * it gets a leading ' (shown as text); a plain number such as -3.5 stays as it is. The server's twin is
 * nora.core.csvcells.
 */
const TRIGGER = /^[=+\-@\t\r]/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** One cell: guarded, then quoted where it holds a quote, comma or line break. */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "";
  let s = String(value);
  if (typeof value === "string" && TRIGGER.test(s) && !NUMBER.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A header and rows as CSV text, one line each, ending with a line break. */
export function csvText(columns: readonly string[], rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  return [columns, ...rows].map((r) => r.map(csvCell).join(",")).join("\n") + "\n";
}

/** Offer CSV text as a download named `name` (the browser saves it). */
export function saveCsv(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}
