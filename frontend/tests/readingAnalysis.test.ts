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
