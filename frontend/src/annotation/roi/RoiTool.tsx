/**
 * The ROI tool window (viewer toolbar "ROI", key D): the pen (type, size, threshold, similarity), drawing
 * on/off (Space), hide all (V), undo/redo, "New ROI", the ROIstats window, and the list of open ROIs with
 * matrix, PID/SID and volume, make current, focus, visibility, colour, opacity, outline, operations,
 * save (a 409 conflict asks right there), download (with the download right), clear and delete from the
 * workspace. Errors show in the row the user acted in.
 */
import { useEffect, useState, useSyncExternalStore } from "react";
import type { ArchiveFile } from "../../api/types";
import { FloatingWindow, type Rect } from "../../components/FloatingWindow";
import { endDrag, FILE_MIME } from "../../viewer/bus";
import { voxelVolumeMm3 } from "../grid";
import type { Morphology, SetOperation } from "../morphology";
import { VersionsWindow } from "../VersionsWindow";
import { AssistantPanel } from "../assistant/AssistantPanel";
import { useAssistantKeys } from "../assistant/useAssistantKeys";
import { isConflict } from "./api";
import type { RoiTool } from "./tool";
import { roiVersions } from "./versions";
import { MAX_RADIUS, PENS, type OpenRoi, type PenKind } from "./workspace";
import "./roi.css";

export interface Rights {
  write: boolean;
  download: boolean;
}

// over the study table, beside the viewer it draws in
const place = (): Rect => ({ left: 8, top: Math.max(60, window.innerHeight - 400), width: 540, height: 380 });

type OpKind = Morphology | SetOperation | "remove_salt" | "fill_holes";
const OPS: { id: OpKind; label: string }[] = [
  { id: "erode", label: "Erosion" },
  { id: "dilate", label: "Dilation" },
  { id: "open", label: "Opening" },
  { id: "close", label: "Closing" },
  { id: "fill_holes", label: "Fill holes" },
  { id: "remove_salt", label: "Remove Salt" },
  { id: "intersection", label: "Intersection with" },
  { id: "union", label: "Union with" },
  { id: "difference", label: "Difference (without)" },
];

function volumeMl(r: OpenRoi): string {
  return ((r.voxels * voxelVolumeMm3(r.roi.grid)) / 1000).toFixed(r.voxels ? 3 : 0);
}

// Checkboxes and radios give the focus back after a change (as the toolbar's preset list does), so the
// page keys (Space, V, D, Ctrl+Z) work again at once.
export function RoiToolWindow(props: { tool: RoiTool; project: string | null; rights: Rights; onStats: () => void; onClose: () => void }) {
  const { tool } = props;
  const ws = tool.ws;
  useSyncExternalStore(ws.subscribe, ws.getVersion);
  const [note, setNote] = useState<string | null>(null);
  const [versionsOf, setVersionsOf] = useState<number | null>(null);
  useAssistantKeys(tool);
  useEffect(() => void (tool.assistant.project = props.project), [tool, props.project]);
  const pen = ws.pen;
  const usesThreshold = ["higher", "lower", "higherGrow", "lowerGrow"].includes(pen.kind);
  const usesSimilarity = ["magic", "magicConnected", "grow3d"].includes(pen.kind);

  async function dropped(project: string, file: ArchiveFile) {
    try {
      const r = await tool.openDropped(project, file);
      setNote(typeof r === "string" ? r : null);
      if (typeof r !== "string") ws.setDrawing(true);
    } catch (err) {
      setNote(`${file.path}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  function newRoi() {
    const r = tool.newRoi();
    setNote(typeof r === "string" ? r : null);
    if (typeof r !== "string") ws.setDrawing(true); // a new ROI is drawn on at once
  }

  return (
    <FloatingWindow id="roi-tool" testId="roi-tool" label="ROI tool" className="roi-window" headClassName="roi-head" initial={place}
      onClose={props.onClose}
      head={<>
        <strong>ROI tool</strong>
        <button type="button" data-testid="roi-new" onClick={newRoi} title="an empty ROI on the grid of the active viewport's image">New ROI</button>
        <label title="draw on the current ROI (Space); hold Shift to suspend">
          <input type="checkbox" data-testid="roi-drawing" checked={ws.drawing} onChange={(e) => { ws.toggleDrawing(); e.target.blur(); }} /> drawing
        </label>
        <label title="hide all ROIs (V)">
          <input type="checkbox" data-testid="roi-hide-all" checked={ws.hiddenAll} onChange={(e) => { ws.toggleHideAll(); e.target.blur(); }} /> hide all
        </label>
        <button type="button" data-testid="roi-undo" disabled={!ws.current?.history.canUndo} onClick={() => ws.undo()} title="undo (Ctrl+Z)">Undo</button>
        <button type="button" data-testid="roi-redo" disabled={!ws.current?.history.canRedo} onClick={() => ws.redo()} title="redo (Ctrl+Shift+Z)">Redo</button>
        <button type="button" data-testid="roi-stats-open" onClick={props.onStats} title="statistics of every image and ROI">ROIstats</button>
        <span className="spacer" />
        <button type="button" onClick={props.onClose} title="close (Esc)">×</button>
      </>}
    >
      <div className="roi-pen" data-testid="roi-pen">
        <select data-testid="roi-pen-kind" value={pen.kind} onChange={(e) => ws.setPen({ kind: e.target.value as PenKind })} title="pen type">
          {PENS.map((p) => <option key={p.id} value={p.id}>{p.label}</option>)}
        </select>
        {pen.kind === "assistant" ? null : <label title="pen radius in voxels (Shift+wheel, Alt+drag)">
          size <input type="number" data-testid="roi-pen-size" min={0} max={MAX_RADIUS} value={pen.radius}
            onChange={(e) => ws.setPen({ radius: Number(e.target.value) })} />
        </label>}
        {usesThreshold ? (
          <label title="empty: the colour limits (Higher: the lower limit, Lower: the upper one)">
            threshold <input type="number" data-testid="roi-pen-threshold" placeholder="colour limits" value={pen.threshold ?? ""}
              onChange={(e) => ws.setPen({ threshold: e.target.value === "" ? null : Number(e.target.value) })} />
          </label>
        ) : null}
        {usesSimilarity ? (
          <label title="similarity: a fraction of the window width (3D growing: drag left/right)">
            similarity <input type="number" data-testid="roi-pen-similarity" min={0} max={1} step={0.01} value={pen.similarity}
              onChange={(e) => ws.setPen({ similarity: Number(e.target.value) })} />
          </label>
        ) : null}
        {pen.kind === "polygon" ? (
          <>
            <span className="muted" data-testid="roi-poly-count">{ws.polygon?.points.length ?? 0} points</span>
            <button type="button" data-testid="roi-poly-render" disabled={(ws.polygon?.points.length ?? 0) < 3} onClick={() => ws.renderPolygon(1)}
              title="fill the outline into its ROI">Render</button>
            <button type="button" data-testid="roi-poly-erase" disabled={(ws.polygon?.points.length ?? 0) < 3} onClick={() => ws.renderPolygon(0)}
              title="erase the inside of the outline from its ROI">Erase inside</button>
            <button type="button" data-testid="roi-poly-clear" disabled={!ws.polygon} onClick={() => ws.setPolygon(null)}>Delete outline</button>
            <span className="muted">click or drag: points · drag a point: move it · right click: last point off</span>
          </>
        ) : pen.kind === "assistant" ? <AssistantPanel tool={tool} project={props.project} canWrite={props.rights.write} />
          : <span className="muted">left paints · right erases</span>}
      </div>
      {note ? <div className="roi-note error" data-testid="roi-note" role="alert">{note}</div> : null}
      <div className="roi-list" data-testid="roi-list" onDragOver={(e) => e.dataTransfer.types.includes(FILE_MIME) && e.preventDefault()}
        onDrop={(e) => {
          const raw = e.dataTransfer.getData(FILE_MIME);
          if (!raw || !props.project) return;
          e.preventDefault();
          endDrag();
          void dropped(props.project, JSON.parse(raw) as ArchiveFile);
        }}>
        {ws.rois.length === 0 ? <div className="muted roi-empty">No ROI open: “New ROI”, drop an ROIS/ file here, or an image’s ROI button in the viewbar.</div> : null}
        {ws.rois.map((r) => <RoiRow key={r.id} tool={tool} roi={r} project={props.project} rights={props.rights} onVersions={() => setVersionsOf(r.id)} />)}
      </div>
      <RoiVersions tool={tool} project={props.project} id={versionsOf} canRestore={props.rights.write} onClose={() => setVersionsOf(null)} />
    </FloatingWindow>
  );
}

/** The versions window of the open ROI `id` (a saved ROI of a study), while it is open. */
function RoiVersions(props: { tool: RoiTool; project: string | null; id: number | null; canRestore: boolean; onClose: () => void }) {
  const r = props.id === null ? null : props.tool.ws.byId(props.id);
  if (!r || !props.project || !r.case || r.base === 0) return null;
  return <VersionsWindow project={props.project} target={roiVersions(props.tool, props.project, r)} canRestore={props.canRestore} onClose={props.onClose} />;
}

function RoiRow(props: { tool: RoiTool; roi: OpenRoi; project: string | null; rights: Rights; onVersions: () => void }) {
  const { tool, roi: r, project, rights } = props;
  const ws = tool.ws;
  const [error, setError] = useState<string | null>(null);
  const [conflict, setConflict] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [op, setOp] = useState<OpKind>("erode");
  const [amount, setAmount] = useState(1);
  const [other, setOther] = useState<number | null>(null);
  const current = ws.currentId === r.id;
  const others = ws.rois.filter((x) => x.id !== r.id);

  async function save(opts: { name?: string; base?: number } = {}) {
    if (!project) return;
    setBusy(true);
    setError(null);
    try {
      await tool.save(project, r.id, opts);
      setConflict(null);
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      if (isConflict(err)) setConflict(text);
      else setError(text);
    } finally {
      setBusy(false);
    }
  }

  async function overwrite() {
    if (!project) return;
    try {
      await save({ base: await tool.currentVersion(project, r.id) });
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }

  function operate() {
    setError(null);
    try {
      const setOps: string[] = ["union", "intersection", "difference"];
      if (setOps.includes(op)) {
        const b = other ?? others[0]?.id ?? null;
        if (b === null) throw new Error("a set operation needs a second ROI: open one first");
        ws.setOperation(r.id, b, op as SetOperation);
      } else if (op === "remove_salt") ws.removeSalt(r.id, amount);
      else if (op === "fill_holes") ws.fillHoles(r.id);
      else ws.morph(r.id, op as Morphology, amount);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }

  const where = r.case ? `${r.case.pid} / ${r.case.sid}` : "local";
  const canSave = rights.write && r.case !== null && r.reference.fileId !== null;
  return (
    <div className={`roi-row${current ? " current" : ""}`} data-testid="roi-row" data-name={r.name} data-voxels={r.voxels}
      data-version={r.base} data-dirty={r.dirty ? "1" : "0"}>
      <div className="roi-line">
        <input type="radio" name="roi-current" data-testid="roi-current" checked={current} onChange={(e) => { ws.setCurrent(r.id); e.target.blur(); }}
          title="the current ROI: drawing goes here" />
        <input type="color" data-testid="roi-colour" value={r.colour} onChange={(e) => ws.setLook(r.id, { colour: e.target.value })} title="colour" />
        <b className="roi-name" title={`reference: ${r.reference.path}`}>{r.name}{r.dirty ? " *" : ""}</b>
        <span className="muted" data-testid="roi-info">{r.roi.grid.dims.join("×")} · {where} · {volumeMl(r)} mL ({r.voxels} vx){r.base ? ` · v${r.base}` : ""}</span>
      </div>
      <div className="roi-line">
        <button type="button" data-testid="roi-focus" onClick={() => tool.focus(r.id) || setError(`${r.name} is empty`)} title="focus: move the crosshair to the centre of gravity">Focus</button>
        <label title="visible in all viewports"><input type="checkbox" data-testid="roi-visible" checked={r.visible}
          onChange={(e) => { ws.setLook(r.id, { visible: e.target.checked }); e.target.blur(); }} /> visible</label>
        <label title="opacity">α <input type="range" data-testid="roi-opacity" min={0} max={1} step={0.05} value={r.opacity}
          onChange={(e) => ws.setLook(r.id, { opacity: Number(e.target.value) })} /></label>
        <label title="outline only"><input type="checkbox" data-testid="roi-outline" checked={r.outline}
          onChange={(e) => { ws.setLook(r.id, { outline: e.target.checked }); e.target.blur(); }} /> outline</label>
        <button type="button" data-testid="roi-save" disabled={!canSave || busy} onClick={() => void save()}
          title={canSave ? "save to the server (a new version)" : rights.write ? "only ROIs on an archive image of a study can be saved" : "you have no write right in this project"}>Save</button>
        <button type="button" data-testid="roi-download" disabled={!rights.download} onClick={() => void tool.download(r.id)}
          title={rights.download ? "download as .nii.gz" : "you have no download right in this project"}>Download</button>
        <button type="button" data-testid="roi-versions" disabled={!project || !r.case || r.base === 0} onClick={props.onVersions}
          title={r.base ? "every saved version: open a copy or restore one" : "not saved yet: no versions"}>Versions</button>
        <button type="button" data-testid="roi-clear" onClick={() => ws.clear(r.id)} title="clear every voxel (undoable)">Clear</button>
        <button type="button" data-testid="roi-delete" onClick={() => ws.remove(r.id)} title="close it (the server's copy stays)">Delete</button>
      </div>
      <div className="roi-line">
        <select data-testid="roi-op" value={op} onChange={(e) => setOp(e.target.value as OpKind)} title="operation">
          {OPS.map((o) => <option key={o.id} value={o.id}>{o.label}</option>)}
        </select>
        {["union", "intersection", "difference"].includes(op) ? (
          <select data-testid="roi-op-other" value={other ?? others[0]?.id ?? ""} onChange={(e) => setOther(Number(e.target.value))}>
            {others.map((o) => <option key={o.id} value={o.id}>{o.name}</option>)}
          </select>
        ) : op === "fill_holes" ? null : (
          <input type="number" data-testid="roi-op-amount" min={1} value={amount} onChange={(e) => setAmount(Math.max(1, Number(e.target.value)))}
            title={op === "remove_salt" ? "smallest component kept (voxels)" : "iterations (voxels deep)"} />
        )}
        <button type="button" data-testid="roi-op-apply" onClick={operate}>Apply</button>
      </div>
      {conflict ? (
        <div className="roi-conflict" data-testid="roi-conflict" role="alert">
          {conflict}
          <button type="button" data-testid="roi-conflict-overwrite" onClick={() => void overwrite()} title="save this content on top of the newest version (both stay as versions)">Save over it</button>
          <button type="button" data-testid="roi-conflict-rename" onClick={() => void save({ name: ws.freeName(`${r.name}_mine`, r.case), base: 0 })}>Save as a new ROI</button>
          <button type="button" onClick={() => setConflict(null)}>Cancel</button>
        </div>
      ) : null}
      {error ? <div className="roi-note error" data-testid="roi-error" role="alert">{error}</div> : null}
    </div>
  );
}
