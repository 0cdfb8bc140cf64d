/** The batch tool: compose a batch from the job menu, fill its arguments, save/load it, launch it on rows. */
import { useQueries, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { ApiError } from "../api/client";
import { invalidate, keys } from "../api/queries";
import { FloatingWindow } from "../components/FloatingWindow";
import { filterKey, type Filters, type Sort } from "../lib/filters";
import { messageOf, useErrors } from "../state/errors";
import { useDebounced } from "../state/useDebounced";
import { studyPageQuery } from "../state/useStudyPages";
import { ModelPicker } from "../segmentation/ModelPicker";
import { processing, type BatchDef, type CatalogEntry, type JobArg, type JobDef } from "./api";
import { cleanBatch, newJob, PATTERN_HELP, sameArgs, syncScriptArgs } from "./batch";

const MAX_ROWS = 1000;
const SCRIPT_DEBOUNCE_MS = 200;

/** The batch being edited and its ticked rows: held by the desktop, so closing the tool keeps the draft. */
export interface BatchDraft {
  batch: BatchDef;
  /** ticked rows as `PID#SID` (the table's selected rows, "all filtered", or the failed ones of a rerun) */
  picked: ReadonlySet<string>;
}

export const EMPTY_BATCH: BatchDef = { name: "", level: "study", jobs: [] };

export function BatchTool(props: {
  project: string;
  filters: Filters;
  sort: Sort | null;
  draft: BatchDraft;
  onDraft: (update: (d: BatchDraft) => BatchDraft) => void;
  onClose: () => void;
  onLaunched: () => void;
}) {
  const { report } = useErrors();
  const client = useQueryClient();
  const { batch, picked } = props.draft;
  const setBatch = (next: BatchDef | ((b: BatchDef) => BatchDef)) =>
    props.onDraft((d) => ({ ...d, batch: typeof next === "function" ? next(d.batch) : next }));
  const setPicked = (next: ReadonlySet<string> | ((p: ReadonlySet<string>) => ReadonlySet<string>)) =>
    props.onDraft((d) => ({ ...d, picked: typeof next === "function" ? next(d.picked) : next }));
  const [menu, setMenu] = useState("bash");
  const [chosenQueue, setQueue] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ text: string; failed: boolean } | null>(null);

  const catalogQuery = useQuery({ queryKey: keys.catalog(), queryFn: ({ signal }) => processing.catalog(signal), staleTime: 60_000 });
  const savedQuery = useQuery({
    queryKey: keys.savedBatches(props.project),
    queryFn: ({ signal }) => processing.saved(props.project, signal),
  });
  const rowsQuery = useQuery(studyPageQuery(props.project, filterKey(props.filters, props.sort), 0, MAX_ROWS));
  const catalog = catalogQuery.data ?? null;
  const saved = savedQuery.data ?? [];
  const rows = rowsQuery.data?.items ?? null;
  const queues = catalog?.queues ?? [];
  const queue = chosenQueue ?? queues.find((q) => q.default && q.allowed)?.name ?? queues.find((q) => q.allowed)?.name ?? "";

  // A script's rows come from the server: until its answer for the script as it reads now is in and
  // applied, the batch is not sent (the server would refuse it, or run it with the old rows).
  const generic = batch.jobs.filter((j) => j.job === "bash" || j.job === "python");
  const scriptRows = useQueries({
    queries: generic.map((j) => ({
      queryKey: keys.scriptRows(j.script),
      queryFn: () => processing.scriptRows(j.script),
      enabled: false,
    })),
  });
  const rowsPending = generic.some((j, i) => {
    const rows = scriptRows[i]?.data;
    return rows === undefined || !sameArgs(syncScriptArgs(rows, j.args), j.args);
  });

  useEffect(() => {
    if (catalogQuery.error) report(catalogQuery.error, "Loading the job catalog");
  }, [catalogQuery.error, report]);
  useEffect(() => {
    if (savedQuery.error) report(savedQuery.error, "Loading saved batches");
  }, [savedQuery.error, report]);
  useEffect(() => {
    if (rowsQuery.error) report(rowsQuery.error, "Loading the table rows");
  }, [rowsQuery.error, report]);
  // Launched on the ticked rows the filtered table still holds.
  const rowKeys = (rows ?? []).map((r) => `${r.pid}#${r.sid}`);
  const targets = rowKeys.filter((k) => picked.has(k));

  function setJob(index: number, job: JobDef) {
    setBatch((b) => ({ ...b, jobs: b.jobs.map((j, i) => (i === index ? job : j)) }));
  }

  function addJob() {
    const entry = catalog?.jobs.find((j) => j.id === menu);
    // a cohort job (training a model) runs once over all ticked studies: the batch takes that level
    if (entry) setBatch((b) => ({ ...b, level: entry.level === "cohort" ? "cohort" : b.level === "cohort" ? "study" : b.level,
      jobs: [...b.jobs, newJob(entry)] }));
  }

  async function save() {
    const name = batch.name.trim();
    if (!name) return setResult({ text: "Give the batch a name first.", failed: true });
    try {
      await processing.save(props.project, name, cleanBatch(batch, catalog?.jobs ?? []), false);
      await invalidate(client, { kind: "saved-batches", project: props.project });
      setResult({ text: `saved batch ${name}`, failed: false });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) report(err, "Saving the batch");
      else setResult({ text: `Saving the batch: ${messageOf(err)}`, failed: true });
    }
  }

  async function launch() {
    setBusy(true);
    setResult(null);
    try {
      const out = await processing.launch(props.project, cleanBatch(batch, catalog?.jobs ?? []), targets, queue || null);
      setResult({
        text: `batch ${out.batch_id} launched on ${queue} (${out.executor}): ${out.jobs} jobs` +
          (out.errors.length ? `, ${out.errors.length} could not start: ${out.errors[0]?.message ?? ""}` : ""),
        failed: false,
      });
      void invalidate(client, { kind: "jobs", project: props.project });
      props.onLaunched();
    } catch (err) {
      // refused (a bad argument, a list for a one-file job): said here, where the user launched it
      if (err instanceof ApiError && err.status === 401) report(err, "Launching the batch");
      else setResult({ text: `Not launched: ${messageOf(err)}`, failed: true });
    } finally {
      setBusy(false);
    }
  }

  return (
    <FloatingWindow id="batch-tool" testId="batch-tool" label="Batch tool" className="proc-window" headClassName="proc-head"
      initial={batchPlace} onClose={props.onClose}
      head={<>
        <strong>Batchtool</strong>
        <input placeholder="batch name" value={batch.name} data-testid="batch-name"
          onChange={(e) => setBatch({ ...batch, name: e.target.value })} />
        <select aria-label="Selection level" value={batch.level}
          onChange={(e) => setBatch({ ...batch, level: e.target.value as BatchDef["level"] })}>
          <option value="study">per study</option>
          <option value="subject">per subject</option>
          <option value="cohort">one job over all (analysis)</option>
        </select>
        <button type="button" onClick={() => void save()} disabled={rowsPending}>Save</button>
        <select aria-label="Load a saved batch" value="" data-testid="load-batch"
          onChange={(e) => { const doc = saved.find((d) => d.name === e.target.value); if (doc) setBatch(doc.content); }}>
          <option value="">load…</option>
          {saved.map((d) => <option key={d.name} value={d.name}>{d.name}{d.shared ? " (shared)" : ""}</option>)}
        </select>
        <span className="spacer" />
        <button type="button" onClick={() => props.onDraft(() => ({ batch: EMPTY_BATCH, picked }))} title="start a new, empty batch"
          data-testid="batch-new">New</button>
        <button type="button" onClick={props.onClose} aria-label="Close batch tool" title="close (the draft is kept)">×</button>
      </>}>
      <div className="proc-body">
        <div className="proc-jobs">
          <div className="proc-tools">
            <select aria-label="Job menu" value={menu} onChange={(e) => setMenu(e.target.value)} data-testid="job-menu">
              {(catalog?.jobs ?? []).map((j) => <option key={j.id} value={j.id}>{j.title}</option>)}
            </select>
            <button type="button" onClick={addJob} data-testid="add-job" disabled={catalog === null}>Add job</button>
          </div>
          {batch.jobs.map((job, i) => (
            <JobCard key={i} index={i} job={job} project={props.project} entry={catalog?.jobs.find((c) => c.id === job.job)}
              onChange={(j) => setJob(i, j)}
              onRemove={() => setBatch((b) => ({ ...b, jobs: b.jobs.filter((_, k) => k !== i) }))} />
          ))}
          {batch.jobs.length === 0 ? <div className="empty">Add jobs from the menu; they run one after another.</div> : null}
        </div>
        <div className="proc-rows">
          <div className="proc-tools">
            <strong>Rows</strong>
            <span className="muted" data-testid="batch-picked">{targets.length} of {rows?.length ?? 0} ticked</span>
            <button type="button" data-testid="pick-all" title="tick every row of the filtered table"
              onClick={() => setPicked(new Set(rowKeys))}>all filtered</button>
            <button type="button" data-testid="pick-none" onClick={() => setPicked(new Set())}>none</button>
          </div>
          <div className="proc-rowlist" data-testid="batch-rows">
            {rows === null ? <div className="muted">loading…</div> : null}
            {(rows ?? []).map((r) => {
              const key = `${r.pid}#${r.sid}`;
              return (
                <label key={key} className="proc-row">
                  <input type="checkbox" checked={picked.has(key)} data-psid={key}
                    onChange={(e) => setPicked((p) => { const n = new Set(p); if (e.target.checked) n.add(key); else n.delete(key); return n; })} />
                  {key} <span className="muted">{r.sdesc}</span>
                </label>
              );
            })}
          </div>
          <div className="proc-tools">
            <select aria-label="Queue" value={queue} onChange={(e) => setQueue(e.target.value)} data-testid="queue">
              {queues.map((q) => (
                <option key={q.name} value={q.name} disabled={!q.allowed}>{q.name}{q.partition ? ` → ${q.partition}` : ""}</option>
              ))}
            </select>
            <button type="button" data-testid="launch" disabled={busy || rowsPending || batch.jobs.length === 0 || targets.length === 0}
              title={rowsPending ? "reading the scripts' arguments…" : undefined}
              onClick={() => void launch()}>
              {busy ? "Launching…" : `Launch on ${targets.length}`}
            </button>
          </div>
          {rows !== null && targets.length === 0 ? (
            <div className="muted proc-result">Select rows in the table (Shift / Ctrl click) or tick “all filtered”.</div>
          ) : null}
          {result ? (
            <div className={`proc-result ${result.failed ? "failed" : ""}`} data-testid="launch-result"
              role={result.failed ? "alert" : undefined}>{result.text}</div>
          ) : null}
        </div>
      </div>
    </FloatingWindow>
  );
}

function batchPlace() {
  return { left: 40, top: 44, width: Math.min(1180, window.innerWidth - 80), height: Math.round(window.innerHeight * 0.55) }
}


/** The rows a script refers to, as the server lists them (its `$f1` rule); null while asking. */
export function useScriptRows(script: string | null) {
  const { report } = useErrors();
  const text = useDebounced(script, SCRIPT_DEBOUNCE_MS);
  const query = useQuery({
    queryKey: keys.scriptRows(text ?? ""),
    queryFn: ({ signal }) => processing.scriptRows(text ?? "", signal),
    enabled: text !== null,
    staleTime: Infinity,
  });
  useEffect(() => {
    if (query.error) report(query.error, "Reading the script's arguments");
  }, [query.error, report]);
  // An answer for an older text of the script is not this script's rows.
  return text === script ? (query.data ?? null) : null;
}

function JobCard(props: {
  index: number;
  job: JobDef;
  project: string;
  /** the job's catalog entry (its rows' declarations), once the catalog is in */
  entry: CatalogEntry | undefined;
  onChange: (j: JobDef) => void;
  onRemove: () => void;
}) {
  const { job } = props;
  const generic = job.job === "bash" || job.job === "python";
  const rows = useScriptRows(generic ? job.script : null);
  useEffect(() => {
    if (rows === null) return;
    const args = syncScriptArgs(rows, job.args);
    if (!sameArgs(args, job.args)) props.onChange({ ...job, args });
    // the job's other edits do not change which rows its script refers to
  }, [rows]);
  const choices = (name: string) => props.entry?.args.find((a) => a.name === name)?.choices ?? "";
  function setArg(k: number, arg: JobArg) {
    props.onChange({ ...job, args: job.args.map((a, i) => (i === k ? arg : a)) });
  }
  return (
    <div className="proc-job" data-testid="job-card">
      <div className="proc-tools">
        <strong>{props.index + 1}. {job.job}</strong>
        <input placeholder="label" value={job.label} onChange={(e) => props.onChange({ ...job, label: e.target.value })} />
        <span className="spacer" />
        <button type="button" onClick={props.onRemove} aria-label="Remove job">remove</button>
      </div>
      {generic ? (
        <textarea className="proc-script" rows={4} value={job.script} data-testid="job-script" spellCheck={false}
          title="Refer to arguments as $f1..$f9 (files), $o1.. (outputs), $p1.. (output folders), $s1.. (strings), $n1.. (numbers)"
          onChange={(e) => props.onChange({ ...job, script: e.target.value })} />
      ) : null}
      {job.args.map((arg, k) => (
        <div key={arg.name} className="proc-arg" data-testid="arg-row" data-arg={arg.name}>
          <span className="proc-argname" title={PATTERN_HELP}>{arg.name} <small>{arg.type}</small></span>
          {arg.type === "LOGICAL" ? (
            <input type="checkbox" checked={Boolean(arg.value)} onChange={(e) => setArg(k, { ...arg, value: e.target.checked })} />
          ) : choices(arg.name) === "models" ? (
            <ModelPicker project={props.project} value={String(arg.value)} onChange={(value) => setArg(k, { ...arg, value })} />
          ) : (
            <input value={String(arg.value)} title={PATTERN_HELP} data-testid={`arg-${arg.name}`}
              placeholder={arg.type === "FILE" ? "t1*/s0*.nii" : arg.type === "OUT" ? "RESULTS/out.nii.gz TAG(tag)" : ""}
              onChange={(e) => setArg(k, { ...arg, value: e.target.value })} />
          )}
          {arg.type === "FILE" || arg.type === "OUT" || arg.type === "PATHOUT" ? (
            <input className="proc-ref" placeholder="study ref" title={PATTERN_HELP} value={arg.ref}
              onChange={(e) => setArg(k, { ...arg, ref: e.target.value })} />
          ) : null}
          {arg.type === "FILE" ? (
            <label title="accept several files"><input type="checkbox" checked={arg.multi}
              onChange={(e) => setArg(k, { ...arg, multi: e.target.checked })} />several</label>
          ) : null}
        </div>
      ))}
    </div>
  );
}
