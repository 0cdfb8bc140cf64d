import { describe, expect, it } from "vitest";
import { hasFilters, nextSort, parseSort, filterKey, sortParam, studyParams } from "../src/lib/filters";

describe("studyParams", () => {
  it("maps filter bars to parameters in a fixed order and skips blank bars", () => {
    const params = studyParams({ sdesc: "t1", pid: " P0* ", name: "   ", stag: "control" }, null);
    expect([...params.keys()]).toEqual(["pid", "sdesc", "stag"]);
    expect(params.get("pid")).toBe("P0*");
  });

  it("keeps inner white space (OR) and encodes & (AND)", () => {
    const params = studyParams({ files: "t1*/s0*.nii mpr* & STAG:control" }, null);
    expect(params.toString()).toBe("files=t1*%2Fs0*.nii+mpr*+%26+STAG%3Acontrol");
    expect(new URLSearchParams(params.toString()).get("files")).toBe("t1*/s0*.nii mpr* & STAG:control");
  });

  it("adds sort and paging", () => {
    const params = studyParams({ modality: "MR" }, { key: "study_date", desc: true }, { offset: 500, limit: 500 });
    expect(params.toString()).toBe("modality=MR&sort=-study_date&offset=500&limit=500");
  });

  it("gives equal keys for equivalent filter states", () => {
    expect(filterKey({ pid: "P1 ", name: "" }, null)).toBe(filterKey({ pid: "P1" }, null));
    expect(filterKey({ pid: "P1" }, null)).not.toBe(filterKey({ pid: "P1" }, { key: "pid", desc: false }));
  });

  it("hasFilters ignores blank bars", () => {
    expect(hasFilters({ pid: " " })).toBe(false);
    expect(hasFilters({ files: "x" })).toBe(true);
  });
});

describe("sorting", () => {
  it("cycles ascending, descending, off; another column starts ascending", () => {
    const asc = nextSort(null, "pid");
    expect(asc).toEqual({ key: "pid", desc: false });
    const desc = nextSort(asc, "pid");
    expect(desc).toEqual({ key: "pid", desc: true });
    expect(nextSort(desc, "pid")).toBeNull();
    expect(nextSort(desc, "name")).toEqual({ key: "name", desc: false });
  });

  it("writes and reads the sort parameter", () => {
    expect(sortParam({ key: "sdesc", desc: true })).toBe("-sdesc");
    expect(sortParam(null)).toBeNull();
    expect(parseSort("-study_date")).toEqual({ key: "study_date", desc: true });
    expect(parseSort("sex")).toBeNull();
    expect(parseSort("")).toBeNull();
  });
});
