import { describe, expect, it } from "vitest";
import type { CatalogArg } from "../src/api/schema";
import { cleanBatch, newJob, syncScriptArgs } from "../src/processing/batch";

const arg = (name: string, type: CatalogArg["type"], value: CatalogArg["default"]): CatalogArg => ({
  name, type, default: value, help: "", required: false, options: [], multi: false, choices: "",
});

describe("batch tool helpers", () => {
  it("keeps values of rows the server still lists and drops the others", () => {
    const args = syncScriptArgs([{ name: "f1", type: "FILE" }, { name: "o1", type: "OUT" }], []);
    args[0]!.value = "t1*/s0*.nii";
    const next = syncScriptArgs([{ name: "f1", type: "FILE" }, { name: "f2", type: "FILE" }], args);
    expect(next.map((a) => [a.name, a.value])).toEqual([["f1", "t1*/s0*.nii"], ["f2", ""]]);
    expect(next[0]).toBe(args[0]);
  });

  it("starts generic jobs with their default script and no rows (the server lists them)", () => {
    const job = newJob({ id: "bash", title: "Generic Bash job", description: "", level: "study", args: [] });
    expect(job.script).toBe('cp "$f1" "$o1"');
    expect(job.args).toEqual([]);
  });

  it("builds catalog jobs with defaults and drops empty optional rows", () => {
    const job = newJob({ id: "smooth", title: "s", description: "", level: "study", args: [
      arg("input", "FILE", ""), arg("fwhm", "NUMERIC", 4), arg("high", "NUMERIC", ""),
    ] });
    expect(job.args.map((a) => a.value)).toEqual(["", 4, ""]);
    expect(cleanBatch({ name: "b", level: "study", jobs: [job] }).jobs[0]!.args.map((a) => a.name)).toEqual(["input", "fwhm"]);
    const entry = { id: "patchwork_train", title: "t", description: "", level: "cohort", args: [
      { ...arg("contrast1", "FILE", ""), required: true }, arg("contrast2", "FILE", ""),
    ] };
    const train = newJob(entry);
    expect(cleanBatch({ name: "b", level: "cohort", jobs: [train] }, [entry]).jobs[0]!.args.map((a) => a.name))
      .toEqual(["contrast1"]);  // the required row stays, so the server says it needs a value
  });
});
