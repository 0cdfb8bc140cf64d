/**
 * The files panel's dialogs: upload files into the selected study (or its patient's folder), rename a
 * file, and the project's trash (restore, delete for good). Each shows its own errors where the user acted.
 */
import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from "react";
import { keys } from "../api/queries";
import type { ArchiveFile } from "../api/types";
import { formatSize } from "../lib/format";
import { messageOf } from "../state/errors";
import { useEscape } from "../state/useEscape";
import { extensionOf, fileActions, uploadFiles, uploadFormData, type Target } from "./api";

const ACCEPT = ".nii,.nii.gz,.hdr,.img,.nrrd,.nhdr,.mgh,.mgz,.gii,.tck,.trk,.trk.gz,.stl,.dcm,.json,.bval,.bvec,.gz";

function Modal(props: { label: string; testId: string; onClose: () => void; wide?: boolean; children: ReactNode; onSubmit?: (e: FormEvent) => void }) {
  useEscape(props.onClose);
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && props.onClose()}>
      <form
        className={`modal files-modal${props.wide ? " wide" : ""}`}
        role="dialog"
        aria-modal="true"
        aria-label={props.label}
        data-testid={props.testId}
        onSubmit={(e) => {
          e.preventDefault();
          props.onSubmit?.(e);
        }}
      >
        <div className="panel-title">{props.label}</div>
        {props.children}
      </form>
    </div>
  );
}

/** `2026-12-01 22:41` from the server's UTC timestamp, in the browser's time zone. */
function shortTime(utc: string): string {
  const d = new Date(`${utc}Z`);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function ErrorLine(props: { error: string | null; testId: string }) {
  return props.error === null ? null : (
    <div className="field-error" role="alert" data-testid={props.testId}>
      {props.error}
    </div>
  );
}

export function UploadDialog(props: { project: string; study: { pid: string; sid: string }; onDone: (files: ArchiveFile[]) => void; onClose: () => void }) {
  const [files, setFiles] = useState<File[]>([]);
  const [level, setLevel] = useState<"study" | "patient">("study");
  const [folder, setFolder] = useState("");
  const [overwrite, setOverwrite] = useState(false);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const abort = useRef<(() => void) | null>(null);
  const target: Target = { pid: props.study.pid, sid: level === "study" ? props.study.sid : null };

  function start() {
    if (files.length === 0) {
      setError("Choose one or more files first");
      return;
    }
    setError(null);
    setProgress(0);
    const upload = uploadFiles(props.project, target, uploadFormData(files, folder, overwrite), setProgress);
    abort.current = upload.abort;
    upload.promise.then(
      (stored) => {
        abort.current = null;
        props.onDone(stored);
      },
      (err: unknown) => {
        abort.current = null;
        setProgress(null);
        setError(messageOf(err));
      },
    );
  }

  function close() {
    abort.current?.();
    props.onClose();
  }

  return (
    <Modal label="Upload files" testId="upload-dialog" onClose={close} onSubmit={start}>
      <div className="files-form">
        <label>
          Into
          <select data-testid="upload-level" value={level} onChange={(e) => setLevel(e.target.value as "study" | "patient")}>
            <option value="study">study {props.study.pid} / {props.study.sid}</option>
            <option value="patient">patient folder {props.study.pid}</option>
          </select>
        </label>
        <label>
          Sub-folder
          <input data-testid="upload-folder" value={folder} placeholder="(none), e.g. t1_mprage" onChange={(e) => setFolder(e.target.value)} spellCheck={false} />
        </label>
        <label>
          Files
          <input
            data-testid="upload-input"
            type="file"
            multiple
            accept={ACCEPT}
            onChange={(e) => {
              setFiles(Array.from(e.target.files ?? []));
              setError(null);
            }}
          />
        </label>
        <label className="check">
          <input type="checkbox" data-testid="upload-overwrite" checked={overwrite} onChange={(e) => setOverwrite(e.target.checked)} />
          replace files of the same name
        </label>
        <div className="muted">NIfTI, Analyze pairs, NRRD, MGH/MGZ, GIFTI, TCK, TRK, STL, DICOM, JSON sidecars; every file is checked, the upload is stored all or nothing.</div>
        {progress !== null ? <progress data-testid="upload-progress" max={1} value={progress} /> : null}
      </div>
      <ErrorLine error={error} testId="upload-error" />
      <div className="modal-buttons">
        <button type="button" data-testid="upload-cancel" onClick={close}>
          Cancel
        </button>
        <button type="submit" className="primary" data-testid="upload-submit" disabled={progress !== null}>
          Upload {files.length > 0 ? `${files.length} file${files.length === 1 ? "" : "s"}` : ""}
        </button>
      </div>
    </Modal>
  );
}

export function RenameDialog(props: { project: string; file: ArchiveFile; onDone: (file: ArchiveFile) => void; onClose: () => void }) {
  const [path, setPath] = useState(props.file.path);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ext = extensionOf(props.file.path);
  const nameInput = useRef<HTMLInputElement>(null);
  // once, on opening: the name without its extension is selected, ready to be typed over
  useEffect(() => {
    const input = nameInput.current;
    if (input) input.setSelectionRange(0, Math.max(0, input.value.length - ext.length));
  }, []);

  async function submit() {
    if (extensionOf(path) !== ext) {
      setError(`The name must keep its extension ${ext || "(none)"}`);
      return;
    }
    setBusy(true);
    try {
      props.onDone(await fileActions.rename(props.project, props.file.id, path.trim()));
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  }

  return (
    <Modal label={`Rename ${props.file.path}`} testId="rename-dialog" onClose={props.onClose} onSubmit={() => void submit()}>
      <input
        data-testid="rename-input"
        autoFocus
        value={path}
        onChange={(e) => {
          setPath(e.target.value);
          setError(null);
        }}
        ref={nameInput}
        spellCheck={false}
      />
      <div className="muted files-hint">A path relative to the study folder; a new sub-folder moves the file there.</div>
      <ErrorLine error={error} testId="rename-error" />
      <div className="modal-buttons">
        <button type="button" data-testid="rename-cancel" onClick={props.onClose}>
          Cancel
        </button>
        <button type="submit" className="primary" data-testid="rename-submit" disabled={busy || path.trim() === ""}>
          Rename
        </button>
      </div>
    </Modal>
  );
}

export function TrashDialog(props: { project: string; readonly: boolean; onChanged: () => void; onClose: () => void }) {
  const query = useQuery({ queryKey: keys.trash(props.project), queryFn: ({ signal }) => fileActions.listTrash(props.project, signal) });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<number | null>(null);

  async function act(id: number, what: "restore" | "purge") {
    setBusy(id);
    setError(null);
    try {
      if (what === "restore") await fileActions.restore(props.project, id);
      else await fileActions.purge(props.project, id);
      props.onChanged();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(null);
    }
  }

  const entries = query.data ?? [];
  return (
    <Modal label={`Trash of ${props.project}`} testId="trash-dialog" onClose={props.onClose} wide>
      {query.isError ? <ErrorLine error={messageOf(query.error)} testId="trash-error" /> : null}
      {query.data && entries.length === 0 ? <div className="empty">The trash is empty.</div> : null}
      {entries.length > 0 ? (
        <div className="trash-scroll">
          <table className="files-table trash-table">
            <thead>
              <tr>
                <th>File</th>
                <th>Study</th>
                <th className="right">Size</th>
                <th>Trashed</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id} data-testid="trash-row" data-path={e.path}>
                  <td className="path" title={e.path}>{e.path}</td>
                  <td>{e.sid === null ? `${e.pid} (patient)` : `${e.pid} / ${e.sid}`}</td>
                  <td className="right">{formatSize(e.size)}</td>
                  <td title={`${e.trashed_by}, ${e.trashed_at} UTC`}>{e.trashed_by} · {shortTime(e.trashed_at)}</td>
                  <td className="trash-actions">
                    <button type="button" data-testid="trash-restore" disabled={props.readonly || busy !== null} onClick={() => void act(e.id, "restore")}>
                      Restore
                    </button>
                    <button type="button" data-testid="trash-purge" disabled={props.readonly || busy !== null} onClick={() => void act(e.id, "purge")}>
                      Delete for good
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <ErrorLine error={error} testId="trash-action-error" />
      <div className="modal-buttons">
        <button type="button" data-testid="trash-close" onClick={props.onClose}>
          Close
        </button>
      </div>
    </Modal>
  );
}
