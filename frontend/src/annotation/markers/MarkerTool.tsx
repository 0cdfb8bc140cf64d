/**
 * NORA's Marker Tool: the viewer toolbar's "Markers" button (key M) opens a tool window with the shown
 * patient's open marker sets (new pointset / freeline, open a saved one, rename, colour, size,
 * visibility, save, close), the pen (clicks add points), and the current set's points (click: the viewer
 * goes to the point; rename; delete). A failed save (409: someone saved meanwhile) is shown on the set's
 * row with the choice to open the saved version or save this one over it. Read-only users and guests see
 * and browse markers but do not edit or save them.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, useSyncExternalStore } from "react";
import { ApiError } from "../../api/client";
import { invalidate, keys } from "../../api/queries";
import { FloatingWindow } from "../../components/FloatingWindow";
import { isTyping } from "../../lib/keys";
import type { ViewerEngine } from "../../viewer/engine";
import { VersionsWindow } from "../VersionsWindow";
import { markersOf } from "./registry";
import { markerVersions } from "./versions";
import { SIZE_LIMITS, markersApi, nameProblem, type MarkerType, type OpenSet } from "./workspace";
import "./markers.css";

interface Problem {
  text: string;
  conflict: boolean;
}

function place() {
  const width = Math.min(460, window.innerWidth - 32);
  const height = Math.min(380, window.innerHeight - 80);
  return { left: 16, top: 80, width, height };
}

export function MarkerTool(props: { engine: ViewerEngine; project: string | null; pid: string | null; readOnly: boolean }) {
  const { ws } = markersOf(props.engine);
  useSyncExternalStore(ws.subscribe, ws.getVersion);
  const [open, setOpen] = useState(false);
  const [problems, setProblems] = useState<Record<number, Problem>>({});
  const [saving, setSaving] = useState<number | null>(null);
  const [versionsOf, setVersionsOf] = useState<number | null>(null);
  const client = useQueryClient();
  const { project, pid, readOnly } = props;

  useEffect(() => ws.setPatient(pid), [ws, pid]);
  useEffect(() => {
    if (readOnly) ws.setPen(false);
  }, [ws, readOnly]);

  // M opens and closes the tool; Delete removes the selected point (not while typing in a field)
  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (e.defaultPrevented || isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key.toLowerCase() === "m" && !e.shiftKey) setOpen((o) => !o);
      else if ((e.key === "Delete" || e.key === "Backspace") && open && !readOnly) {
        const set = ws.currentSet();
        if (!set || ws.selected === null) return;
        ws.deletePoint(set.id, ws.selected);
      } else return;
      e.preventDefault();
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [ws, open, readOnly]);

  const saved = useQuery({
    queryKey: [...keys.files(project ?? ""), "markers", pid ?? ""],
    queryFn: () => markersApi.list(project!, pid!),
    enabled: open && project !== null && pid !== null,
  });

  function problem(id: number, p: Problem | null) {
    setProblems((all) => {
      const next = { ...all };
      if (p) next[id] = p;
      else delete next[id];
      return next;
    });
  }

  async function save(set: OpenSet, over?: boolean) {
    if (!project) return;
    setSaving(set.id);
    try {
      let base: number | undefined;
      if (over) base = (await markersApi.get(project, set.pid, set.doc.name)).current;
      await ws.save(project, set.id, base);
      problem(set.id, null);
      props.engine.message(`Marker set ${set.doc.name} saved (version ${set.base})`, "info");
      void invalidate(client, { kind: "files", project });
    } catch (err) {
      const conflict = err instanceof ApiError && err.status === 409;
      problem(set.id, { text: err instanceof ApiError ? err.detail : err instanceof Error ? err.message : String(err), conflict });
    } finally {
      setSaving(null);
    }
  }

  async function openSaved(name: string) {
    if (!project || !pid || !name) return;
    try {
      const got = ws.opened(pid, await markersApi.get(project, pid, name));
      if (got) {
        ws.setCurrent(got.id);
        problem(got.id, null);
      }
    } catch (err) {
      props.engine.message(`Opening marker set ${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  const sets = ws.shown();
  const current = ws.currentSet();
  const openNames = new Set(sets.map((s) => s.doc.name));
  const unopened = (saved.data ?? []).filter((o) => !openNames.has(o.name) && o.file_id !== null);
  const edit = !readOnly;
  return (
    <>
      <button type="button" data-testid="marker-tool-button" className={open ? "on" : ""} title="Marker tool: point sets and freelines (M)" onClick={() => setOpen((o) => !o)}>
        Markers
      </button>
      {open ? (
        <FloatingWindow id="marker-tool" testId="marker-tool" label="Marker tool" className="marker-window" headClassName="marker-head" initial={place} onClose={() => setOpen(false)}
          head={<>
            <strong>Markers</strong>
            <span className="muted">{pid ? `patient ${pid}` : "no case"}</span>
            {readOnly ? <span className="badge" title="read-only: markers are shown but not saved">read-only</span> : null}
            <span className="spacer" />
            <button type="button" onClick={() => setOpen(false)} aria-label="Close marker tool">×</button>
          </>}>
          <div className="marker-tools">
            {edit ? (
              <>
                {(["pointset", "freeline"] as MarkerType[]).map((t) => (
                  <button key={t} type="button" data-testid={`marker-new-${t}`} disabled={!pid} onClick={() => ws.create(t)}>
                    New {t}
                  </button>
                ))}
                <button type="button" data-testid="marker-pen" className={ws.pen ? "on" : ""} aria-pressed={ws.pen} disabled={!current}
                  title="click in a 2D viewport (Shift + click in 3D) adds a point to the current set; Shift + right click deletes one"
                  onClick={() => ws.setPen(!ws.pen)}>
                  ✎ {ws.pen ? "Adding points" : "Add points"}
                </button>
              </>
            ) : null}
            {unopened.length > 0 ? (
              <select data-testid="marker-open" value="" onChange={(e) => void openSaved(e.target.value)} title="open a saved marker set of this patient">
                <option value="" disabled>Open saved…</option>
                {unopened.map((o) => <option key={o.id} value={o.name}>{o.name}</option>)}
              </select>
            ) : null}
          </div>
          <div className="marker-sets" data-testid="marker-sets">
            {sets.length === 0 ? <div className="muted marker-empty">{pid ? (edit ? "No marker set open: make a new pointset or freeline, or open a saved one." : "No marker set open.") : "Select a case first."}</div> : null}
            {sets.map((s) => {
              const p = problems[s.id];
              const bad = nameProblem(s.doc.name);
              return (
                <div key={s.id} className={`marker-set${s.id === current?.id ? " current" : ""}`} data-testid="marker-set" data-name={s.doc.name} data-dirty={s.dirty ? "1" : "0"}>
                  <div className="marker-set-row">
                    <input type="radio" name="marker-current" checked={s.id === current?.id} onChange={() => ws.setCurrent(s.id)} title="current set: clicks add to it" />
                    <input className="marker-name" data-testid="marker-set-name" value={s.doc.name} readOnly={!edit} aria-invalid={bad !== null}
                      title={bad ?? "the set's name (its file annotations/<name>.json)"} onChange={(e) => ws.rename(s.id, e.target.value)} />
                    <span className="marker-type">{s.doc.type}</span>
                    <input type="color" value={s.doc.color} disabled={!edit} title="colour" data-testid="marker-color" onChange={(e) => ws.setColor(s.id, e.target.value)} />
                    <input type="number" className="marker-size" min={SIZE_LIMITS.min} max={SIZE_LIMITS.max} step={0.5} value={s.doc.size} disabled={!edit}
                      title="marker size (mm; Shift + wheel in 3D)" data-testid="marker-size" onChange={(e) => ws.setSize(s.id, Number(e.target.value))} />
                    <label title="shown in the viewports"><input type="checkbox" checked={s.visible} onChange={(e) => ws.setVisible(s.id, e.target.checked)} /> show</label>
                    <span className="muted">{s.doc.points.length} pt{s.dirty ? " · changed" : s.base > 0 ? ` · v${s.base}` : " · new"}</span>
                    <span className="spacer" />
                    {edit ? (
                      <button type="button" data-testid="marker-save" disabled={saving === s.id || bad !== null || !project} onClick={() => void save(s)}>
                        {saving === s.id ? "Saving…" : "Save"}
                      </button>
                    ) : null}
                    <button type="button" data-testid="marker-versions" disabled={s.base === 0 || !project} onClick={() => setVersionsOf(s.id)}
                      title={s.base ? "every saved version: open a copy or restore one" : "not saved yet: no versions"}>Versions</button>
                    <button type="button" title="close (the saved file stays)" aria-label={`Close marker set ${s.doc.name}`} onClick={() => ws.close(s.id)}>×</button>
                  </div>
                  {p ? (
                    <div className="marker-problem" role="alert" data-testid="marker-problem">
                      {p.text}
                      {p.conflict ? (
                        <span className="marker-choice">
                          <button type="button" data-testid="marker-open-theirs" onClick={() => void openSaved(s.doc.name)}>Open the saved version</button>
                          <button type="button" data-testid="marker-save-over" onClick={() => void save(s, true)}>Save mine as the newest</button>
                        </span>
                      ) : null}
                    </div>
                  ) : null}
                </div>
              );
            })}
          </div>
          {current ? (
            <div className="marker-points" data-testid="marker-points">
              {current.doc.points.length === 0 ? <div className="muted marker-empty">No points: turn on “Add points” and click in a viewport.</div> : null}
              {current.doc.points.map((pt, k) => (
                <div key={k} className={`marker-point${ws.selected === k ? " selected" : ""}`} data-testid="marker-point"
                  onClick={() => {
                    ws.select(k);
                    props.engine.setCrosshairMM([pt.x, pt.y, pt.z]);
                  }}>
                  <span className="muted">{k + 1}</span>
                  <input value={pt.name} readOnly={!edit} data-testid="marker-point-name" aria-label={`name of point ${k + 1}`}
                    onChange={(e) => ws.renamePoint(current.id, k, e.target.value)} />
                  <span className="marker-xyz" data-testid="marker-point-xyz">{pt.x.toFixed(1)}, {pt.y.toFixed(1)}, {pt.z.toFixed(1)}</span>
                  {edit ? (
                    <button type="button" aria-label={`Delete point ${pt.name || k + 1}`} onClick={(e) => {
                      e.stopPropagation();
                      ws.deletePoint(current.id, k);
                    }}>×</button>
                  ) : null}
                </div>
              ))}
            </div>
          ) : null}
        </FloatingWindow>
      ) : null}
      {(() => {
        const set = versionsOf === null ? null : ws.byId(versionsOf);
        if (!open || !set || !project || set.base === 0) return null;
        return <VersionsWindow project={project} target={markerVersions(ws, project, set)} canRestore={!readOnly} onClose={() => setVersionsOf(null)} />;
      })()}
    </>
  );
}
