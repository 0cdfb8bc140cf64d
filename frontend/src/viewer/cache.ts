/** The viewer's byte cache: switching cases and loading one file into several viewports fetch it once. */
import { fetchBytes } from "../api/client";

const CACHE_BYTES = 1.5 * 1024 ** 3;

/** Downloads by URL, least recently used dropped first once they hold more than CACHE_BYTES. */
export class ByteCache {
  private entries = new Map<string, { promise: Promise<ArrayBuffer>; size: number }>();
  private total = 0;

  get(url: string): Promise<ArrayBuffer> {
    const hit = this.entries.get(url);
    if (hit) {
      this.entries.delete(url);
      this.entries.set(url, hit);
      return hit.promise;
    }
    const promise = fetchBytes(url);
    const entry = { promise, size: 0 };
    this.entries.set(url, entry);
    promise.then(
      (buf) => {
        entry.size = buf.byteLength;
        this.total += buf.byteLength;
        this.evict();
      },
      () => this.entries.delete(url),
    );
    return promise;
  }

  private evict() {
    for (const [url, e] of this.entries) {
      if (this.total <= CACHE_BYTES) break;
      this.entries.delete(url);
      this.total -= e.size;
    }
  }
}
