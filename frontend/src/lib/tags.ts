/**
 * Parsing what a user types into the "Add tag…" dialog. Tags are single words because the filter bars
 * read white space as OR and `&` as AND; `*` is a wildcard there, so neither may appear in a tag.
 */

export const MAX_TAG_LENGTH = 128;

export type TagParse = { ok: true; tags: string[] } | { ok: false; error: string };

const FORBIDDEN = /[&*]/;

/** Split on commas and white space, drop empties and duplicates (case-insensitively), validate each tag. */
export function parseTags(input: string): TagParse {
  const tags: string[] = [];
  const seen = new Set<string>();
  for (const raw of input.split(/[\s,;]+/)) {
    const tag = raw.trim();
    if (tag === "") continue;
    if (FORBIDDEN.test(tag)) {
      return { ok: false, error: `Tag "${tag}" contains "&" or "*"; those are reserved for filter expressions.` };
    }
    if (tag.length > MAX_TAG_LENGTH) {
      return { ok: false, error: `Tag "${tag.slice(0, 20)}…" is ${tag.length} characters long; at most ${MAX_TAG_LENGTH} are allowed.` };
    }
    const folded = tag.toLowerCase();
    if (seen.has(folded)) continue;
    seen.add(folded);
    tags.push(tag);
  }
  if (tags.length === 0) return { ok: false, error: "Enter at least one tag." };
  return { ok: true, tags };
}

/** Tags of `add` that are not already in `existing` (case-insensitive). */
export function newTags(existing: readonly string[], add: readonly string[]): string[] {
  const have = new Set(existing.map((t) => t.toLowerCase()));
  return add.filter((t) => !have.has(t.toLowerCase()));
}

/** Rows with the patient's tag list replaced (every study row of that patient shows it). */
export function withPatientTags<R extends { patient_id: number; ptags: string[] }>(
  row: R,
  patientId: number,
  tags: string[],
): R {
  return row.patient_id === patientId ? { ...row, ptags: tags } : row;
}

/** Row with the study's tag list replaced, other rows unchanged. */
export function withStudyTags<R extends { study_id: number; stags: string[] }>(
  row: R,
  studyId: number,
  tags: string[],
): R {
  return row.study_id === studyId ? { ...row, stags: tags } : row;
}
