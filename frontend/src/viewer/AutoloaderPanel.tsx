/**
 * Autoloader presets: switch autoloading on and off, choose, save (personal or shared), delete, take a
 * snapshot of the current view (smart, strict, tag-based), edit the loader entries live, relaunch; drag a
 * preset onto a table row to run it for that case.
 */
import { AnnotationLoaders } from "../annotation/markers/AnnotationLoaders";
import { plainIntent, type AutoloaderDef, type LoaderEntry, type Preset, type RoiLoaderEntry } from "./api";
import { startPresetDrag } from "./bus";
import { COLORMAPS, LAYOUT_NAMES, type LayoutName, type Role } from "./model";

export interface AutoloaderProps {
  presets: Preset[];
  current: string;
  definition: AutoloaderDef;
  enabled: boolean;
  busy: boolean;
  onEnabled: (on: boolean) => void;
  onChoose: (name: string) => void;
  onChange: (def: AutoloaderDef) => void;
  /** null: saving is not allowed (guests) */
  onSave: ((name: string, shared: boolean) => void) | null;
  onDelete: () => void;
  onSnapshot: (mode: "smart" | "strict" | "tag") => void;
  onRelaunch: () => void;
  onClose: () => void;
}

function parseViewports(text: string): number[] {
  return text
    .split(/[\s,]+/)
    .filter((t) => t !== "")
    .map((t) => Number(t) - 1)
    .filter((n) => Number.isInteger(n) && n >= 0);
}

export function AutoloaderPanel(props: AutoloaderProps) {
  const def = props.definition;
  const chosen = props.presets.find((p) => p.name === props.current);
  const setLoader = (i: number, change: Partial<LoaderEntry>) =>
    props.onChange({ ...def, loaders: def.loaders.map((l, k) => (k === i ? { ...l, ...change } : l)) });

  return (
    <div className="autoloader-panel" data-testid="autoloader-panel">
      <div className="al-row">
        <label>
          <input type="checkbox" data-testid="autoload-enabled" checked={props.enabled} onChange={(e) => props.onEnabled(e.target.checked)} />
          Autoload on case change
        </label>
        <select data-testid="preset-select" value={props.current} onChange={(e) => props.onChoose(e.target.value)}>
          <option value="">(new preset)</option>
          {props.presets.map((p) => (
            <option key={`${p.name}:${p.shared}`} value={p.name}>
              {p.name}{p.shared ? " (shared)" : ""}
            </option>
          ))}
        </select>
        <button data-testid="autoload-relaunch" onClick={props.onRelaunch} disabled={props.busy}>Relaunch</button>
        <button onClick={props.onClose} title="close">×</button>
      </div>
      {props.presets.length > 0 ? (
        <div className="al-row" title="drag a preset onto a row of the table to run it for that case">
          <span>Drop on a row:</span>
          {props.presets.map((p) => (
            <span
              key={`${p.name}:${p.shared}`}
              className="al-preset-chip"
              data-testid="preset-chip"
              data-name={p.name}
              draggable
              onDragStart={(e) => startPresetDrag(p.name, e.dataTransfer)}
            >
              {p.name}{p.shared ? " (shared)" : ""}
            </span>
          ))}
        </div>
      ) : null}
      <div className="al-row">
        <span>Snapshot:</span>
        <button data-testid="snapshot-smart" onClick={() => props.onSnapshot("smart")}>smart</button>
        <button data-testid="snapshot-strict" onClick={() => props.onSnapshot("strict")}>strict</button>
        <button data-testid="snapshot-tag" onClick={() => props.onSnapshot("tag")}>tag-based</button>
        <label>
          level
          <select data-testid="al-level" value={def.level} onChange={(e) => props.onChange({ ...def, level: e.target.value as AutoloaderDef["level"] })}>
            <option value="either">patient or study</option>
            <option value="patient">patient</option>
            <option value="study">study</option>
          </select>
        </label>
        <label>
          main
          <input className="al-small" type="number" min={1} max={4} value={def.main_viewport + 1} onChange={(e) => props.onChange({ ...def, main_viewport: Math.max(0, Number(e.target.value) - 1) })} />
        </label>
        <label>
          layout
          <select value={def.layout ?? ""} onChange={(e) => props.onChange({ ...def, layout: (e.target.value || null) as LayoutName | null })}>
            <option value="">(keep)</option>
            {LAYOUT_NAMES.map((l) => (
              <option key={l} value={l}>{l}</option>
            ))}
          </select>
        </label>
      </div>
      <table className="al-table">
        <thead>
          <tr><th /><th>on</th><th>pattern</th><th>viewports</th><th>intent</th><th>colormap</th><th>min</th><th>max</th></tr>
        </thead>
        <tbody>
          {def.loaders.map((l, i) => (
            <tr key={i} data-testid="al-loader">
              {/* first, so that it stays on screen however narrow the viewer is */}
              <td><button data-testid="al-remove" title="remove entry" aria-label={`remove loader ${i + 1}`} onClick={() => props.onChange({ ...def, loaders: def.loaders.filter((_, k) => k !== i) })}>×</button></td>
              <td><input type="checkbox" checked={l.enabled} onChange={(e) => setLoader(i, { enabled: e.target.checked })} /></td>
              <td><input data-testid="al-pattern" className="al-pattern" value={l.pattern} onChange={(e) => setLoader(i, { pattern: e.target.value })} /></td>
              <td><input data-testid="al-viewports" className="al-small" defaultValue={l.viewports.map((v) => v + 1).join(",")} onBlur={(e) => setLoader(i, { viewports: parseViewports(e.target.value) })} /></td>
              <td>
                <select data-testid="al-role" value={l.intent.role} onChange={(e) => setLoader(i, { intent: { ...l.intent, role: e.target.value as Role } })}>
                  <option value="background">background</option>
                  <option value="overlay">overlay</option>
                  <option value="3d">3D</option>
                </select>
              </td>
              <td>
                <select value={l.intent.colormap ?? ""} onChange={(e) => setLoader(i, { intent: { ...l.intent, colormap: e.target.value || null } })}>
                  <option value="">(default)</option>
                  {COLORMAPS.map((c) => <option key={c} value={c}>{c}</option>)}
                </select>
              </td>
              <td><input className="al-small" type="number" step="any" value={l.intent.cal_min ?? ""} onChange={(e) => setLoader(i, { intent: { ...l.intent, cal_min: e.target.value === "" ? null : Number(e.target.value) } })} /></td>
              <td><input className="al-small" type="number" step="any" value={l.intent.cal_max ?? ""} onChange={(e) => setLoader(i, { intent: { ...l.intent, cal_max: e.target.value === "" ? null : Number(e.target.value) } })} /></td>
            </tr>
          ))}
        </tbody>
      </table>
      <AnnotationLoaders definition={def} onChange={props.onChange} />
      <RoiLoaders definition={def} onChange={props.onChange} />
      <div className="al-row">
        <label title="when ↑ / ↓ or a click in the table moves to another case while the ROI or annotation loaders' targets changed">
          changed ROIs and marker sets on the next case:
          <select data-testid="al-on-next" value={def.on_next_case} onChange={(e) => props.onChange({ ...def, on_next_case: e.target.value as AutoloaderDef["on_next_case"] })}>
            <option value="save">save</option>
            <option value="ask">ask first</option>
          </select>
        </label>
      </div>
      <div className="al-row">
        <button data-testid="al-add" onClick={() => props.onChange({ ...def, loaders: [...def.loaders, { pattern: "*.nii*", viewports: [0], enabled: true, intent: plainIntent("background") }] })}>
          Add image loader
        </button>
        {props.onSave ? <SaveForm current={props.current} shared={chosen?.shared ?? false} onSave={props.onSave} /> : null}
        {chosen?.mine ? <button data-testid="preset-delete" onClick={props.onDelete}>Delete</button> : null}
      </div>
    </div>
  );
}

function SaveForm(props: { current: string; shared: boolean; onSave: (name: string, shared: boolean) => void }) {
  return (
    <form
      className="al-save"
      onSubmit={(e) => {
        e.preventDefault();
        const form = new FormData(e.currentTarget);
        props.onSave(String(form.get("name") ?? "").trim(), form.get("shared") === "on");
      }}
    >
      <input name="name" data-testid="preset-name" placeholder="preset name" defaultValue={props.current} key={props.current} />
      <label><input type="checkbox" name="shared" data-testid="preset-shared" defaultChecked={props.shared} /> shared</label>
      <button type="submit" data-testid="preset-save">Save</button>
    </form>
  );
}

/** NORA's ROI loaders: the case's ROI files by pattern, in a colour; autocreate an empty ROI when none. */
function RoiLoaders(props: { definition: AutoloaderDef; onChange: (def: AutoloaderDef) => void }) {
  const def = props.definition;
  const rois = def.rois;
  const set = (i: number, change: Partial<RoiLoaderEntry>) => props.onChange({ ...def, rois: rois.map((r, k) => (k === i ? { ...r, ...change } : r)) });
  const add = () =>
    props.onChange({ ...def, rois: [...rois, { pattern: "ROIS/*.nii.gz", colour: "#ff3b30", autocreate: false, name: "roi", enabled: true }] });
  return (
    <div className="al-rois" data-testid="al-rois">
      {rois.length > 0 ? (
        <table className="al-table">
          <thead>
            <tr><th /><th>on</th><th>ROI pattern</th><th>colour</th><th>autocreate</th><th>name</th></tr>
          </thead>
          <tbody>
            {rois.map((r, i) => (
              <tr key={i} data-testid="al-roi-loader">
                <td><button data-testid="al-roi-remove" aria-label={`remove ROI loader ${i + 1}`} onClick={() => props.onChange({ ...def, rois: rois.filter((_, k) => k !== i) })}>×</button></td>
                <td><input type="checkbox" checked={r.enabled} onChange={(e) => set(i, { enabled: e.target.checked })} /></td>
                <td><input data-testid="al-roi-pattern" className="al-pattern" value={r.pattern} onChange={(e) => set(i, { pattern: e.target.value })} /></td>
                <td><input type="color" data-testid="al-roi-colour" value={r.colour} onChange={(e) => set(i, { colour: e.target.value })} /></td>
                <td title="an empty ROI on the background's grid when the case has none">
                  <input type="checkbox" data-testid="al-roi-autocreate" checked={r.autocreate} onChange={(e) => set(i, { autocreate: e.target.checked })} />
                </td>
                <td><input data-testid="al-roi-name" className="al-small" value={r.name} onChange={(e) => set(i, { name: e.target.value })} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <div className="al-row">
        <button data-testid="al-roi-add" onClick={add}>Add ROI loader</button>
      </div>
    </div>
  );
}
