/**
 * The PACS query tool (NORA's "PACS Query"): search form, patients table (left) and the procedures and
 * sequences of their studies (right, `inStudies` = in how many studies), highlighting of a clicked
 * patient's sequences, check boxes, "pull selected" into a chosen project as a retrieve job with progress.
 * Errors are shown in the tool and in the page's error banner.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { FloatingWindow } from "../components/FloatingWindow";
import { useEffect, useMemo, useState, type FormEvent } from "react";
import { invalidate, keys as queryKeys } from "../api/queries";
import { messageOf, useErrors } from "../state/errors";
import { pacsApi, type PacsNode, type RetrieveJob, type SearchKeys } from "./api";
import {
  checkedCount,
  groupPatients,
  groupSequences,
  retrieveItems,
  sequencesOf,
  showDate,
  type PacsStudy,
} from "./model";

const POLL_MS = 700;

function toggle(set: Set<string>, key: string): Set<string> {
  const next = new Set(set);
  if (next.has(key)) next.delete(key);
  else next.add(key);
  return next;
}

export function PacsQuery(props: { projects: string[]; project: string; onClose: () => void; onPulled: () => void }) {
  const { report } = useErrors();
  const client = useQueryClient();
  const nodeList = useQuery({ queryKey: queryKeys.pacsNodes(), queryFn: ({ signal }) => pacsApi.nodes(signal) });
  const nodes: PacsNode[] | null = nodeList.isError ? [] : (nodeList.data?.filter((n) => n.can_query) ?? null);
  const [chosenNode, setNode] = useState("");
  const node = chosenNode || (nodes?.[0]?.name ?? "");
  const [keys, setKeys] = useState<SearchKeys>({ patient_name: "", patient_id: "", study_date: "*", modality: "" });
  const [studies, setStudies] = useState<PacsStudy[] | null>(null);
  const [searching, setSearching] = useState(false);
  const [error, setError] = useState("");
  const [focus, setFocus] = useState<string | null>(null);
  const [checkedPatients, setCheckedPatients] = useState<Set<string>>(new Set());
  const [checkedSequences, setCheckedSequences] = useState<Set<string>>(new Set());
  const [target, setTarget] = useState(props.project);
  const [job, setJob] = useState<RetrieveJob | null>(null);

  useEffect(() => {
    if (nodeList.error) report(nodeList.error, "PACS nodes");
  }, [nodeList.error, report]);

  useEffect(() => {
    if (!job || job.state === "d" || job.state === "e") return;
    const timer = window.setTimeout(() => {
      pacsApi.job(job.id).then(
        (j) => {
          setJob(j);
          if (j.state === "d") {
            void invalidate(client, { kind: "imported", project: target });
            props.onPulled();
          }
        },
        (err: unknown) => report(err, "Retrieve status"),
      );
    }, POLL_MS);
    return () => window.clearTimeout(timer);
  }, [job, props, report]);

  const patients = useMemo(() => groupPatients(studies ?? []), [studies]);
  const sequences = useMemo(() => groupSequences(studies ?? []), [studies]);
  const highlighted = useMemo(
    () => sequencesOf(patients.find((p) => p.key === focus), sequences),
    [patients, sequences, focus],
  );
  const items = retrieveItems(patients, checkedPatients, sequences, checkedSequences);

  function search(e: FormEvent) {
    e.preventDefault();
    if (!node) return;
    setSearching(true);
    setError("");
    pacsApi
      .search(node, keys)
      .then((rows) => {
        setStudies(rows);
        setCheckedPatients(new Set());
        setCheckedSequences(new Set());
        setFocus(null);
      })
      .catch((err: unknown) => {
        setStudies(null);
        setError(messageOf(err));
        report(err, "PACS search");
      })
      .finally(() => setSearching(false));
  }

  function pull() {
    setError("");
    pacsApi.retrieve(node, target, items).then(setJob, (err: unknown) => {
      setError(messageOf(err));
      report(err, "Pull selected");
    });
  }

  const field = (name: keyof SearchKeys, label: string, placeholder: string) => (
    <label>
      <span className="muted">{label}</span>
      <input
        data-testid={`pacs-${name}`}
        value={keys[name] ?? ""}
        placeholder={placeholder}
        onChange={(e) => setKeys({ ...keys, [name]: e.target.value })}
      />
    </label>
  );

  const running = job !== null && (job.state === "q" || job.state === "r");
  return (
    <FloatingWindow id="pacs" testId="pacs-window" label="PACS query" className="pacs-window" headClassName="pacs-head"
      initial={() => ({ left: 40, top: 44, width: Math.min(1200, window.innerWidth - 80), height: Math.round(window.innerHeight * 0.7) })}
      onClose={props.onClose}
      head={<>
        <strong>PACS query</strong>
        <select data-testid="pacs-node" value={node} onChange={(e) => setNode(e.target.value)}>
          {nodes === null ? <option value="">loading…</option> : null}
          {nodes?.map((n) => (
            <option key={n.name} value={n.name} title={`${n.ae_title}@${n.host}:${n.port}`}>
              {n.name}
            </option>
          ))}
        </select>
        <span className="spacer" />
        <button type="button" onClick={props.onClose} aria-label="Close">
          ×
        </button>
      </>}>
      {nodes !== null && nodes.length === 0 ? (
        <p className="muted pacs-body">No PACS node you may query is configured (right PACSQUERY_&lt;node&gt;).</p>
      ) : (
        <div className="pacs-body">
          <form className="pacs-form" onSubmit={search}>
            {field("patient_name", "PatientName", "Doe^John or Doe*")}
            {field("patient_id", "PatientID", "")}
            {field("study_date", "StudyDate", "* or 20230101-20231231")}
            {field("modality", "Modality", "MR")}
            <button type="submit" data-testid="pacs-search" disabled={searching || !node}>
              {searching ? "Searching…" : "Run search"}
            </button>
          </form>
          {error ? (
            <div role="alert" className="pacs-error" data-testid="pacs-error">
              {error}
            </div>
          ) : null}
          {studies !== null ? (
            <div className="pacs-tables">
              <table className="pacs-table" data-testid="pacs-patients">
                <thead>
                  <tr>
                    <th />
                    <th>PatientName</th>
                    <th>PatientID</th>
                    <th>Birth</th>
                    <th>Studies</th>
                    <th>Selected</th>
                  </tr>
                </thead>
                <tbody>
                  {patients.map((p) => (
                    <tr key={p.key} className={p.key === focus ? "focus" : ""} onClick={() => setFocus(p.key)}>
                      <td>
                        <input
                          type="checkbox"
                          aria-label={`select ${p.name}`}
                          checked={checkedPatients.has(p.key)}
                          onClick={(e) => e.stopPropagation()}
                          onChange={() => setCheckedPatients((s) => toggle(s, p.key))}
                        />
                      </td>
                      <td>{p.name}</td>
                      <td>{p.id}</td>
                      <td>{showDate(p.birthDate)}</td>
                      <td title={p.studies.map((s) => `${showDate(s.StudyDate)} ${s.StudyDescription ?? ""}`).join("\n")}>
                        {p.studies.length}
                      </td>
                      <td>{checkedCount(p, sequences, checkedSequences)}</td>
                    </tr>
                  ))}
                  {patients.length === 0 ? (
                    <tr>
                      <td colSpan={6} className="muted">
                        no matching patients
                      </td>
                    </tr>
                  ) : null}
                </tbody>
              </table>
              <table className="pacs-table" data-testid="pacs-sequences">
                <thead>
                  <tr>
                    <th />
                    <th>Modality</th>
                    <th>Procedure / sequence</th>
                    <th>inStudies</th>
                  </tr>
                </thead>
                <tbody>
                  {sequences.map((q) => (
                    <tr key={q.key} className={highlighted.has(q.key) ? "highlight" : ""}>
                      <td>
                        <input
                          type="checkbox"
                          aria-label={`select ${q.description}`}
                          checked={checkedSequences.has(q.key)}
                          onChange={() => setCheckedSequences((s) => toggle(s, q.key))}
                        />
                      </td>
                      <td>{q.modality}</td>
                      <td>{q.description}</td>
                      <td>{q.inStudy.size}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
          <div className="pacs-pull">
            <label>
              <span className="muted">into project</span>
              <select data-testid="pacs-project" value={target} onChange={(e) => setTarget(e.target.value)}>
                {props.projects.map((name) => (
                  <option key={name} value={name}>
                    {name}
                  </option>
                ))}
              </select>
            </label>
            <button type="button" data-testid="pacs-pull" disabled={items.length === 0 || running} onClick={pull}>
              pull selected ({items.length} {items.length === 1 ? "study" : "studies"})
            </button>
            {job ? (
              <span className="pacs-job" data-testid="pacs-job" data-state={job.state}>
                <progress max={1} value={job.progress} /> {job.message}
              </span>
            ) : null}
          </div>
        </div>
      )}
    </FloatingWindow>
  );
}
