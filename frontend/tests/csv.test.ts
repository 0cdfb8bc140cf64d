import { describe, expect, it } from "vitest";
import { csvCell, csvText } from "../src/lib/csv";
import { statsCsv } from "../src/annotation/stats";

describe("the CSV formula guard", () => {
  it("writes text a spreadsheet would run as text, and leaves numbers", () => {
    expect(csvCell("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(csvCell("+1+1")).toBe("'+1+1");
    expect(csvCell("-2+3")).toBe("'-2+3");
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvCell("\t=1")).toBe("'\t=1");
    expect(csvCell("-3.5")).toBe("-3.5");
    expect(csvCell(-3.5)).toBe("-3.5");
    expect(csvCell(null)).toBe("");
    expect(csvCell('a,"b"')).toBe('"a,""b"""');
    expect(csvCell("\r=1")).toBe("\"'\r=1\"");
  });
  it("guards the ROIstats copy (an ROI named like a formula)", () => {
    const stats = { voxels: 1, volume_ml: -0.5, area_cm2: null, mean: 1, std: 0, median: 1, p25: 1, p75: 1, min: 1, max: 1 };
    const line = statsCsv([{ roi: "=cmd|' /C calc'!A0", image: "t1", stats }]).split("\n")[1]!;
    expect(line.startsWith("'=cmd|' /C calc'!A0,t1,1,-0.5,,")).toBe(true);
    expect(csvText(["a"], [["=x"]])).toBe("a\n'=x\n");
  });
});
