import { describe, expect, it } from "vitest";
import { cleanBatch, newJob, scriptRows, syncScriptArgs } from "../src/processing/batch";

describe("batch tool helpers", () => {
  it("finds the argument rows a script refers to, in NORA's order", () => {
    expect(scriptRows('cp "$o1" ${f2}; echo $n1 $f1 $s1 $p1 $f1')).toEqual([
      { name: "f1", type: "FILE" },
      { name: "f2", type: "FILE" },
      { name: "o1", type: "OUT" },
      { name: "p1", type: "PATHOUT" },
      { name: "s1", type: "STRING" },
      { name: "n1", type: "NUMERIC" },
    ]);
    expect(scriptRows("echo $HOME $x1 $f0")).toEqual([]);
  });

  it("keeps values of rows still referred to and drops the others", () => {
    const args = syncScriptArgs("cat $f1 > $o1", []);
    args[0]!.value = "t1*/s0*.nii";
    const next = syncScriptArgs("cat $f1 $f2", args);
    expect(next.map((a) => [a.name, a.value])).toEqual([["f1", "t1*/s0*.nii"], ["f2", ""]]);
  });

  it("builds catalog jobs with defaults and drops empty optional rows", () => {
    const job = newJob({ id: "smooth", title: "s", args: [
      { name: "input", type: "FILE", default: "", options: [], multi: false },
      { name: "fwhm", type: "NUMERIC", default: 4, options: [], multi: false },
      { name: "high", type: "NUMERIC", default: "", options: [], multi: false },
    ] });
    expect(job.args.map((a) => a.value)).toEqual(["", 4, ""]);
    expect(cleanBatch({ name: "b", level: "study", jobs: [job] }).jobs[0]!.args.map((a) => a.name)).toEqual(["input", "fwhm"]);
  });
});
