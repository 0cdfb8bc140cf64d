import { describe, expect, it } from "vitest";
import { MAX_TAG_LENGTH, newTags, parseTags, withPatientTags, withStudyTags } from "../src/lib/tags";

describe("parseTags", () => {
  it("splits on white space, commas and semicolons and drops duplicates", () => {
    expect(parseTags(" control, followup;Control  qc_ok ")).toEqual({ ok: true, tags: ["control", "followup", "qc_ok"] });
  });

  it("rejects empty input", () => {
    expect(parseTags(" , ")).toEqual({ ok: false, error: "Enter at least one tag." });
  });

  it("rejects filter operators with a precise message", () => {
    const result = parseTags("good bad&tag");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain('"bad&tag"');
    expect(parseTags("t1*").ok).toBe(false);
  });

  it("rejects over-long tags", () => {
    expect(parseTags("x".repeat(MAX_TAG_LENGTH)).ok).toBe(true);
    const result = parseTags("x".repeat(MAX_TAG_LENGTH + 1));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(`${MAX_TAG_LENGTH + 1} characters`);
  });

  it("keeps colons and underscores, which are legal in tags", () => {
    expect(parseTags("site:berlin needs_review")).toEqual({ ok: true, tags: ["site:berlin", "needs_review"] });
  });
});

describe("tag updates", () => {
  it("newTags leaves out tags already present", () => {
    expect(newTags(["Control"], ["control", "x"])).toEqual(["x"]);
  });

  it("patient tags change on every row of that patient, study tags on one row", () => {
    const rows = [
      { patient_id: 1, study_id: 10, ptags: [], stags: [] },
      { patient_id: 1, study_id: 11, ptags: [], stags: [] },
      { patient_id: 2, study_id: 20, ptags: [], stags: [] },
    ];
    const p = rows.map((r) => withPatientTags(r, 1, ["a"]));
    expect(p.map((r) => r.ptags)).toEqual([["a"], ["a"], []]);
    expect(p[2]).toBe(rows[2]);
    const s = rows.map((r) => withStudyTags(r, 11, ["b"]));
    expect(s.map((r) => r.stags)).toEqual([[], ["b"], []]);
  });
});
