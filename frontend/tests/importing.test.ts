import { describe, expect, it } from "vitest";
import type { ImportReport } from "../src/api/schema";
import { importForm, reportLines, type ImportJob } from "../src/importing/api";

const EMPTY: ImportReport = {
  job_id: 3, studies_created: [], studies_updated: [], converted: [], not_converted: [], objects: [], extra_files: [],
  duplicates_skipped: 0, ignored_files: [], warnings: [],
};

const job = (report: ImportReport | null): ImportJob => ({
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
      ...EMPTY,
      converted: [{ study: "P#S", name: "t1", series_uid: "1.2", n_instances: 2, paths: ["t1/s002.json", "t1/s002.nii.gz"], notes: ["localiser"] }],
      objects: [{ study: "P#S", name: "report", kind: "SR", n_instances: 1, paths: [] }],
      not_converted: [{ study: "P#S", name: "odd", series_uid: "1.3", reason: "no image" }],
      ignored_files: ["junk.txt: not DICOM"],
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
