/**
 * "Upload DICOM": choose a zip (or, with native PID, files), watch the upload progress, then the import
 * job's progress, and read the result: converted series, kept objects, and every problem by name.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { invalidate, keys } from "../api/queries";
import { ApiError } from "../api/client";
import { messageOf, useErrors } from "../state/errors";
import { importForm, importing, reportLines, uploadZip, type ImportJob } from "./api";

type Phase = "choose" | "uploading" | "running" | "finished";

export function ImportDialog(props: { project: string; onClose: () => void; onImported: () => void }) {
  const [phase, setPhase] = useState<Phase>("choose");
  const [files, setFiles] = useState<File[]>([]);
  const [native, setNative] = useState(false);
  const [options, setOptions] = useState({ patients_id: "", studies_id: "", addtag_study: "" });
  const [uploaded, setUploaded] = useState(0);
  const [job, setJob] = useState<ImportJob | null>(null);
  /** the last problem (a refused upload, a lost status, a failed retry): shown in the dialog, where the user acted */
  const [problem, setProblem] = useState<string | null>(null);
  const { report } = useErrors();
  // an ended session still goes to the page (it logs out); every other problem is said here
  const fail = (err: unknown, doing: string) =>
    err instanceof ApiError && err.status === 401 ? report(err, doing) : setProblem(`${doing}: ${messageOf(err)}`);
  const abort = useRef<(() => void) | null>(null);

  // While the job runs, its state is polled; the finished job's import touched the table and the files.
  const client = useQueryClient();
  const polled = useQuery({
    queryKey: [...keys.importJobs(props.project), job?.id ?? 0],
    queryFn: ({ signal }) => importing.job(props.project, job?.id ?? 0, signal),
    enabled: phase === "running" && job !== null,
    refetchInterval: 700,
  });
  const onImported = useRef(props.onImported);
  onImported.current = props.onImported;
  useEffect(() => {
    const next = polled.data;
    if (phase !== "running" || next === undefined || next.id !== job?.id) return;
    setJob(next);
    if (next.state === "d" || next.state === "e") {
      setPhase("finished");
      void invalidate(client, { kind: "imported", project: props.project });
      onImported.current();
    }
  }, [polled.data, polled.dataUpdatedAt]);
  useEffect(() => {
    if (polled.error) fail(polled.error, "Import status");
  }, [polled.error, polled.errorUpdatedAt]);

  function start() {
    if (files.length === 0) return;
    let form: FormData;
    if (native) {
      form = new FormData();
      for (const f of files) form.append("file", f, f.name);
    } else {
      form = importForm(files[0]!, files[0]!.name, options);
    }
    setPhase("uploading");
    setProblem(null);
    setUploaded(0);
    const upload = uploadZip(props.project, form, setUploaded, native ? "import/native" : "import");
    abort.current = upload.abort;
    upload.promise.then(
      (queued) => {
        setJob(queued);
        setPhase("running");
      },
      (err: unknown) => {
        fail(err, "Upload refused");
        setPhase("choose");
      },
    );
  }

  const lines = job ? reportLines(job) : [];
  return (
    <div className="import-window" role="dialog" aria-label="Import" data-testid="import-dialog">
      <div className="import-head">
        <strong>Import into {props.project}</strong>
        <span className="spacer" />
        <button type="button" onClick={() => { abort.current?.(); props.onClose(); }} aria-label="Close import">×</button>
      </div>
      {problem !== null ? (
        <div className="import-problem" role="alert" data-testid="import-error">
          <span>{problem}</span>
          <button type="button" onClick={() => setProblem(null)} aria-label="Dismiss the message">×</button>
        </div>
      ) : null}
      {phase === "choose" ? (
        <div className="import-body">
          <label>
            <input type="checkbox" checked={native} onChange={(e) => setNative(e.target.checked)} data-testid="import-native" />
            {" "}Upload files with native PID (DICOM, or NIfTI etc. with a JSON sidecar naming PatientID and StudyID)
          </label>
          <input
            type="file"
            data-testid="import-file"
            accept={native ? undefined : ".zip,application/zip"}
            multiple={native}
            onChange={(e) => setFiles(Array.from(e.target.files ?? []))}
          />
          {!native ? (
            <div className="import-options">
              <input placeholder="patient ID (optional)" value={options.patients_id}
                onChange={(e) => setOptions({ ...options, patients_id: e.target.value })} />
              <input placeholder="study ID (optional)" value={options.studies_id}
                onChange={(e) => setOptions({ ...options, studies_id: e.target.value })} />
              <input placeholder="study tags (optional)" value={options.addtag_study}
                onChange={(e) => setOptions({ ...options, addtag_study: e.target.value })} />
            </div>
          ) : null}
          <button type="button" data-testid="import-start" disabled={files.length === 0} onClick={start}>
            Upload and import
          </button>
        </div>
      ) : (
        <div className="import-body">
          <div>{phase === "uploading" ? "Uploading…" : job ? `Job ${job.id}: ${job.message}` : ""}</div>
          <progress data-testid="import-progress" max={1}
            value={phase === "uploading" ? uploaded : (job?.progress ?? 0)} />
          {phase === "finished" && job ? (
            <div data-testid="import-result" className={job.state === "e" ? "import-failed" : "import-done"}>
              {job.state === "e" ? (
                <>
                  <div role="alert">Import failed: {job.message.replace(/^failed:\s*/, "")}</div>
                  <button type="button" onClick={() => importing.retry(props.project, job.id).then(
                    (j) => { setJob(j); setProblem(null); setPhase("running"); }, (err: unknown) => fail(err, "Retry"))}>
                    Retry
                  </button>
                </>
              ) : <div>{job.message}</div>}
              <ul className="import-lines">
                {lines.map((line, k) => <li key={k} className={line.kind}>{line.text}</li>)}
              </ul>
            </div>
          ) : null}
        </div>
      )}
    </div>
  );
}

