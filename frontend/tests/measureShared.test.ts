/** Measurements in shared links: the measure tool's per-file measurements to the server's document and back. */
import { describe, expect, it } from "vitest";
import { measurementsFromState, measurementsState } from "../src/viewer/measure/measure";

const state = {
  file_id: 7,
  distances: [{ slice_index: 40, slice_type: 0, slice_position: 0.5, start_mm: [0, 0, 1] as [number, number, number], end_mm: [30, 40, 1] as [number, number, number], distance: 50 }],
  angles: [
    {
      slice_index: 3,
      slice_type: 1,
      slice_position: 0.25,
      first: { start: [0, 0, 1] as [number, number, number], end: [10, 0, 1] as [number, number, number] },
      second: { start: [10, 0, 1] as [number, number, number], end: [10, 10, 1] as [number, number, number] },
      angle: 90,
    },
  ],
  regions: [{ shape: "rect" as const, start_mm: [0, 0, 1] as [number, number, number], end_mm: [8, 8, 1] as [number, number, number], stats: { n: 64, mean: 2, std: 1, min: 0, max: 4, area_mm2: 64 } }],
};

describe("measurements in shared links", () => {
  it("round-trip through the link document, keyed by archive file", () => {
    const byKey = measurementsFromState([state]);
    expect(Object.keys(byKey)).toEqual(["file:7"]);
    const m = byKey["file:7"]!;
    expect(Array.from(m.distances[0]!.endMM)).toEqual([30, 40, 1]);
    expect(m.regions[0]!.stats.areaMM2).toBe(64);
    expect(measurementsState("file:7", m)).toEqual(state);
  });

  it("files from the user's computer are not part of a link", () => {
    expect(measurementsState("local:scan.nii", { distances: [], angles: [], regions: [] })).toBeNull();
  });
});
