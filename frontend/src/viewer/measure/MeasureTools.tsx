/**
 * The viewer toolbar's measurement tools: the tool chooser, the list of measurements of the files on
 * screen (distance in mm, angle in degrees, regions with mean, std, min, max, area) and Clear.
 */
import { useState, useSyncExternalStore } from "react";
import type { ViewerEngine } from "../engine";
import { Measurements, TOOLS, type Tool } from "./measure";
import "./measure.css";

const engines = new WeakMap<ViewerEngine, Measurements>();

/** The one `Measurements` of an engine (shared links read it too). */
export function measurementsOf(engine: ViewerEngine): Measurements {
  let m = engines.get(engine);
  if (!m) {
    m = new Measurements(engine);
    engines.set(engine, m);
  }
  return m;
}

function num(v: number, digits = 1): string {
  return Math.abs(v) >= 1000 ? v.toFixed(0) : v.toFixed(digits);
}

export function MeasureTools(props: { engine: ViewerEngine }) {
  const m = measurementsOf(props.engine);
  useSyncExternalStore(m.subscribe, m.getVersion);
  const [open, setOpen] = useState(false);
  const files = m.list();
  const count = files.reduce((n, f) => n + f.m.distances.length + f.m.angles.length + f.m.regions.length, 0);
  return (
    <span className="measure-tools">
      <select data-testid="measure-tool" value={m.tool} title="measurement tool for the left mouse button in 2D viewports" onChange={(e) => m.setTool(e.target.value as Tool)}>
        {TOOLS.map((t) => (
          <option key={t.id} value={t.id}>
            {t.label}
          </option>
        ))}
      </select>
      <button type="button" data-testid="measure-list-toggle" title="the measurements, per file" onClick={() => setOpen((o) => !o)}>
        List ({count})
      </button>
      {open ? (
        <div className="measure-list" data-testid="measure-list" role="dialog" aria-label="Measurements">
          <div className="panel-title">
            Measurements
            <span className="spacer" />
            <button type="button" data-testid="measure-clear-all" disabled={count === 0} onClick={() => m.clear(null)}>
              Clear all
            </button>
          </div>
          {files.length === 0 ? <div className="muted measure-empty">None yet: choose a tool, then draw in a 2D viewport.</div> : null}
          {files.map((f) => (
            <div key={f.key} className="measure-file" data-testid="measure-file" data-name={f.name}>
              <div className="measure-file-name">
                {f.name}
                <button type="button" data-testid="measure-clear" onClick={() => m.clear(f.key)}>
                  Clear
                </button>
              </div>
              {f.m.distances.map((d, i) => (
                <div key={`d${i}`} data-testid="measure-distance">distance {num(d.distance)} mm</div>
              ))}
              {f.m.angles.map((a, i) => (
                <div key={`a${i}`} data-testid="measure-angle">angle {num(a.angle)}°</div>
              ))}
              {f.m.regions.map((r, i) => (
                <div key={`r${i}`} data-testid="measure-region" data-shape={r.shape}>
                  {r.shape === "rect" ? "rectangle" : "ellipse"}: mean {num(r.stats.mean, 2)} · std {num(r.stats.std, 2)} · min {num(r.stats.min, 2)} · max{" "}
                  {num(r.stats.max, 2)} · area {num(r.stats.areaMM2)} mm² ({r.stats.n} voxels)
                </div>
              ))}
            </div>
          ))}
        </div>
      ) : null}
    </span>
  );
}
