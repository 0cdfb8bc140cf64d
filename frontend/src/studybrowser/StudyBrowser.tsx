/**
 * The study browser: the selected study's series (description, slices, time points, modality) as a
 * list; a click shows one in the next free viewport, "Open study" lays the study's image series out in
 * the viewer (a layout with a viewport per series, up to four) and adds its meshes and tracts in 3D.
 */
import type { ArchiveFile } from "../api/types";
import { openFile, openStudy } from "../viewer/bus";
import { seriesOf } from "./series";
import "./studybrowser.css";

export function StudyBrowser(props: { study: { pid: string; sid: string }; files: ArchiveFile[] }) {
  const series = seriesOf(props.files);
  const volumes = series.filter((s) => s.kind === "volume");
  return (
    <div className="study-browser" data-testid="study-browser">
      <div className="study-browser-bar">
        <span className="muted">
          {volumes.length} image series{series.length > volumes.length ? `, ${series.length - volumes.length} mesh${series.length - volumes.length === 1 ? "" : "es"} / tracts` : ""}
        </span>
        <button
          type="button"
          className="primary"
          data-testid="open-study"
          disabled={series.length === 0}
          title="Show the study's series in the viewer, one viewport each (up to four)"
          onClick={() => openStudy(series.map((s) => ({ file: s.file, kind: s.kind })))}
        >
          Open study
        </button>
      </div>
      <ul className="series-list">
        {series.map((s) => (
          <li
            key={s.file.id}
            data-testid="series-item"
            data-path={s.file.path}
            title={`${s.file.path}\nclick: show in the next free viewport`}
            onClick={() => openFile(s.file)}
          >
            <span className={`series-kind kind-${s.kind}`}>{s.kind === "volume" ? (s.modality || "IMG") : s.kind}</span>
            <span className="series-description">
              {s.description} <span className="muted">· {s.file.path.split("/").pop()}</span>
            </span>
            <span className="series-counts muted" data-testid="series-counts">
              {s.slices !== null ? `${s.slices} slice${s.slices === 1 ? "" : "s"}` : ""}
              {s.frames !== null ? ` × ${s.frames} time points` : ""}
            </span>
          </li>
        ))}
      </ul>
      {series.length === 0 ? <div className="empty">No image series in {props.study.pid} / {props.study.sid}.</div> : null}
    </div>
  );
}
