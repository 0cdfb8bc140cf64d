import { describe, expect, it } from "vitest";
import { formatSize, headerDims, headerVoxel, jobSummary } from "../src/lib/format";
import { chooseProject } from "../src/lib/storage";

describe("format", () => {
  it("formats sizes", () => {
    expect(formatSize(0)).toBe("0 B");
    expect(formatSize(1536)).toBe("1.5 KB");
    expect(formatSize(18 * 1024 * 1024)).toBe("18 MB");
    expect(formatSize(-1)).toBe("");
  });

  it("reads dims and voxel sizes under the key names of different formats", () => {
    expect(headerDims({ dims: [256, 256, 176] })).toBe("256×256×176");
    expect(headerDims({ shape: [64, 64, 30, 200] })).toBe("64×64×30×200");
    expect(headerDims({ dims: "256" })).toBe("");
    expect(headerDims({})).toBe("");
    expect(headerVoxel({ zooms: [0.9375, 0.9375, 1.2, 2.0] })).toBe("0.9375×0.9375×1.2 mm");
    expect(headerVoxel(null)).toBe("");
  });

  it("summarises job counts, leaving out zeros", () => {
    expect(jobSummary({ q: 2, r: 0, e: 1 })).toEqual([{ state: "q", count: 2 }, { state: "e", count: 1 }]);
    expect(jobSummary({ q: 0, r: 0, e: 0 })).toEqual([]);
  });
});

describe("chooseProject", () => {
  it("prefers the remembered project while it is still visible", () => {
    expect(chooseProject(["a", "b"], "b")).toBe("b");
    expect(chooseProject(["a", "b"], "gone")).toBe("a");
    expect(chooseProject([], "b")).toBeNull();
  });
});
