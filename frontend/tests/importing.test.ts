import { describe, expect, it } from "vitest";
import { importForm, reportLines, type ImportJob } from "../src/importing/api";

const job = (report: Record<string, unknown> | null): ImportJob => ({
  id: 3, name: "import x.zip", state: "d", progress: 1, message: "done", created_at: "", updated_at: "",
  pid: null, sid: null, report,
});

describe("import form", () => {
  it("sends the zip and only the options that are set", () => {
    const form = importForm(new Blob(["zip"]), "study.zip", { patients_id: " P1 ", studies_id: "", addtag_study: "a,b" });
    expect(form.get("patients_id")).toBe("P1");
    expect(form.has("studies_id")).toBe(false);
    expect(form.get("addtag_study")).toBe("a,b");
    expect((form.get("file") as File).name).toBe("study.zip");
  });
});

describe("report lines", () => {
  it("lists converted series, kept objects and every problem by name", () => {
    const lines = reportLines(job({
      converted: [{ study: "P#S", name: "t1", paths: ["t1/s002.json", "t1/s002.nii.gz"], notes: ["localiser"] }],
      objects: [{ study: "P#S", name: "report", kind: "SR" }],
      not_converted: [{ study: "P#S", name: "odd", reason: "no image" }],
      ignored_files: ["junk.txt: not DICOM"],
      warnings: [],
    }));
    expect(lines).toEqual([
      { kind: "ok", text: "P#S: t1 → t1/s002.nii.gz (localiser)" },
      { kind: "ok", text: 'P#S: SR object "report" kept as DICOM' },
      { kind: "warn", text: "P#S: odd not converted: no image" },
      { kind: "warn", text: "ignored junk.txt: not DICOM" },
    ]);
    expect(reportLines(job(null))).toEqual([]);
  });
});
