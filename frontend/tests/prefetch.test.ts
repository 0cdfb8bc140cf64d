import { describe, expect, it } from "vitest";
import { PREFETCH_TTL_MS, Prefetched, prefetchKey } from "../src/viewer/prefetch";

describe("autoload answers fetched ahead", () => {
  it("are used once, while fresh, and only a few are kept", async () => {
    let now = 0;
    const p = new Prefetched<string>(() => now);
    const key = prefetchKey({ loaders: [] }, "P1", "S1");
    expect(key).not.toBe(prefetchKey({ loaders: [] }, "P1", "S2"));
    p.put(key, Promise.resolve("answer"));
    expect(p.has(key)).toBe(true);
    expect(await p.take(key)).toBe("answer");
    expect(p.take(key)).toBe(null); // once
    p.put(key, Promise.resolve("old"));
    now += PREFETCH_TTL_MS;
    expect(p.has(key)).toBe(false);
    expect(p.take(key)).toBe(null); // stale
    for (const sid of ["a", "b", "c", "d", "e"]) p.put(prefetchKey({}, "P", sid), Promise.resolve(sid));
    expect(p.has(prefetchKey({}, "P", "a"))).toBe(false);
    expect(p.has(prefetchKey({}, "P", "e"))).toBe(true);
  });
});
