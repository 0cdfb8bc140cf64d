/** Region statistics of the measurement tools: rectangle and ellipse in a slice of a voxel grid. */
import { describe, expect, it } from "vitest";
import { regionStats } from "../src/viewer/measure/stats";

describe("regionStats", () => {
  const value = (i: number, j: number, k: number) => i + 10 * j + 100 * k;
  it("takes the voxels of the rectangle on the slice both corners share", () => {
    const s = regionStats(value, [1, 1, 2], [3, 2, 2], [10, 10, 5], [1, 2, 3], "rect")!;
    expect(s.n).toBe(6);
    expect(s.min).toBe(1 + 10 + 200);
    expect(s.max).toBe(3 + 20 + 200);
    expect(s.mean).toBeCloseTo((211 + 212 + 213 + 221 + 222 + 223) / 6);
    expect(s.areaMM2).toBe(6 * 1 * 2);
  });
  it("keeps the ellipse inside its box and refuses a drag across slices", () => {
    const rect = regionStats(value, [0, 0, 1], [8, 8, 1], [10, 10, 5], [1, 1, 1], "rect")!;
    const ellipse = regionStats(value, [0, 0, 1], [8, 8, 1], [10, 10, 5], [1, 1, 1], "ellipse")!;
    expect(ellipse.n).toBeLessThan(rect.n);
    expect(ellipse.n).toBeGreaterThan(rect.n * 0.7);
    expect(regionStats(value, [0, 0, 0], [3, 3, 3], [10, 10, 5], [1, 1, 1], "rect")).toBeNull();
  });
});
