/** Pure helpers of the batch tool: argument rows of a script, new jobs from the catalog, job state names. */
import type { ArgRow, BatchDef, CatalogEntry, JobArg, JobDef } from "./api";

/** An argument row with its empty value (numbers start at 0). */
function emptyArg(name: string, type: JobArg["type"]): JobArg {
  return { name, type, value: type === "NUMERIC" ? 0 : "", ref: "", multi: false };
}

/**
 * The arguments for the rows a script refers to (the server's answer to `POST /processing/script-rows`):
 * rows kept with their values when name and type still match, new rows added, the others dropped.
 */
export function syncScriptArgs(rows: ArgRow[], args: JobArg[]): JobArg[] {
  const old = new Map(args.map((a) => [a.name, a]));
  return rows.map(({ name, type }) => {
    const prev = old.get(name);
    return prev && prev.type === type ? prev : emptyArg(name, type);
  });
}

/** True when two argument lists hold the same rows (so a script edit that changes none is a no-op). */
export function sameArgs(a: JobArg[], b: JobArg[]): boolean {
  return a.length === b.length && a.every((arg, i) => arg === b[i]);
}

/** Default scripts of the generic jobs; their rows come from the server once the job is added. */
export const DEFAULT_SCRIPTS: Record<string, string> = { bash: 'cp "$f1" "$o1"', python: "print($f1)" };

/** A fresh job of the catalog with its declared rows and defaults. */
export function newJob(entry: CatalogEntry): JobDef {
  const script = DEFAULT_SCRIPTS[entry.id];
  const base = { job: entry.id, label: "", script: "", args: [], timeout_s: null };
  if (script !== undefined) return { ...base, script };
  return {
    ...base,
    args: entry.args.map((a) => ({ name: a.name, type: a.type, value: a.default, ref: "", multi: a.multi })),
  };
}

/** A batch as sent to the server: empty optional rows dropped. */
export function cleanBatch(batch: BatchDef, catalog: CatalogEntry[] = []): BatchDef {
  // an empty FILE row that its built-in declares optional (contrast2 ...) is an input left out
  const optional = (job: string, name: string) =>
    catalog.some((c) => c.id === job && c.args.some((a) => a.name === name && a.type === "FILE" && !a.required));
  return {
    ...batch,
    jobs: batch.jobs.map((j) => ({
      ...j,
      args: j.args.filter((a) => !(a.value === "" && (a.type === "NUMERIC" || a.type === "OPTION" || a.type === "STRING"
        || (a.type === "FILE" && optional(j.job, a.name))))),
    })),
  };
}

export const STATE_NAMES: Record<string, string> = { q: "queued", r: "running", e: "error", d: "done", x: "dismissed" };

export const PATTERN_HELP =
  "File pattern relative to the study folder: folder/file with * (any run) and _ (one character), e.g. t1*/s0*.nii; " +
  "several alternatives separated by spaces; tag:T selects files tagged T. Outputs: name, optionally 'name TAG(tag)'. " +
  "Study reference (optional): LATEST, OLDEST, OLDEST1, tag:baseline or a study ID pattern.";
