/**
 * Autoload answers fetched ahead: the reading asks for the next case's while the reader is on this one, so
 * moving on runs the autoloader without waiting for the server (its image bytes are in the viewer's byte
 * cache by then). An answer is used once, and only while fresh; a few are kept, the oldest dropped first.
 */
export const PREFETCH_TTL_MS = 5 * 60_000;
const KEEP = 4;

export function prefetchKey(definition: unknown, pid: string, sid: string | null): string {
  return `${pid}\n${sid ?? ""}\n${JSON.stringify(definition)}`;
}

export class Prefetched<T> {
  private entries = new Map<string, { value: Promise<T>; at: number }>();

  constructor(private readonly now: () => number = () => Date.now()) {}

  has(key: string): boolean {
    const e = this.entries.get(key);
    return !!e && this.now() - e.at < PREFETCH_TTL_MS;
  }

  put(key: string, value: Promise<T>) {
    this.entries.delete(key);
    this.entries.set(key, { value, at: this.now() });
    while (this.entries.size > KEEP) this.entries.delete(this.entries.keys().next().value as string);
  }

  /** The fresh answer for `key` (then forgotten), or null. */
  take(key: string): Promise<T> | null {
    const e = this.entries.get(key);
    this.entries.delete(key);
    return e && this.now() - e.at < PREFETCH_TTL_MS ? e.value : null;
  }
}
