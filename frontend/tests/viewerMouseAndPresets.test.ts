import { describe, expect, it } from "vitest";
import { gestureOf } from "../src/viewer/gestures";
import { DEFAULT_LIM_PRESETS, limPresetLines, limPresetsFrom, mosaicRows, mosaicString, plotPoints } from "../src/viewer/model";
import { MR_PRESETS, PERCENTILE_SAMPLES, PET_PRESETS, presetsFor, sortedSample, valueAt, windowKind } from "../src/viewer/windows";

describe("colour-limit presets from project settings", () => {
  it("falls back to the CT windows and the image range on 0 when the project has none", () => {
    for (const settings of [null, undefined, {}, { colorlimpresets: null }]) expect(limPresetsFrom(settings)).toBe(DEFAULT_LIM_PRESETS);
    expect(DEFAULT_LIM_PRESETS["1"]).toEqual({ name: "brain", limits: [0, 80], label: "40/80" });
    expect(DEFAULT_LIM_PRESETS["5"]!.limits).toEqual([-1350, 150]);
    expect(DEFAULT_LIM_PRESETS["0"]!.limits).toBeNull();
    expect(Object.keys(DEFAULT_LIM_PRESETS).sort()).toEqual(["0", "1", "2", "3", "4", "5", "6"]);
  });
  it("takes exactly the configured keys, as level/width or min/max", () => {
    const presets = limPresetsFrom({
      colorlimpresets: { "2": { name: "liver", level: 60, width: 160 }, "8": { name: "t1", min: 0, max: 900.5 } },
    });
    expect(presets).toEqual({
      "2": { name: "liver", limits: [-20, 140], label: "60/160" },
      "8": { name: "t1", limits: [0, 900.5], label: "0–900.5" },
    });
    expect(limPresetLines(presets)).toEqual([
      { key: "2", text: "2 liver 60/160" },
      { key: "8", text: "8 t1 0–900.5" },
    ]);
  });
  it("lists the default presets in key order for the toolbar", () => {
    expect(limPresetLines(DEFAULT_LIM_PRESETS).map((l) => l.text)).toEqual([
      "0 image range auto",
      "1 brain 40/80",
      "2 subdural 75/215",
      "3 stroke 40/40",
      "4 bone 600/2800",
      "5 lung -600/1500",
      "6 soft tissue 50/400",
    ]);
  });
});

describe("mosaic grid", () => {
  it("fills a wide strip with one row and a square viewport with several", () => {
    expect(mosaicRows(8, 6, 0.85)).toBe(1);
    expect(mosaicRows(4, 1, 1)).toBe(4);
    expect(mosaicRows(8, 1, 1)).toBe(8);
    expect(mosaicRows(24, 1, 1)).toBe(2); // at most 64 tiles
    expect(mosaicRows(3, 0, 1)).toBe(1);
  });
  it("writes niivue's mosaic string row by row", () => {
    expect(mosaicString(0, 50, 2, 2)).toBe("A 10 20 ; 30 40");
    expect(mosaicString(-30, 30, 5, 1)).toBe("A -20 -10 0 10 20");
  });
});

describe("time-series plot", () => {
  it("maps values into the box, the largest at the top", () => {
    const { points, min, max } = plotPoints([1, 3, 2], { x: 10, y: 0, w: 100, h: 50 });
    expect([min, max]).toEqual([1, 3]);
    expect(points).toEqual([
      [10, 50],
      [60, 0],
      [110, 25],
    ]);
  });
  it("draws a flat series in the middle and non-finite values at the bottom", () => {
    expect(plotPoints([5, 5], { x: 0, y: 0, w: 10, h: 10 }).points).toEqual([
      [0, 5],
      [10, 5],
    ]);
    expect(plotPoints([0, Number.NaN, 4], { x: 0, y: 0, w: 10, h: 10 }).points[1]).toEqual([5, 10]);
  });
});

describe("left-button gestures", () => {
  const ev = (o: Partial<{ button: number; shiftKey: boolean; ctrlKey: boolean; metaKey: boolean; altKey: boolean }>) => ({
    button: 0,
    shiftKey: false,
    ctrlKey: false,
    metaKey: false,
    altKey: false,
    ...o,
  });
  it("are NORA's: Shift pans one view, Ctrl (or Shift + right) pans all, Ctrl+Shift pins a time series", () => {
    expect(gestureOf(ev({}))).toBeNull();
    expect(gestureOf(ev({ shiftKey: true }))).toBe("pan");
    expect(gestureOf(ev({ ctrlKey: true }))).toBe("panAll");
    expect(gestureOf(ev({ metaKey: true }))).toBe("panAll");
    expect(gestureOf(ev({ ctrlKey: true, shiftKey: true }))).toBe("pin");
    expect(gestureOf(ev({ button: 2, shiftKey: true }))).toBe("panAll");
    expect(gestureOf(ev({ button: 2 }))).toBeNull();
    expect(gestureOf(ev({ altKey: true, shiftKey: true }))).toBeNull();
  });
  it("take the middle drag as windowing (with Shift: this viewport only), never with Ctrl or Alt", () => {
    expect(gestureOf(ev({ button: 1 }))).toBe("window");
    expect(gestureOf(ev({ button: 1, shiftKey: true }))).toBe("window");
    expect(gestureOf(ev({ button: 1, ctrlKey: true }))).toBeNull();
    expect(gestureOf(ev({ button: 1, altKey: true }))).toBeNull();
  });
});

describe("window presets that fit the image", () => {
  it("pick CT windows for CT, percentiles for MR and PET, and the project's own presets when it has any", () => {
    expect(windowKind("CT", 0)).toBe("CT");
    expect(windowKind("MR", -2000)).toBe("MR");
    expect(windowKind("PT", 0)).toBe("PET");
    expect(windowKind("NM", 0)).toBe("PET");
    expect(windowKind(null, -1024)).toBe("CT"); // air in HU
    expect(windowKind(undefined, 0)).toBe("MR");
    expect(presetsFor(DEFAULT_LIM_PRESETS, "CT")).toBe(DEFAULT_LIM_PRESETS);
    expect(presetsFor(DEFAULT_LIM_PRESETS, "MR")).toBe(MR_PRESETS);
    expect(presetsFor(DEFAULT_LIM_PRESETS, "PET")).toBe(PET_PRESETS);
    const own = limPresetsFrom({ colorlimpresets: { "3": { name: "t1", min: 0, max: 900 } } });
    expect(presetsFor(own, "MR")).toBe(own);
    expect(limPresetLines(MR_PRESETS).map((l) => l.text)).toEqual([
      "0 image range auto",
      "1 standard p1–p99",
      "2 narrow p2–p98",
      "3 contrast p5–p95",
      "4 wide p0.5–p99.5",
      "5 full p0–p100",
    ]);
  });
  it("compute percentiles of the scaled non-zero values, sampling large images", () => {
    const raw = Int16Array.from({ length: 1001 }, (_, i) => i); // 0 (dropped) .. 1000
    const sorted = sortedSample(raw, raw.length, 2, 1);
    expect(sorted.length).toBe(1001); // 1..2001 step 2, the 0 scaled to 1 is not zero
    expect(valueAt(sorted, 0)).toBe(1);
    expect(valueAt(sorted, 100)).toBe(2001);
    expect(valueAt(sorted, 50)).toBe(1001);
    expect(valueAt(sortedSample(raw, raw.length, 1, 0), 50)).toBeCloseTo(500.5);
    expect(Number.isNaN(valueAt(new Float64Array(0), 50))).toBe(true);
    const big = new Float32Array(PERCENTILE_SAMPLES * 4).fill(3);
    expect(sortedSample(big, big.length, 1, 0).length).toBe(PERCENTILE_SAMPLES);
    expect(sortedSample(big, 10, 1, 0).length).toBe(10); // only the first frame's voxels
  });
});
