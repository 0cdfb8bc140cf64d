/** Pure helpers of the batch tool: argument rows from scripts, new jobs from the catalog, job state names. */
import type { ArgType, BatchDef, JobArg, JobDef } from "./api";

const PREFIX: Record<string, ArgType> = { f: "FILE", o: "OUT", p: "PATHOUT", s: "STRING", n: "NUMERIC" };
const ORDER = "fopsn";

/** The rows a Bash/Python script refers to: `$f1` → FILE f1, `${o2}` → OUT o2 … in a stable order. */
export function scriptRows(script: string): { name: string; type: ArgType }[] {
  const seen = new Map<string, ArgType>();
  for (const m of script.matchAll(/\$\{?([fopsn])([1-9][0-9]?)\b\}?/g)) {
    const name = `${m[1]}${m[2]}`;
    if (!seen.has(name)) seen.set(name, PREFIX[m[1] as string] as ArgType);
  }
  return [...seen.entries()]
    .map(([name, type]) => ({ name, type }))
    .sort((a, b) => ORDER.indexOf(a.name[0] ?? "") - ORDER.indexOf(b.name[0] ?? "") || Number(a.name.slice(1)) - Number(b.name.slice(1)));
}

/** Keep the values of rows the script still refers to, add new rows, drop the others. */
export function syncScriptArgs(script: string, args: JobArg[]): JobArg[] {
  const old = new Map(args.map((a) => [a.name, a]));
  return scriptRows(script).map(({ name, type }) => {
    const prev = old.get(name);
    return prev && prev.type === type ? prev : { name, type, value: type === "NUMERIC" ? 0 : "", ref: "" };
  });
}

export interface CatalogJob {
  id: string;
  title: string;
  args: { name: string; type: string; default: unknown; options: string[]; multi: boolean }[];
}

/** A fresh job of the catalog with its declared rows and defaults. */
export function newJob(entry: CatalogJob): JobDef {
  if (entry.id === "bash" || entry.id === "python") {
    const script = entry.id === "bash" ? 'cp "$f1" "$o1"' : "print($f1)";
    return { job: entry.id, label: "", script, args: syncScriptArgs(script, []) };
  }
  return {
    job: entry.id,
    label: "",
    args: entry.args.map((a) => ({
      name: a.name,
      type: a.type as ArgType,
      value: (a.default as string | number | boolean | null) ?? "",
      ref: "",
      multi: a.multi,
    })),
  };
}

/** A batch as sent to the server: empty optional rows dropped. */
export function cleanBatch(batch: BatchDef): BatchDef {
  return {
    ...batch,
    jobs: batch.jobs.map((j) => ({
      ...j,
      args: j.args.filter((a) => !(a.value === "" && (a.type === "NUMERIC" || a.type === "OPTION" || a.type === "STRING"))),
    })),
  };
}

export const STATE_NAMES: Record<string, string> = { q: "queued", r: "running", e: "error", d: "done", x: "dismissed" };

export const PATTERN_HELP =
  "File pattern relative to the study folder: folder/file with * (any run) and _ (one character), e.g. t1*/s0*.nii; " +
  "several alternatives separated by spaces; tag:T selects files tagged T. Outputs: name, optionally 'name TAG(tag)'. " +
  "Study reference (optional): LATEST, OLDEST, OLDEST1, tag:baseline or a study ID pattern.";
