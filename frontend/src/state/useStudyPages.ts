/**
 * Loads the subject/study table for one project and filter state: the first page when the query
 * changes, further pages of PAGE_SIZE rows as the visible range needs them. A rejected query
 * (HTTP 400: malformed filter) leaves the last good rows in place and returns the server's message.
 */
import { useCallback, useEffect, useReducer, useRef, useState } from "react";
import { ApiError, isAbort } from "../api/client";
import { studies } from "../api/endpoints";
import type { StudyRow } from "../api/types";
import { queryKey, studyParams, type Filters, type Sort } from "../lib/query";
import { PageCache } from "./pageCache";
import { useErrors } from "./errors";

export const PAGE_SIZE = 500;

interface Query {
  project: string;
  filters: Filters;
  sort: Sort | null;
  key: string;
}

export interface StudyPages {
  total: number | null;
  row: (index: number) => StudyRow | undefined;
  findIndex: (predicate: (row: StudyRow) => boolean) => number;
  /** Load whatever pages rows first..last need. */
  ensureRange: (first: number, last: number) => void;
  /** Rewrite loaded rows (after a tag change) and re-render. */
  updateRows: (fn: (row: StudyRow) => StudyRow) => void;
  reload: () => void;
  loading: boolean;
  /** The server's message for a rejected filter expression, or null. */
  filterError: string | null;
  /** Changes whenever rows change, for memoised consumers. */
  version: number;
}

export function useStudyPages(
  project: string | null,
  filters: Filters,
  sort: Sort | null,
  onReplaced: () => void,
): StudyPages {
  const { report } = useErrors();
  const cache = useRef(new PageCache<StudyRow>(PAGE_SIZE)).current;
  const [version, bump] = useReducer((n: number) => n + 1, 0);
  const [reloads, forceReload] = useReducer((n: number) => n + 1, 0);
  const [loading, setLoading] = useState(false);
  const [filterError, setFilterError] = useState<string | null>(null);
  const held = useRef<Query | null>(null);
  const pending = useRef<string | null>(null);
  const replaced = useRef(onReplaced);
  replaced.current = onReplaced;

  const key = project === null ? null : `${project}|${queryKey(filters, sort)}`;

  useEffect(() => {
    if (project === null || key === null) return;
    if (held.current !== null && held.current.project !== project) {
      cache.clear();
      held.current = null;
      setFilterError(null);
      bump();
    }
    const query: Query = { project, filters, sort, key };
    const controller = new AbortController();
    pending.current = key;
    setLoading(true);
    studies
      .list(project, studyParams(filters, sort, { offset: 0, limit: PAGE_SIZE }), controller.signal)
      .then((page) => {
        cache.replace(key, page.total, page.items);
        held.current = query;
        setFilterError(null);
        replaced.current();
        bump();
      })
      .catch((err: unknown) => {
        if (isAbort(err)) return;
        if (err instanceof ApiError && err.status === 400) setFilterError(err.detail);
        else report(err, "Loading studies");
      })
      .finally(() => {
        if (controller.signal.aborted) return;
        pending.current = null;
        setLoading(false);
      });
    return () => controller.abort();
    // filters/sort are captured through `key`, which changes exactly when they do.
  }, [key, reloads]);

  const ensureRange = useCallback(
    (first: number, last: number) => {
      const query = held.current;
      if (query === null || pending.current !== null || cache.key !== query.key) return;
      for (const page of cache.missingPages(first, last)) {
        cache.begin(page);
        const params = studyParams(query.filters, query.sort, { offset: page * PAGE_SIZE, limit: PAGE_SIZE });
        studies
          .list(query.project, params)
          .then((answer) => {
            if (cache.add(query.key, page, answer.total, answer.items)) bump();
          })
          .catch((err: unknown) => {
            cache.fail(query.key, page);
            report(err, `Loading studies ${page * PAGE_SIZE + 1}–${(page + 1) * PAGE_SIZE}`);
          });
      }
    },
    [cache, report],
  );

  const updateRows = useCallback(
    (fn: (row: StudyRow) => StudyRow) => {
      if (cache.update(fn) > 0) bump();
    },
    [cache],
  );

  return {
    total: cache.total,
    row: (index) => cache.row(index),
    findIndex: (predicate) => cache.findIndex(predicate),
    ensureRange,
    updateRows,
    reload: forceReload,
    loading,
    filterError,
    version,
  };
}
