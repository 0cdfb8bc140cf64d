import { describe, expect, it } from "vitest";
import { PageCache } from "../src/state/pageCache";

const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe("PageCache", () => {
  it("asks for nothing before the first answer", () => {
    expect(new PageCache<number>(500).missingPages(0, 100)).toEqual([]);
  });

  it("finds the pages a visible range still needs, once each", () => {
    const cache = new PageCache<number>(500);
    cache.replace("q", 10000, rows(0, 500));
    expect(cache.missingPages(0, 40)).toEqual([]);
    expect(cache.missingPages(480, 1020)).toEqual([1, 2]);
    cache.begin(1);
    expect(cache.missingPages(480, 1020)).toEqual([2]);
    expect(cache.missingPages(9990, 20000)).toEqual([19]);
  });

  it("stores pages of the held query and drops answers of an older one", () => {
    const cache = new PageCache<number>(500);
    cache.replace("old", 10000, rows(0, 500));
    cache.begin(3);
    cache.replace("new", 2000, rows(100000, 500));
    expect(cache.add("old", 3, 10000, rows(1500, 500))).toBe(false);
    expect(cache.row(1500)).toBeUndefined();
    expect(cache.add("new", 1, 2000, rows(100500, 500))).toBe(true);
    expect(cache.row(501)).toBe(100501);
    expect(cache.total).toBe(2000);
  });

  it("lets a failed page be asked for again", () => {
    const cache = new PageCache<number>(10);
    cache.replace("q", 100, rows(0, 10));
    cache.begin(2);
    expect(cache.missingPages(20, 29)).toEqual([]);
    cache.fail("q", 2);
    expect(cache.missingPages(20, 29)).toEqual([2]);
  });

  it("rewrites loaded rows in place and finds them", () => {
    const cache = new PageCache<{ id: number; tag: string }>(2);
    cache.replace("q", 4, [{ id: 1, tag: "" }, { id: 2, tag: "" }]);
    cache.add("q", 1, 4, [{ id: 3, tag: "" }, { id: 4, tag: "" }]);
    expect(cache.update((r) => (r.id % 2 === 0 ? { ...r, tag: "even" } : r))).toBe(2);
    expect(cache.row(3)).toEqual({ id: 4, tag: "even" });
    expect(cache.findIndex((r) => r.id === 3)).toBe(2);
    expect(cache.findIndex((r) => r.id === 9)).toBe(-1);
  });

  it("forgets everything on clear and validates its page size", () => {
    const cache = new PageCache<number>(5);
    cache.replace("q", 5, rows(0, 5));
    cache.clear();
    expect(cache.key).toBeNull();
    expect(cache.row(0)).toBeUndefined();
    expect(() => new PageCache<number>(0)).toThrow(RangeError);
  });
});
