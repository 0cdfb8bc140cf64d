import { describe, expect, it } from "vitest";
import { parsePositive } from "../src/reading/Analysis";
import { fmt, readerColour, rocPoints } from "../src/reading/roc";

describe("reading analysis helpers", () => {
  it("draws an ROC curve in the plot square, y downwards", () => {
    expect(rocPoints([0, 0.5, 1], [0, 1, 1], 100)).toBe("0.0,100.0 50.0,0.0 100.0,0.0");
    expect(rocPoints([0, 1], [0, 1], 120, 10)).toBe("10.0,110.0 110.0,10.0");
  });
  it("reads the positive answers of items", () => {
    expect(parsePositive("q=b; finding = yes, 1 ;broken")).toEqual({ q: ["b"], finding: ["yes", "1"] });
    expect(parsePositive("")).toEqual({});
  });
  it("formats undefined numbers as a dash and keeps reader colours stable", () => {
    expect(fmt(null)).toBe("–");
    expect(fmt(Number.NaN)).toBe("–");
    expect(fmt(0.123456)).toBe("0.123");
    expect(readerColour(["a", "b"], "b")).not.toBe(readerColour(["a", "b"], "a"));
  });
});

describe("the ROI agreement export", () => {
  it("has one line per compared case, names guarded against formulas", async () => {
    const { roiCsv } = await import("../src/reading/RoiAgreement");
    const pair = { raters: ["ann", "=ben"], n: 1, dice_mean: 0.64, dice_sd: null, dice_median: 0.64, hd95_mean: 2, hd95_median: 2,
      cases: [{ case: "P1#S1", dice: 0.64, hd95_mm: 2 }] };
    expect(roiCsv([{ item: "lesion", arm: "serious", reference: null, pairs: [pair], notes: [] }])).toBe(
      "item,arm,reader_a,reader_b,case,dice,hd95_mm\nlesion,serious,ann,'=ben,P1#S1,0.64,2\n",
    );
  });
});

describe("the marker agreement export", () => {
  it("has one line per compared case with its counts, ratios and the tolerance", async () => {
    const { markerCsv } = await import("../src/reading/MarkerAgreement");
    const c = { case: "P1#S1", n_a: 2, n_b: 1, matched: 1, sensitivity: 0.5, precision: 1, f1: 2 / 3, mean_mm: 1.5, max_mm: 1.5,
      matches: [{ a: 0, b: 0, a_name: "P1", b_name: "P1", distance_mm: 1.5 }] };
    const empty = { ...c, case: "P2#S1", n_a: 0, n_b: 0, matched: 0, sensitivity: null, precision: null, f1: null, mean_mm: null, max_mm: null, matches: [] };
    const pair = { raters: ["ref", "-ben"], n: 2, n_a: 2, n_b: 1, matched: 1, sensitivity: 0.5, precision: 1, f1: 2 / 3, mean_mm: 1.5, max_mm: 1.5, cases: [c, empty] };
    const text = markerCsv([{ item: "marks", arm: "serious", reference: "ref", tolerance_mm: 5, by_label: false, pairs: [pair], notes: [] }]);
    expect(text.split("\n")).toEqual([
      "item,arm,reader_a,reader_b,case,n_a,n_b,matched,sensitivity,precision,f1,mean_mm,max_mm,tolerance_mm",
      `marks,serious,ref,'-ben,P1#S1,2,1,1,0.5,1,${2 / 3},1.5,1.5,5`,
      "marks,serious,ref,'-ben,P2#S1,0,0,0,,,,,,5",
      "",
    ]);
  });
});
