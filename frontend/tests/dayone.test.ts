// @vitest-environment happy-dom
/** Pure helpers of the day-one features: rename's kept extension, token lifetimes, the help's tool choice. */
import { describe, expect, it } from "vitest";
import { parseDays } from "../src/admin/api";
import { extensionOf } from "../src/files/api";
import { TOOLS, toolOf } from "../src/help/shortcuts";

describe("extensionOf", () => {
  it("keeps compressed double suffixes together", () => {
    expect(extensionOf("t1/s002.nii.gz")).toBe(".nii.gz");
    expect(extensionOf("tracts/a.trk.gz")).toBe(".trk.gz");
    expect(extensionOf("a.b/scan.NII")).toBe(".nii");
    expect(extensionOf("README")).toBe("");
  });
});

describe("parseDays", () => {
  it("takes empty as no expiry and refuses non-positive or huge values", () => {
    expect(parseDays("")).toEqual({ ok: true, days: null });
    expect(parseDays("30")).toEqual({ ok: true, days: 30 });
    expect(parseDays("0").ok).toBe(false);
    expect(parseDays("ten").ok).toBe(false);
    expect(parseDays("4000").ok).toBe(false);
  });
});

describe("toolOf", () => {
  it("names the tool of the element the user is in", () => {
    document.body.innerHTML =
      '<div class="study-table"><span id="t"></span></div><section data-testid="files-panel"><b id="f"></b></section><section class="viewer"><i id="v"></i></section>';
    expect(toolOf(document.getElementById("t"))).toBe("table");
    expect(toolOf(document.getElementById("f"))).toBe("files");
    expect(toolOf(document.getElementById("v"))).toBe("viewer");
    expect(toolOf(null)).toBe("viewer");
    expect(new Set(TOOLS.map((t) => t.id)).size).toBe(TOOLS.length);
  });
});
