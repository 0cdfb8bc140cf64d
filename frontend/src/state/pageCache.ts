/**
 * Rows of one query, loaded page by page as the user scrolls. Pure bookkeeping (no I/O) so the paging
 * rules can be unit-tested: which pages are missing for a visible range, which answers are stale, and
 * that the rows of the last good query survive until the next query has succeeded.
 */
export class PageCache<T> {
  readonly pageSize: number;
  private key_: string | null = null;
  private total_: number | null = null;
  private pages = new Map<number, T[]>();
  private inflight = new Set<number>();

  constructor(pageSize: number) {
    if (!Number.isInteger(pageSize) || pageSize <= 0) {
      throw new RangeError(`pageSize must be a positive integer, got ${pageSize}`);
    }
    this.pageSize = pageSize;
  }

  /** Key of the query whose rows are held, or null before the first answer. */
  get key(): string | null {
    return this.key_;
  }

  /** Number of rows the server reported for the held query. */
  get total(): number | null {
    return this.total_;
  }

  /** The row at `index`, or undefined while its page is not loaded. */
  row(index: number): T | undefined {
    if (index < 0) return undefined;
    return this.pages.get(Math.floor(index / this.pageSize))?.[index % this.pageSize];
  }

  /** Index of the first loaded row that satisfies `predicate`, or -1. */
  findIndex(predicate: (row: T) => boolean): number {
    for (const [page, rows] of this.pages) {
      const i = rows.findIndex(predicate);
      if (i >= 0) return page * this.pageSize + i;
    }
    return -1;
  }

  /** Pages covering rows `first..last` (inclusive) that are neither loaded nor being loaded. */
  missingPages(first: number, last: number): number[] {
    if (this.total_ === null || this.total_ === 0 || last < first) return [];
    const lastRow = Math.min(last, this.total_ - 1);
    const out: number[] = [];
    for (let page = Math.floor(Math.max(first, 0) / this.pageSize); page * this.pageSize <= lastRow; page++) {
      if (!this.pages.has(page) && !this.inflight.has(page)) out.push(page);
    }
    return out;
  }

  /** Mark a page of the held query as being fetched. */
  begin(page: number): void {
    this.inflight.add(page);
  }

  /** A page fetch of query `key` failed or was abandoned; it may be asked for again. */
  fail(key: string, page: number): void {
    if (key === this.key_) this.inflight.delete(page);
  }

  /** The first page of a (new) query arrived: it replaces everything held. */
  replace(key: string, total: number, firstPage: T[]): void {
    this.key_ = key;
    this.total_ = total;
    this.pages = new Map([[0, firstPage]]);
    this.inflight = new Set();
  }

  /** A further page arrived; returns false (and stores nothing) when it belongs to an older query. */
  add(key: string, page: number, total: number, rows: T[]): boolean {
    if (key !== this.key_) return false;
    this.inflight.delete(page);
    this.pages.set(page, rows);
    this.total_ = total;
    return true;
  }

  /** Forget everything (e.g. another project was chosen). */
  clear(): void {
    this.key_ = null;
    this.total_ = null;
    this.pages = new Map();
    this.inflight = new Set();
  }

  /** Rewrite loaded rows in place (after a tag change); returns how many rows changed. */
  update(fn: (row: T) => T): number {
    let changed = 0;
    for (const [page, rows] of this.pages) {
      let copy: T[] | null = null;
      rows.forEach((row, i) => {
        const next = fn(row);
        if (next !== row) {
          copy ??= rows.slice();
          copy[i] = next;
          changed += 1;
        }
      });
      if (copy !== null) this.pages.set(page, copy);
    }
    return changed;
  }
}
