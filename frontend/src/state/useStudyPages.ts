/**
 * The subject/study table for one project and filter state, page by page through TanStack Query: the
 * first page when the filter state changes, further pages of PAGE_SIZE rows as the visible range needs
 * them, each page one query (`keys.studyPage`). The rows shown are those of the last filter state whose
 * first page arrived: a failed first page leaves them in place and says why under the filter bars (a
 * rejected filter, HTTP 400, in the server's words), and the answer to a superseded filter state is kept
 * under its own key, never shown.
 */
import { useQueries, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { ApiError, isAbort } from "../api/client";
import { studies } from "../api/endpoints";
import { invalidate, keys } from "../api/queries";
import type { StudyPage, StudyRow } from "../api/schema";
import { filterKey, type Filters, type Sort } from "../lib/filters";
import { messageOf, useErrors } from "./errors";

export const PAGE_SIZE = 500;

export interface StudyPages {
  total: number | null;
  row: (index: number) => StudyRow | undefined;
  findIndex: (predicate: (row: StudyRow) => boolean) => number;
  /** Load whatever pages rows first..last need. */
  ensureRange: (first: number, last: number) => void;
  /** Rewrite loaded rows (after a tag change) and re-render. */
  updateRows: (fn: (row: StudyRow) => StudyRow) => void;
  /** Ask the server again (after an import): every page on screen refetches. */
  reload: () => void;
  loading: boolean;
  /** The server's message for a rejected filter expression, or null. */
  filterError: string | null;
  /** Changes whenever rows change, for memoised consumers. */
  version: number;
}

interface Shown {
  project: string;
  filter: string;
}

/** The query of one page: `filter` is `filterKey()`, i.e. the filter bars and sort as a query string. */
export function studyPageQuery(project: string, filter: string, page: number, limit = PAGE_SIZE) {
  return {
    queryKey: keys.studyPage(project, filter, page * limit, limit),
    queryFn: ({ signal }: { signal: AbortSignal }): Promise<StudyPage> => {
      const params = new URLSearchParams(filter);
      params.set("offset", String(page * limit));
      params.set("limit", String(limit));
      return studies.list(project, params, signal);
    },
  };
}

/** Rewrite the cached rows of every page of a project's table (an answer that changed some rows). */
export function updateCachedRows(client: QueryClient, project: string, fn: (row: StudyRow) => StudyRow): void {
  client.setQueriesData<StudyPage>({ queryKey: keys.studies(project) }, (old) => {
    if (old === undefined) return old;
    let changed = false;
    const items = old.items.map((row) => {
      const next = fn(row);
      changed ||= next !== row;
      return next;
    });
    return changed ? { ...old, items } : old;
  });
}

/**
 * What the table says under the filter bars when the first page of the asked-for state failed (the
 * rows of the last good state stay): a rejected filter (HTTP 400) is the server's message as it is,
 * any other failure says that these rows are not the filter's; null for none, for an aborted
 * (superseded) request, and for an ended session (reported page-wide).
 */
export function firstPageProblem(error: unknown): string | null {
  if (error === null || error === undefined || isAbort(error)) return null;
  if (error instanceof ApiError && error.status === 400) return error.detail;
  if (error instanceof ApiError && error.status === 401) return null;
  return `The studies for these filters could not be loaded (${messageOf(error)}); the rows shown are of the previous filters.`;
}

export function useStudyPages(
  project: string | null,
  filters: Filters,
  sort: Sort | null,
  onReplaced: (newState: boolean) => void,
): StudyPages {
  const client = useQueryClient();
  const { report } = useErrors();
  const filter = filterKey(filters, sort);
  const [shown, setShown] = useState<Shown | null>(null);
  /** Further pages (beyond the first) of the shown state that rows in view need. */
  const [wanted, setWanted] = useState<ReadonlySet<number>>(new Set());
  const replaced = useRef(onReplaced);
  replaced.current = onReplaced;

  const first = useQuery({
    ...studyPageQuery(project ?? "", filter, 0),
    enabled: project !== null,
  });

  // The first page of the asked-for state arrived: its rows are the ones shown from now on.
  useEffect(() => {
    if (project === null || first.data === undefined) return;
    if (shown?.project !== project || shown.filter !== filter) {
      setShown({ project, filter });
      setWanted(new Set());
    }
  }, [project, filter, first.data]);

  const filterError = firstPageProblem(first.error);
  // An ended session goes to the page-wide handler (the login page comes back); every other failure of
  // the asked-for state's first page is shown where the user typed the filter (filterError).
  const sessionEnded = first.error instanceof ApiError && first.error.status === 401 ? first.error : null;
  useEffect(() => {
    if (sessionEnded !== null) report(sessionEnded, "Loading studies");
  }, [sessionEnded, report]);

  const current = shown !== null && shown.project === project ? shown : null;
  // Page 0 of the shown state is the `first` query's (or was, while a newer state is being asked for):
  // only watched here, so that showing it does not ask the server once more.
  const shownFirst = useQuery({ ...studyPageQuery(current?.project ?? "", current?.filter ?? "", 0), enabled: false });
  const pageNumbers = useMemo(() => [...wanted].filter((p) => p > 0).sort((a, b) => a - b), [wanted]);
  const further = useQueries({
    queries: pageNumbers.map((page) => ({
      ...studyPageQuery(current?.project ?? "", current?.filter ?? "", page),
      enabled: current !== null,
    })),
  });

  const failed = further.map((p, i) => (p.error !== null ? pageNumbers[i] : null));
  const failedKey = failed.filter((p) => p !== null).join(",");
  useEffect(() => {
    failed.forEach((page, i) => {
      if (page === null || page === undefined) return;
      report(further[i]?.error, `Loading studies ${page * PAGE_SIZE + 1}–${(page + 1) * PAGE_SIZE}`);
    });
    // A failed page may be asked for again when it scrolls into view once more.
    if (failedKey !== "") setWanted((w) => new Set([...w].filter((p) => !failed.includes(p))));
  }, [failedKey]);

  // New rows on page 0: another filter state (`true`: the table scrolls back up) or a refetch of the same
  // one (an import, a live change: `false`, the user's place in the table is kept).
  const firstShown = current === null ? 0 : shownFirst.dataUpdatedAt;
  const lastState = useRef("");
  useEffect(() => {
    if (firstShown === 0) return;
    const state = `${current?.project ?? ""}\u0000${current?.filter ?? ""}`;
    replaced.current(state !== lastState.current);
    lastState.current = state;
  }, [current?.project, current?.filter, firstShown]);

  const data = new Map<number, StudyPage>();
  if (current !== null && shownFirst.data !== undefined) data.set(0, shownFirst.data);
  further.forEach((p, i) => {
    if (p.data !== undefined && current !== null) data.set(pageNumbers[i] ?? 0, p.data);
  });
  const total = current === null ? null : (data.get(0)?.total ?? null);
  const version = further.reduce((sum, p) => sum + p.dataUpdatedAt, shownFirst.dataUpdatedAt);

  const shownProject = current?.project ?? null;
  const shownFilter = current?.filter ?? null;
  const ensureRange = useCallback(
    (firstRow: number, lastRow: number) => {
      if (total === null || total === 0 || lastRow < firstRow || shownProject === null || shownFilter === null) return;
      const end = Math.min(lastRow, total - 1);
      const need: number[] = [];
      for (let page = Math.max(1, Math.floor(Math.max(firstRow, 0) / PAGE_SIZE)); page * PAGE_SIZE <= end; page++) {
        need.push(page);
      }
      // Ask now rather than when the page's query mounts on the next render (a frame later on every
      // scroll step); the query then finds the request under way. Cached pages are not asked again here.
      for (const page of need) {
        void client.prefetchQuery({ ...studyPageQuery(shownProject, shownFilter, page), staleTime: Infinity });
      }
      setWanted((w) => (need.every((p) => w.has(p)) ? w : new Set([...w, ...need])));
    },
    [client, total, shownProject, shownFilter],
  );

  const updateRows = useCallback(
    (fn: (row: StudyRow) => StudyRow) => {
      if (project !== null) updateCachedRows(client, project, fn);
    },
    [client, project],
  );

  const reload = useCallback(() => {
    if (project !== null) void invalidate(client, { kind: "studies", project });
  }, [client, project]);

  return {
    total,
    row: (index) => (index < 0 ? undefined : data.get(Math.floor(index / PAGE_SIZE))?.items[index % PAGE_SIZE]),
    findIndex: (predicate) => {
      for (const [page, answer] of data) {
        const i = answer.items.findIndex(predicate);
        if (i >= 0) return page * PAGE_SIZE + i;
      }
      return -1;
    },
    ensureRange,
    updateRows,
    reload,
    loading: first.isFetching,
    filterError,
    version,
  };
}
