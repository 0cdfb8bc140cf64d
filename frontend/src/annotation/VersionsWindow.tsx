/**
 * The versions window of an ROI or marker set (the ROI tool's and the marker tool's "Versions"): every
 * saved version, oldest first, with who saved it, when, with which tool, the version it started from, and
 * whether it was a rejected (conflicting) save; *Open* puts a copy of it in the page, *Restore* (write
 * right) saves it again as the newest version. Errors show in the row acted on.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ApiError } from "../api/client";
import { invalidate, keys } from "../api/queries";
import { FloatingWindow } from "../components/FloatingWindow";
import { formatSize } from "../lib/format";
import { type Version, type VersionTarget, versionsApi } from "./versions";
import "./versions.css";

const place = () => ({ left: Math.max(16, window.innerWidth - 600), top: 90, width: 580, height: 300 });

function message(err: unknown): string {
  return err instanceof ApiError ? err.detail : err instanceof Error ? err.message : String(err);
}

export function VersionsWindow(props: { project: string; target: VersionTarget; canRestore: boolean; onClose: () => void }) {
  const { project, target } = props;
  const client = useQueryClient();
  const query = useQuery({
    queryKey: [...keys.files(project), "versions", target.key],
    queryFn: async () => {
      const obj = await target.lookup();
      return { ...obj, versions: await versionsApi.list(project, obj.id) };
    },
  });
  const [rowNote, setRowNote] = useState<{ number: number; text: string; error: boolean } | null>(null);
  const [busy, setBusy] = useState<number | null>(null);

  async function act(v: Version, what: "open" | "restore") {
    setBusy(v.number);
    setRowNote(null);
    try {
      if (what === "open") {
        setRowNote({ number: v.number, text: `opened as ${await target.open(v)}`, error: false });
      } else {
        const obj = await target.lookup();
        const out = await versionsApi.restore(project, obj.id, v.number, obj.current);
        await target.restored(v, out);
        setRowNote({ number: v.number, text: `restored as version ${out.current}`, error: false });
        void invalidate(client, { kind: "files", project });
      }
    } catch (err) {
      setRowNote({ number: v.number, text: message(err), error: true });
    } finally {
      setBusy(null);
    }
  }

  const data = query.data;
  return (
    <FloatingWindow id="annotation-versions" testId="versions-window" label="Versions" className="versions-window" headClassName="versions-head" initial={place}
      onClose={props.onClose}
      head={<><strong>Versions</strong><span className="muted">{target.title}</span><span className="spacer" />
        <button type="button" onClick={props.onClose} aria-label="Close versions">×</button></>}>
      <div className="versions-body">
      {query.isPending ? <div className="muted">Loading versions…</div> : null}
      {query.error ? <div className="error" role="alert" data-testid="versions-error">{message(query.error)}</div> : null}
      {data ? (
        <table className="versions-table">
          <thead><tr><th>version</th><th>saved by</th><th>when</th><th>tool</th><th>size</th><th /></tr></thead>
          <tbody>
            {data.versions.map((v) => (
              <VersionRow key={v.number} v={v} current={v.number === data.current} busy={busy !== null} canRestore={props.canRestore}
                note={rowNote?.number === v.number ? rowNote : null} onAct={(what) => void act(v, what)} />
            ))}
          </tbody>
        </table>
      ) : null}
      </div>
    </FloatingWindow>
  );
}

function VersionRow(props: {
  v: Version;
  current: boolean;
  busy: boolean;
  canRestore: boolean;
  note: { text: string; error: boolean } | null;
  onAct: (what: "open" | "restore") => void;
}) {
  const { v, note } = props;
  return (
    <>
      <tr data-testid="version-row" data-number={v.number} data-current={props.current ? "1" : "0"} data-rejected={v.rejected ? "1" : "0"}>
        <td>
          v{v.number}
          {props.current ? <span className="badge">current</span> : null}
          {v.rejected ? <span className="badge" title={`a conflicting save from version ${v.based_on}, kept`}>rejected</span> : null}
        </td>
        <td>{v.saved_by}</td>
        <td>{new Date(v.saved_at).toLocaleString()}</td>
        <td>{v.tool}</td>
        <td>{formatSize(v.size)}</td>
        <td>
          <button type="button" data-testid="version-open" disabled={props.busy} onClick={() => props.onAct("open")} title="a copy of this version in the page">Open</button>
          <button type="button" data-testid="version-restore" disabled={props.busy || props.current || !props.canRestore}
            title={props.canRestore ? "save this version again as the newest one" : "restoring needs write access"}
            onClick={() => props.onAct("restore")}>Restore</button>
        </td>
      </tr>
      {note ? (
        <tr><td colSpan={6} className={note.error ? "error" : "muted"} role={note.error ? "alert" : "status"} data-testid="version-note">{note.text}</td></tr>
      ) : null}
    </>
  );
}
