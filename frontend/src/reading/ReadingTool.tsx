/**
 * The reading tool on the desktop: the Reading button (NORA's R in the toolbar), the list of readings the
 * user may access with their progress, start / continue per stage, instructions, configuration (reading
 * admins), results with the CSV export, and the case reader and form designer windows.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { FloatingWindow } from "../components/FloatingWindow";
import { TopTool } from "../components/TopTools";
import { useErrors } from "../state/errors";
import { readingApi, type ReadingSummary, type ResultOut, type StageName } from "./api";
import { Analysis } from "./Analysis";
import { CaseReader } from "./CaseReader";
import { Designer } from "./Designer";
import "./reading.css";

const listKey = (project: string) => ["project", project, "readings"] as const;

function Results(props: { project: string; reading: string; admin: boolean; onClose: () => void }) {
  const { report } = useErrors();
  const [rows, setRows] = useState<ResultOut[] | null>(null);
  const [analysis, setAnalysis] = useState(false);
  useEffect(() => {
    const ctl = new AbortController();
    readingApi.results(props.project, props.reading, ctl.signal).then(setRows).catch((err) => report(err, "Loading the results"));
    return () => ctl.abort();
  }, [props.project, props.reading, report]);
  return (
    <FloatingWindow id="reading-results" testId="reading-results" label="Reading results" className="proc-window" headClassName="proc-head"
      initial={() => ({ left: 80, top: 90, width: Math.min(820, window.innerWidth - 100), height: 420 })} onClose={props.onClose}
      head={<>
        <strong>Results · {props.reading}</strong>
        <span className="muted">{rows ? `${rows.length} answers` : "loading…"}</span>
        <span className="spacer" />
        {props.admin ? (
          <button type="button" data-testid="reading-analysis-button" className={analysis ? "on" : ""}
            title="agreement, accuracy and MRMC ROC analysis of every reader's answers" onClick={() => setAnalysis((a) => !a)}>
            Analysis
          </button>
        ) : null}
        <a data-testid="reading-export" href={readingApi.csvUrl(props.project, props.reading)} download>Export CSV</a>
        <button type="button" onClick={props.onClose}>×</button>
      </>}>
      {analysis ? <Analysis project={props.project} reading={props.reading} readers={[...new Set((rows ?? []).map((r) => r.reader))].sort()} /> : null}
      <div className="proc-table">
        <table data-testid="reading-results-table">
          <thead><tr><th>reader</th><th>stage</th><th>arm</th><th>case</th><th>rep.</th><th>item</th><th>value</th><th>time</th><th>answered</th></tr></thead>
          <tbody>
            {(rows ?? []).map((r, i) => (
              <tr key={i}>
                <td>{r.reader}</td><td>{r.stage}</td><td>{r.arm}</td><td>{r.case}</td><td>{r.repetition}</td><td>{r.item}</td>
                <td>{r.value}</td><td>{(r.time_ms / 1000).toFixed(1)} s</td><td>{new Date(r.created_at).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </FloatingWindow>
  );
}

function Row(props: { r: ReadingSummary; onStart: (s: StageName) => void; onResults: () => void; onConfigure: () => void }) {
  const { r } = props;
  const [info, setInfo] = useState(false);
  return (
    <div className="rd-row" data-testid="reading-row" data-name={r.name}>
      <div className="rd-row-head">
        <b>{r.title}</b>
        {r.title !== r.name ? <span className="muted">{r.name}</span> : null}
        <span className="muted">{r.mode}</span>
        <span className="spacer" />
        {r.instructions || r.instructions_url ? (
          <button type="button" data-testid="reading-info" title="reading instructions" onClick={() => setInfo((o) => !o)}>Info</button>
        ) : null}
        {r.is_admin ? <button type="button" data-testid="reading-configure" title="configure (form designer)" onClick={props.onConfigure}>Configure</button> : null}
        {r.results_visible ? (
          <button type="button" data-testid="reading-results-button" title="results" onClick={props.onResults}>Results</button>
        ) : null}
      </div>
      {r.stages.map((s) => (
        <div key={s.stage} className="rd-stage" data-testid={`reading-stage-${s.stage}`}>
          <span className="rd-stage-name">{s.stage}</span>
          <span data-testid="reading-stage-progress">{s.done} / {s.total}</span>
          <progress max={Math.max(1, s.total)} value={s.done} />
          <button type="button" data-testid={`reading-start-${s.stage}`} disabled={s.total === 0} onClick={() => props.onStart(s.stage as StageName)}>
            {s.done === 0 ? "Start" : s.done >= s.total ? "Review" : "Continue"}
          </button>
          {s.washout_until ? <span className="muted">washout until {new Date(s.washout_until).toLocaleDateString()}</span> : null}
        </div>
      ))}
      {info ? (
        <div className="rd-instructions" data-testid="reading-instructions">
          {r.instructions ? <div>{r.instructions}</div> : null}
          {r.instructions_url ? <a href={r.instructions_url} target="_blank" rel="noreferrer noopener">{r.instructions_url}</a> : null}
        </div>
      ) : null}
    </div>
  );
}

/** `startOpen`: the list opens by itself (a reader confined to a blind reading has nothing else to do). */
export function ReadingTool(props: { project: string | null; canCreate: boolean; startOpen?: boolean; onOpenCase: (pid: string, sid: string) => void }) {
  const project = props.project;
  const { report } = useErrors();
  const client = useQueryClient();
  const [open, setOpen] = useState(false);
  const startOpen = props.startOpen === true;
  useEffect(() => {
    if (startOpen) setOpen(true);
  }, [startOpen, project]);
  const [active, setActive] = useState<{ reading: string; stage: StageName } | null>(null);
  const [results, setResults] = useState<string | null>(null);
  const [designing, setDesigning] = useState<{ name: string | null } | null>(null);
  const list = useQuery({
    queryKey: listKey(project ?? ""),
    queryFn: ({ signal }) => readingApi.list(project ?? "", signal),
    enabled: !!project && open,
  });
  useEffect(() => {
    if (list.error) report(list.error, "Loading the readings");
  }, [list.error, report]);
  useEffect(() => {
    setActive(null);
    setResults(null);
    setDesigning(null);
  }, [project]);
  // a blind reading that restricts its readers to the reading: no table and no files while they read it
  const restricted = !!active && (list.data ?? []).some((r) => r.name === active.reading && r.restricted);
  useEffect(() => {
    document.body.classList.toggle("rd-restricted", restricted);
    return () => document.body.classList.remove("rd-restricted");
  }, [restricted]);
  if (project === null) return null;
  const refresh = () => void client.invalidateQueries({ queryKey: listKey(project) });

  return (
    <>
      <TopTool>
        <button type="button" data-testid="open-reading" title="Reading tool (R in NORA's toolbar)" className={active ? "on" : ""}
          onClick={() => setOpen((o) => !o)}>
          Reading
        </button>
      </TopTool>
      {open ? (
        <FloatingWindow id="reading-list" testId="reading-list" label="Readings" className="proc-window" headClassName="proc-head"
          initial={() => ({ left: 60, top: 60, width: 560, height: 240 })} onClose={() => setOpen(false)}
          head={<>
            <strong>Readings</strong>
            <span className="spacer" />
            {props.canCreate ? <button type="button" data-testid="reading-new" onClick={() => setDesigning({ name: null })}>Create new reading</button> : null}
            <button type="button" data-testid="reading-refresh" onClick={refresh} title="refresh the list from the server">Refresh</button>
            <button type="button" onClick={() => setOpen(false)}>×</button>
          </>}>
          <div className="rd-list">
            {list.isLoading ? <div className="muted">Loading…</div> : null}
            {list.data && list.data.length === 0 ? <div className="muted">No reading for you in this project.</div> : null}
            {(list.data ?? []).map((r) => (
              <Row key={r.name} r={r} onStart={(stage) => setActive({ reading: r.name, stage })} onResults={() => setResults(r.name)}
                onConfigure={() => setDesigning({ name: r.name })} />
            ))}
          </div>
        </FloatingWindow>
      ) : null}
      {active ? (
        <CaseReader key={`${active.reading}/${active.stage}`} project={project} reading={active.reading} stage={active.stage}
          onOpenCase={props.onOpenCase} onChanged={refresh} onClose={() => setActive(null)} />
      ) : null}
      {results ? (
        <Results project={project} reading={results} admin={(list.data ?? []).some((r) => r.name === results && r.is_admin)}
          onClose={() => setResults(null)} />
      ) : null}
      {designing ? (
        <Designer project={project} name={designing.name} onSaved={refresh} onClose={() => setDesigning(null)} />
      ) : null}
    </>
  );
}
