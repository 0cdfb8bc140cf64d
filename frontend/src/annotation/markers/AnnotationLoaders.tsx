/**
 * The autoloader editor's annotation loaders (NORA's "Add annotation loader"): marker sets each case opens
 * with (name, type, colour, size, on/off; prepared empty when the patient has none), and what moving to the
 * next case does with changed ones: save them, or ask first.
 */
import type { AutoloaderDef } from "../../viewer/api";
import { DEFAULT_COLOR, DEFAULT_SIZE, SIZE_LIMITS, type MarkerType } from "./workspace";

type Entry = AutoloaderDef["annotations"][number];

export function AnnotationLoaders(props: { definition: AutoloaderDef; onChange: (def: AutoloaderDef) => void }) {
  const def = props.definition;
  const set = (i: number, change: Partial<Entry>) =>
    props.onChange({ ...def, annotations: def.annotations.map((a, k) => (k === i ? { ...a, ...change } : a)) });
  const add = () => {
    const taken = new Set(def.annotations.map((a) => a.name));
    let name = "landmarks";
    for (let n = 2; taken.has(name); n++) name = `landmarks_${n}`;
    props.onChange({ ...def, annotations: [...def.annotations, { name, type: "pointset", color: DEFAULT_COLOR, size: DEFAULT_SIZE, enabled: true }] });
  };
  return (
    <div className="al-annotations" data-testid="al-annotations">
      {def.annotations.length > 0 ? (
        <table className="al-table">
          <thead>
            <tr><th /><th>on</th><th>marker set</th><th>type</th><th>colour</th><th>size</th></tr>
          </thead>
          <tbody>
            {def.annotations.map((a, i) => (
              <tr key={i} data-testid="al-annotation">
                <td><button title="remove entry" aria-label={`remove annotation loader ${i + 1}`} onClick={() => props.onChange({ ...def, annotations: def.annotations.filter((_, k) => k !== i) })}>×</button></td>
                <td><input type="checkbox" checked={a.enabled} onChange={(e) => set(i, { enabled: e.target.checked })} /></td>
                <td><input data-testid="al-annotation-name" className="al-pattern" value={a.name} title="annotations/<name>.json of the case's patient" onChange={(e) => set(i, { name: e.target.value })} /></td>
                <td>
                  <select data-testid="al-annotation-type" value={a.type} onChange={(e) => set(i, { type: e.target.value as MarkerType })}>
                    <option value="pointset">pointset</option>
                    <option value="freeline">freeline</option>
                  </select>
                </td>
                <td><input type="color" value={a.color} onChange={(e) => set(i, { color: e.target.value })} /></td>
                <td><input className="al-small" type="number" min={SIZE_LIMITS.min} max={SIZE_LIMITS.max} step={0.5} value={a.size} onChange={(e) => set(i, { size: Number(e.target.value) })} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <div className="al-row">
        <button data-testid="al-add-annotation" onClick={add} title="a marker set every case opens with; made empty when the patient has none">
          Add annotation loader
        </button>
      </div>
    </div>
  );
}
