/**
 * The ROIstats window: for every image shown in the viewer and every open ROI, NORA's statistics
 * (median, 25th / 75th percentile, mean, std, volume in mL, area in cm² for 2D ROIs) computed in the page
 * by stats.ts exactly as the server's (the image resampled onto the ROI grid when they differ), with
 * "Copy as CSV". Recomputed when an ROI or the viewer's images change.
 */
import type { NVImage } from "@niivue/niivue";
import { useMemo, useState, useSyncExternalStore } from "react";
import { FloatingWindow, type Rect } from "../../components/FloatingWindow";
import { viewportCount } from "../../viewer/model";
import { type ImageVolume, roiStats, type RoiStats, statsCsv } from "../stats";
import type { RoiTool } from "./tool";
import { volumeGrid, volumeScale } from "./volume";

const place = (): Rect => ({ left: 8, top: 60, width: 760, height: 300 });

export interface StatsRowView {
  roi: string;
  image: string;
  imageFileId: number | null;
  stats: RoiStats;
}

/** The image of an NVImage for the statistics: its grid and first frame, in scaled units. */
export function imageVolume(vol: NVImage): ImageVolume {
  const grid = volumeGrid(vol);
  const n = grid.dims[0] * grid.dims[1] * grid.dims[2];
  const img = vol.img as ArrayLike<number>;
  const { slope, inter } = volumeScale(vol);
  const data = new Float64Array(n);
  for (let v = 0; v < n; v++) data[v] = (img[v] ?? 0) * slope + inter;
  return { grid, data };
}

/** Every image shown in the layout's viewports (each once) x every open ROI. */
export function computeStats(tool: RoiTool): StatsRowView[] {
  const engine = tool.engine;
  const images: { key: string; name: string; fileId: number | null; vol: NVImage }[] = [];
  for (const vp of engine.viewports.slice(0, viewportCount(engine.layout))) {
    for (const e of vp.entries) {
      if (!e.vol || images.some((i) => i.key === e.key)) continue;
      const item = engine.items.get(e.key);
      images.push({ key: e.key, name: item?.source.name ?? e.key, fileId: item?.source.fileId ?? null, vol: e.vol });
    }
  }
  const rows: StatsRowView[] = [];
  for (const img of images) {
    const volume = imageVolume(img.vol);
    for (const r of tool.ws.rois) rows.push({ roi: r.name, image: img.name, imageFileId: img.fileId, stats: roiStats(volume, r.roi) });
  }
  return rows;
}

function num(v: number | null, digits = 4): string {
  if (v === null) return "–";
  return Math.abs(v) >= 1e5 || Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(digits + 2)));
}

export function RoiStatsWindow(props: { tool: RoiTool; onClose: () => void }) {
  const { tool } = props;
  useSyncExternalStore(tool.ws.subscribe, tool.ws.getVersion);
  const settled = tool.ws.settled; // not every move of a stroke: the statistics are a pass over every ROI
  const snap = useSyncExternalStore(tool.engine.subscribe, tool.engine.snapshot);
  const [copied, setCopied] = useState<string | null>(null);
  const entriesKey = snap.entries.map((vp) => vp.map((e) => e.key).join(",")).join(";");
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const rows = useMemo(() => computeStats(tool), [tool, settled, entriesKey]);
  const csv = statsCsv(rows);

  async function copy() {
    try {
      await navigator.clipboard.writeText(csv);
      setCopied("copied");
    } catch (err) {
      setCopied(`could not copy (${err instanceof Error ? err.message : String(err)}): select the table instead`);
    }
  }

  return (
    <FloatingWindow id="roi-stats" testId="roi-stats" label="ROIstats" className="roi-window" headClassName="roi-head" initial={place}
      onClose={props.onClose}
      head={<>
        <strong>ROIstats</strong>
        <button type="button" data-testid="roi-stats-copy" onClick={() => void copy()} disabled={rows.length === 0}>Copy as CSV</button>
        {copied ? <span className="muted" data-testid="roi-stats-copied">{copied}</span> : null}
        <span className="spacer" />
        <button type="button" onClick={props.onClose} title="close (Esc)">×</button>
      </>}
    >
      <div className="roi-stats-body" data-csv={csv} data-testid="roi-stats-body">
        {rows.length === 0 ? <div className="muted roi-empty">Open an ROI and show an image: one row per image and ROI.</div> : (
          <table className="roi-stats-table">
            <thead>
              <tr><th>ROI</th><th>image</th><th>median</th><th>p25</th><th>p75</th><th>mean</th><th>std</th><th>volume mL</th><th>area cm²</th><th>voxels</th></tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <tr key={i} data-testid="roi-stats-row" data-roi={r.roi} data-image={r.image} data-mean={r.stats.mean ?? ""}
                  data-median={r.stats.median ?? ""} data-std={r.stats.std ?? ""} data-voxels={r.stats.voxels}>
                  <td>{r.roi}</td><td>{r.image}</td><td>{num(r.stats.median)}</td><td>{num(r.stats.p25)}</td><td>{num(r.stats.p75)}</td>
                  <td>{num(r.stats.mean)}</td><td>{num(r.stats.std)}</td><td>{num(r.stats.volume_ml)}</td><td>{num(r.stats.area_cm2)}</td><td>{r.stats.voxels}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </FloatingWindow>
  );
}
