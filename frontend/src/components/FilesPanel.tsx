/**
 * Files of the selected study: path, format, size, header summary and tags. A click selects a file, a
 * double-click opens it in the viewer; saving it is the context menu's "Download" (with the download right).
 */
import { useState, type MouseEvent, type ReactNode } from "react";
import type { ArchiveFile } from "../api/types";
import { formatSize, headerDims, headerVoxel } from "../lib/format";
import type { StudyFiles } from "../state/useStudyFiles";
import { endDrag, openFile, startDrag } from "../viewer/bus";

export function FilesPanel(props: {
  study: { pid: string; sid: string } | null;
  files: StudyFiles;
  onFileMenu: (file: ArchiveFile, x: number, y: number) => void;
  /** the panel's action buttons (files/useFileActions) */
  tools?: ReactNode;
  /** shown instead of the file table (the study browser's series view) */
  body?: ReactNode;
}) {
  const [selected, setSelected] = useState<number | null>(null);
  const { files, loading, failed } = props.files;

  function onContextMenu(event: MouseEvent, file: ArchiveFile) {
    event.preventDefault();
    setSelected(file.id);
    props.onFileMenu(file, event.clientX, event.clientY);
  }

  return (
    <section className="files-panel" aria-label="Files" data-testid="files-panel">
      <div className="panel-title">
        Files
        {props.study ? (
          <span className="muted">
            {" "}· {props.study.pid} / {props.study.sid}
            {files ? ` · ${files.length} file${files.length === 1 ? "" : "s"}` : ""}
          </span>
        ) : null}
        {loading ? <span className="spinner" aria-label="loading files" /> : null}
        {props.tools}
      </div>
      {props.study === null ? (
        <div className="empty">Select a study to see its files.</div>
      ) : failed ? (
        <div className="empty">The files could not be loaded; see the message above.</div>
      ) : props.body ? (
        props.body
      ) : files !== null && files.length === 0 ? (
        <div className="empty">This study has no files.</div>
      ) : (
        <div className="files-scroll">
          <table className="files-table">
            <thead>
              <tr>
                <th>Path</th>
                <th>Format</th>
                <th className="right">Size</th>
                <th>Dims</th>
                <th>Voxel</th>
                <th>Tags</th>
              </tr>
            </thead>
            <tbody>
              {files?.map((file) => (
                <tr
                  key={file.id}
                  data-testid="file-row"
                  data-path={file.path}
                  data-file-id={file.id}
                  className={selected === file.id ? "selected" : ""}
                  onClick={() => setSelected(file.id)}
                  draggable
                  onDragStart={(e) => startDrag(file, e.dataTransfer)}
                  onDragEnd={endDrag}
                  onDoubleClick={() => openFile(file)}
                  title="double-click: show in the next free viewport; drag: drop into a viewport; right-click: tags, download"
                  onContextMenu={(e) => onContextMenu(e, file)}
                >
                  <td className="path" title={file.path}>
                    {file.path}
                  </td>
                  <td>{file.format ?? ""}</td>
                  <td className="right">{formatSize(file.size)}</td>
                  <td>{headerDims(file.header)}</td>
                  <td>{headerVoxel(file.header)}</td>
                  <td className="tags">
                    {file.tags.map((t) => (
                      <span key={t} className="chip chip-file" data-testid="ftag-chip">{t}</span>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
