/**
 * Mounts the processing windows on the desktop: the Batchtool and Gridstats buttons, NORA's keys B and G,
 * and their windows. The batch being edited lives here, so closing the batch tool keeps the draft; its
 * ticked rows follow the table's selection (Shift / Ctrl click).
 */
import { useEffect, useState } from "react";
import { TopTool } from "../components/TopTools";
import type { FilterParam, Filters, Sort } from "../lib/filters";
import { isTyping } from "../lib/keys";
import { useErrors } from "../state/errors";
import { processing, type JobRow } from "./api";
import { BatchTool, EMPTY_BATCH, type BatchDraft } from "./BatchTool";
import { JobMonitor } from "./JobMonitor";
import "./processing.css";

export function Processing(props: {
  project: string | null;
  filters: Filters;
  sort: Sort | null;
  onFilter: (param: FilterParam, value: string) => void;
  /** the table's selected rows (`PID#SID`) */
  marked: ReadonlySet<string>;
  /** the user may launch batches here (batchtool right or project admin) */
  canLaunch: boolean;
}) {
  const { report } = useErrors();
  const [open, setOpen] = useState<{ batch: boolean; monitor: boolean }>({ batch: false, monitor: false });
  const [draft, setDraft] = useState<BatchDraft>({ batch: EMPTY_BATCH, picked: props.marked });
  const markedKey = [...props.marked].sort().join("\u0000");
  useEffect(() => setDraft((d) => ({ ...d, picked: props.marked })), [markedKey]);
  useEffect(() => {
    setDraft({ batch: EMPTY_BATCH, picked: new Set() });
    setOpen({ batch: false, monitor: false });
  }, [props.project]);

  // NORA's keys: B the batch tool, G the job monitor (not while typing in a field)
  const canLaunch = props.canLaunch;
  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (e.defaultPrevented || isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      const key = e.key.toLowerCase();
      if (key === "b" && canLaunch) setOpen((o) => ({ ...o, batch: true }));
      else if (key === "g") setOpen((o) => ({ ...o, monitor: true }));
      else return;
      e.preventDefault();
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [canLaunch]);

  if (props.project === null) return null;
  const project = props.project;

  /** The failed jobs' batch, ready to correct and launch again on the failed rows. */
  async function rerunFailed(failed: JobRow[]) {
    props.onFilter("files", "JOB:e");
    const picked = new Set(failed.map((j) => j.psid));
    const batchId = failed.map((j) => j.batch_id).find((id) => id !== null);
    try {
      const batch = batchId === undefined || batchId === null ? draft.batch : await processing.batch(project, batchId);
      setDraft({ batch, picked });
    } catch (err) {
      report(err, "Loading the failed batch");
      setDraft((d) => ({ ...d, picked }));
    }
    setOpen({ batch: true, monitor: true });
  }

  return (
    <>
      <TopTool>
        {canLaunch ? (
          <button type="button" data-testid="open-batchtool" title="Batch tool (B)" onClick={() => setOpen((o) => ({ ...o, batch: !o.batch }))}>
            Batchtool
          </button>
        ) : null}
        <button type="button" data-testid="open-gridstats" title="Job monitor (G)" onClick={() => setOpen((o) => ({ ...o, monitor: !o.monitor }))}>
          Gridstats
        </button>
      </TopTool>
      {open.batch && canLaunch ? (
        <BatchTool project={project} filters={props.filters} sort={props.sort} draft={draft} onDraft={setDraft}
          onClose={() => setOpen((o) => ({ ...o, batch: false }))} onLaunched={() => setOpen((o) => ({ ...o, monitor: true }))} />
      ) : null}
      {open.monitor ? (
        <JobMonitor project={project} onClose={() => setOpen((o) => ({ ...o, monitor: false }))}
          onRerunFailed={canLaunch ? (failed) => void rerunFailed(failed) : null} />
      ) : null}
    </>
  );
}
