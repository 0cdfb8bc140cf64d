/**
 * The viewbar: one row per object in a viewport (upper right) with colormap, colour limits, opacity,
 * outline, visibility, 4D frame, order and remove. Changes apply to the object in every viewport; with
 * Shift held they apply to this viewport only.
 */
import type { CSSProperties } from "react";
import type { ViewerEngine, Snapshot } from "./engine";
import { COLORMAPS, type Look } from "./model";

function num(value: number): string {
  if (!Number.isFinite(value)) return "";
  return String(Math.round(value * 1000) / 1000);
}

/** The width a colour-limit field needs for its value (CSS `--chars`, see viewer.css). */
function chars(value: number): CSSProperties {
  return { "--chars": Math.max(4, num(value).length) } as CSSProperties;
}

export function Viewbar(props: { engine: ViewerEngine; snap: Snapshot; index: number }) {
  const { engine, snap, index } = props;
  const entries = snap.entries[index] ?? [];
  if (entries.length === 0) return null;
  const set = (key: string, change: Partial<Look>) => engine.setLook(index, key, change);
  return (
    <div className="viewbar" data-testid={`viewbar-${index}`} onPointerDown={(e) => e.stopPropagation()}>
      {entries.map((entry, pos) => {
        const item = snap.items[entry.key];
        if (!item) return null;
        const look = entry.look;
        const isVolume = item.source.kind === "volume";
        return (
          <div
            key={entry.key}
            className={`viewbar-item ${entry.role}${entry.override ? " own" : ""}`}
            data-testid="viewbar-item"
            data-name={item.source.name}
            data-role={entry.role}
            title={entry.override ? "has settings of its own in this viewport (Shift)" : item.source.name}
          >
            <span className="vb-name">{item.source.name}</span>
            <button
              className="vb-btn"
              data-testid="vb-visible"
              title="show / hide"
              onClick={() => set(entry.key, { visible: !look.visible })}
            >
              {look.visible ? "◉" : "○"}
            </button>
            {isVolume ? (
              <>
                <select
                  data-testid="vb-colormap"
                  value={look.colormap}
                  onChange={(e) => set(entry.key, { colormap: e.target.value })}
                  title="colormap (Shift: this viewport only)"
                >
                  {COLORMAPS.includes(look.colormap) ? null : <option value={look.colormap}>{look.colormap}</option>}
                  {COLORMAPS.map((c) => (
                    <option key={c} value={c}>{c}</option>
                  ))}
                </select>
                <input
                  className="vb-num"
                  data-testid="vb-min"
                  type="number"
                  step="any"
                  title="lower colour limit"
                  style={chars(look.calMin)}
                  value={num(look.calMin)}
                  onChange={(e) => e.target.value !== "" && set(entry.key, { calMin: Number(e.target.value) })}
                />
                <input
                  className="vb-num"
                  data-testid="vb-max"
                  type="number"
                  step="any"
                  title="upper colour limit"
                  style={chars(look.calMax)}
                  value={num(look.calMax)}
                  onChange={(e) => e.target.value !== "" && set(entry.key, { calMax: Number(e.target.value) })}
                />
                {engine.volumeActions.map((a) => (
                  <button key={a.id} className="vb-btn" data-testid={`vb-${a.id}`} title={a.title} onClick={() => a.run(index, entry.key)}>{a.label}</button>
                ))}
                {item.frames > 1 ? (
                  <label className="vb-frame" title="4D frame">
                    t
                    <input
                      className="vb-num"
                      data-testid="vb-frame"
                      type="number"
                      min={0}
                      max={item.frames - 1}
                      value={look.frame}
                      onChange={(e) => set(entry.key, { frame: Math.max(0, Math.min(item.frames - 1, Number(e.target.value) || 0)) })}
                    />
                    /{item.frames}
                  </label>
                ) : null}
                {entry.role === "overlay" ? (
                  <label title="outline (label maps)">
                    <input
                      type="checkbox"
                      data-testid="vb-outline"
                      checked={look.outline}
                      onChange={(e) => set(entry.key, { outline: e.target.checked })}
                    />
                    ▢
                  </label>
                ) : null}
              </>
            ) : null}
            <input
              className="vb-opacity"
              data-testid="vb-opacity"
              type="range"
              min={0}
              max={1}
              step={0.05}
              value={look.opacity}
              title="opacity"
              onChange={(e) => set(entry.key, { opacity: Number(e.target.value) })}
            />
            {isVolume ? (
              <>
                <button className="vb-btn" title="move up" data-testid="vb-up" disabled={pos === entries.length - 1} onClick={() => engine.reorder(index, entry.key, 1)}>▲</button>
                <button className="vb-btn" title="move down" data-testid="vb-down" disabled={pos === 0} onClick={() => engine.reorder(index, entry.key, -1)}>▼</button>
              </>
            ) : null}
            <button className="vb-btn" title="remove from this viewport" data-testid="vb-remove" onClick={() => engine.removeFrom(index, entry.key)}>×</button>
          </div>
        );
      })}
    </div>
  );
}
