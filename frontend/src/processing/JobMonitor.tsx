/** The job monitor (NORA's Gridstats): queued / running / error / done, search, sort, log, spec, kill, dismiss. */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { invalidate, keys } from "../api/queries";
import { FloatingWindow } from "../components/FloatingWindow";
import { useErrors } from "../state/errors";
import { loadSetting, saveSetting } from "../lib/storage";
import { processing, type JobDetail, type JobRow } from "./api";
import { STATE_NAMES } from "./batch";

const HIDE_DONE_KEY = "nora.jobs.hideDone";
const SORTS: [string, string][] = [["-id", "newest"], ["id", "oldest"], ["state", "state"], ["psid", "subject"], ["name", "job"]];

export function JobMonitor(props: {
  project: string;
  onClose: () => void;
  /** open the failed jobs' batch on their rows; null without the right to launch */
  onRerunFailed: ((failed: JobRow[]) => void) | null;
}) {
  const { report } = useErrors();
  const client = useQueryClient();
  const [search, setSearch] = useState("");
  const [sort, setSort] = useState("-id");
  const [hideDone, setHideDone] = useState(loadSetting(HIDE_DONE_KEY) !== "false");
  const [detail, setDetail] = useState<{ job: JobDetail; log: string } | null>(null);

  // Refetched by the desktop's live events ("jobs", "monitor": any job's state, phase or step changed,
  // whoever changed it) and at once after a write of this page (kill, dismiss, launch); never polled.
  const query = { search, sort, hide_done: hideDone };
  const list = useQuery({
    queryKey: [...keys.jobs(props.project), "list", query],
    queryFn: ({ signal }) => processing.jobs(props.project, query, signal),
    placeholderData: (previous) => previous,
  });
  const jobs: JobRow[] | null = list.data ?? null;
  useEffect(() => {
    if (list.error) report(list.error, "Loading the jobs");
  }, [list.error, list.errorUpdatedAt, report]);

  async function open(id: number) {
    try {
      const [job, log] = await Promise.all([processing.job(props.project, id), processing.log(props.project, id)]);
      setDetail({ job, log });
    } catch (err) {
      report(err, "Loading the job");
    }
  }

  async function act(kind: "kill" | "dismiss", ids: number[]) {
    if (ids.length === 0) return;
    try {
      await (kind === "kill" ? processing.kill(props.project, ids) : processing.dismiss(props.project, ids));
      await invalidate(client, { kind: "jobs", project: props.project });
    } catch (err) {
      report(err, kind === "kill" ? "Killing jobs" : "Dismissing errors");
    }
  }

  const counts = { q: 0, r: 0, e: 0, d: 0 } as Record<string, number>;
  for (const j of jobs ?? []) counts[j.state] = (counts[j.state] ?? 0) + 1;
  const failed = (jobs ?? []).filter((j) => j.state === "e");
  const errors = failed.map((j) => j.id);
  const rerun = props.onRerunFailed;

  return (
    <FloatingWindow id="job-monitor" testId="job-monitor" label="Job monitor" className="proc-window" headClassName="proc-head"
      initial={monitorPlace} onClose={props.onClose}
      head={<>
        <strong>Gridstats</strong>
        <span data-testid="job-counts">
          {(["q", "r", "e", "d"] as const).map((s) => (
            <span key={s} className={`job job-${s}`} title={STATE_NAMES[s]}>
              {STATE_NAMES[s]} {counts[s] ?? 0}
            </span>
          ))}
        </span>
        {jobs === null ? <span className="muted">loading…</span> : null}
        <span className="spacer" />
        <button type="button" onClick={props.onClose} aria-label="Close job monitor">×</button>
      </>}>
      <div className="proc-tools">
        <input placeholder="search subject, job, message" value={search} onChange={(e) => setSearch(e.target.value)}
          data-testid="job-search" />
        <select value={sort} onChange={(e) => setSort(e.target.value)} aria-label="Sort jobs">
          {SORTS.map(([k, label]) => <option key={k} value={k}>{label}</option>)}
        </select>
        <label>
          <input type="checkbox" checked={hideDone} data-testid="hide-done"
            onChange={(e) => { setHideDone(e.target.checked); saveSetting(HIDE_DONE_KEY, String(e.target.checked)); }} />
          hide finished
        </label>
        {rerun ? (
          <button type="button" disabled={errors.length === 0} onClick={() => void act("dismiss", errors)}>
            Dismiss errors
          </button>
        ) : null}
        {rerun ? (
          <button type="button" data-testid="rerun-failed" disabled={errors.length === 0} onClick={() => rerun(failed)}
            title="Select the subjects with failed jobs in the table (JOB:e) and open their batch in the batch tool">
            Select failed &amp; rerun
          </button>
        ) : null}
      </div>
      <div className="proc-table" data-testid="job-rows">
        <table>
          <thead><tr><th>id</th><th>subject</th><th>job</th><th>kind</th><th>batch</th><th>state</th><th>queue</th><th>message</th><th /></tr></thead>
          <tbody>
            {(jobs ?? []).map((j) => (
              <tr key={j.id} className={`job-row state-${j.state}`} data-testid="job-row" data-state={j.state}>
                <td>{j.id}</td>
                <td>{j.psid}</td>
                <td><button type="button" className="link" onClick={() => void open(j.id)} title="log and JSON spec">{j.name}</button></td>
                <td data-testid="job-kind">{j.kind === "job" ? "batch" : j.kind}</td>
                <td>{j.batch}</td>
                <td>
                  <span className={`job job-${j.state}`}>{STATE_NAMES[j.state] ?? j.state}</span>
                  {j.state === "r" && j.progress > 0 ? <JobProgress fraction={j.progress} /> : null}
                </td>
                <td>{j.queue}</td>
                <td className="ellipsis" title={j.message}>{j.message}</td>
                <td>
                  {rerun && (j.state === "q" || j.state === "r") ? (
                    <button type="button" onClick={() => void act("kill", [j.id])}>kill</button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {jobs !== null && jobs.length === 0 ? <div className="empty">No jobs.</div> : null}
      </div>
      {detail ? (
        <div className="proc-detail" data-testid="job-detail">
          <div className="proc-head">
            <strong>Job {detail.job.id}</strong> <span>{detail.job.psid}</span>
            <span className="spacer" />
            <button type="button" onClick={() => setDetail(null)} aria-label="Close job detail">×</button>
          </div>
          <h4>Log</h4>
          <pre data-testid="job-log">{detail.log || "(empty)"}</pre>
          {detail.job.error ? (<><h4>Error record</h4><pre>{JSON.stringify(detail.job.error, null, 2)}</pre></>) : null}
          <h4>Spec</h4>
          <pre data-testid="job-spec">{JSON.stringify(detail.job.spec, null, 2)}</pre>
        </div>
      ) : null}
    </FloatingWindow>
  );
}

/** A running job's progress (what it wrote in its progress.json, read by the daemon's rounds; live events refetch). */
function JobProgress(props: { fraction: number }) {
  const percent = Math.round(props.fraction * 100);
  return (
    <span className="job-progress" data-testid="job-progress" title={`${percent} % done`}>
      <progress max={1} value={props.fraction} aria-label="job progress" /> {percent} %
    </span>
  );
}

function monitorPlace() {
  const width = Math.min(820, window.innerWidth - 32);
  const height = Math.round(window.innerHeight * 0.4);
  return { left: window.innerWidth - width - 16, top: window.innerHeight - height - 8, width, height };
}
