/** Search in a DICOM header by tag number (`0010,0010`, `00100010`, `(0010,0010)`) or name / keyword. */
import type { components } from "../api/schema";

export type DicomElement = components["schemas"]["DicomElementOut"];

/** The tag as 8 hex digits when `text` looks like (part of) a tag number, else null. */
function tagDigits(text: string): string | null {
  const digits = text.replace(/[(),\s]/g, "").toUpperCase();
  return /^[0-9A-F]{4,8}$/.test(digits) ? digits : null;
}

export function matches(element: DicomElement, search: string): boolean {
  const text = search.trim().toLowerCase();
  if (text === "") return true;
  const digits = tagDigits(text);
  if (digits !== null && element.tag.replace(",", "").startsWith(digits)) return true;
  return element.keyword.toLowerCase().includes(text) || element.name.toLowerCase().includes(text.replace(/\s+/g, " "));
}

/** The elements that match, with the sequence items around a match kept so nesting stays readable. */
export function filterElements(elements: DicomElement[], search: string): DicomElement[] {
  if (search.trim() === "") return elements;
  return elements.filter((e) => matches(e, search));
}

/** Sidecar entries whose key matches, values as text. */
export function sidecarRows(sidecar: Record<string, unknown> | null, search: string): [string, string][] {
  if (sidecar === null) return [];
  const text = search.trim().toLowerCase();
  return Object.entries(sidecar)
    .filter(([key]) => text === "" || key.toLowerCase().includes(text))
    .map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]);
}
