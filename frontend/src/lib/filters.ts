/**
 * Filter-bar state of the subject/study table and its translation into the query string of
 * `GET /api/projects/{project}/studies`. The expressions themselves are passed through untouched:
 * the server owns the selection language and reports malformed ones.
 */

/** Query parameters that a filter bar writes (`stag` is the Tags column, `files` the file-search bar). */
export const FILTER_PARAMS = [
  "pid",
  "name",
  "birth_date",
  "sid",
  "study_date",
  "sdesc",
  "modality",
  "stag",
  "files",
] as const;

export type FilterParam = (typeof FILTER_PARAMS)[number];
export type Filters = Partial<Record<FilterParam, string>>;

export const SORT_KEYS = ["pid", "name", "sid", "study_date", "sdesc", "modality"] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface Sort {
  key: SortKey;
  desc: boolean;
}

/** The `sort` parameter: the column name, prefixed with `-` for descending. */
export function sortParam(sort: Sort | null): string | null {
  if (sort === null) return null;
  return sort.desc ? `-${sort.key}` : sort.key;
}

/** Parse a `sort` parameter back; unknown columns give null. */
export function parseSort(text: string | null | undefined): Sort | null {
  if (!text) return null;
  const desc = text.startsWith("-");
  const key = desc ? text.slice(1) : text;
  return (SORT_KEYS as readonly string[]).includes(key) ? { key: key as SortKey, desc } : null;
}

/** Header click cycle: unsorted → ascending → descending → unsorted; another column starts ascending. */
export function nextSort(current: Sort | null, key: SortKey): Sort | null {
  if (current === null || current.key !== key) return { key, desc: false };
  if (!current.desc) return { key, desc: true };
  return null;
}

/** Filters with blank bars removed and surrounding white space trimmed (white space inside means OR). */
export function normaliseFilters(filters: Filters): Filters {
  const out: Filters = {};
  for (const param of FILTER_PARAMS) {
    const value = filters[param]?.trim();
    if (value) out[param] = value;
  }
  return out;
}

/** Query parameters for one page of the table; parameter order is fixed so equal queries compare equal. */
export function studyParams(
  filters: Filters,
  sort: Sort | null,
  page?: { offset: number; limit: number },
): URLSearchParams {
  const params = new URLSearchParams();
  const clean = normaliseFilters(filters);
  for (const param of FILTER_PARAMS) {
    const value = clean[param];
    if (value !== undefined) params.set(param, value);
  }
  const sortText = sortParam(sort);
  if (sortText !== null) params.set("sort", sortText);
  if (page !== undefined) {
    params.set("offset", String(page.offset));
    params.set("limit", String(page.limit));
  }
  return params;
}

/** A key that is equal for two filter states exactly when they select and order the same rows. */
export function filterKey(filters: Filters, sort: Sort | null): string {
  return studyParams(filters, sort).toString();
}

/** True when any bar holds an expression. */
export function hasFilters(filters: Filters): boolean {
  return Object.keys(normaliseFilters(filters)).length > 0;
}
