/**
 * The DICOM header viewer: the header of a DICOM file (any instance of its series) or of a converted
 * image's kept originals, searchable by tag number and name, with the image's JSON sidecar beside it.
 */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, ok } from "../api/client";
import { keys } from "../api/queries";
import type { ArchiveFile } from "../api/types";
import { messageOf } from "../state/errors";
import { useEscape } from "../state/useEscape";
import { filterElements, sidecarRows } from "./filter";
import "./dicomheader.css";

function fetchHeader(project: string, fileId: number, index: number | null, signal?: AbortSignal) {
  const query = index === null ? {} : { index };
  return ok(api.GET("/api/projects/{project}/files/{file_id}/dicom-header", { params: { path: { project, file_id: fileId }, query }, signal }));
}

export function DicomHeaderDialog(props: { project: string; file: ArchiveFile; onClose: () => void }) {
  const [index, setIndex] = useState<number | null>(null);
  const [search, setSearch] = useState("");
  const query = useQuery({
    queryKey: [...keys.files(props.project), "dicom-header", props.file.id, index],
    queryFn: ({ signal }) => fetchHeader(props.project, props.file.id, index, signal),
    placeholderData: (previous) => previous,
  });
  const view = query.data;
  const count = view?.instances.length ?? 0;
  const shown = view ? filterElements(view.elements, search) : [];
  const sidecar = view ? sidecarRows(view.sidecar as Record<string, unknown> | null, search) : [];
  const go = (i: number) => setIndex(Math.max(0, Math.min(count - 1, i)));
  useEscape(props.onClose);

  return (
    <div className="modal-backdrop header-backdrop" onMouseDown={(e) => e.target === e.currentTarget && props.onClose()}>
      <div
        className="modal header-modal"
        role="dialog"
        aria-modal="true"
        aria-label={`DICOM header of ${props.file.path}`}
        data-testid="dicom-header"
      >
        <div className="panel-title">
          DICOM header · <span className="muted">{props.file.path}</span>
          <span className="spacer" />
          <button type="button" className="header-close" data-testid="header-close" aria-label="Close" onClick={props.onClose}>
            ×
          </button>
        </div>
        <div className="header-bar">
          <input
            data-testid="header-search"
            autoFocus
            placeholder="search: tag number (0010,0010) or name (PatientName, echo time)"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            spellCheck={false}
          />
          {count > 1 ? (
            <span className="header-instances" data-testid="header-instances">
              <button type="button" data-testid="header-prev" disabled={(view?.index ?? 0) <= 0} onClick={() => go((view?.index ?? 0) - 1)}>
                ‹
              </button>
              instance
              <input
                data-testid="header-index"
                type="number"
                min={1}
                max={count}
                value={(view?.index ?? 0) + 1}
                onChange={(e) => Number.isFinite(e.target.valueAsNumber) && go(e.target.valueAsNumber - 1)}
              />
              of {count}
              <button type="button" data-testid="header-next" disabled={(view?.index ?? 0) >= count - 1} onClick={() => go((view?.index ?? 0) + 1)}>
                ›
              </button>
            </span>
          ) : null}
          {query.isFetching ? <span className="spinner" aria-label="loading the header" /> : null}
        </div>
        {query.isError ? (
          <div className="field-error" role="alert" data-testid="header-error">
            {messageOf(query.error)}
          </div>
        ) : null}
        {view?.note ? (
          <div className="muted header-note" data-testid="header-note">
            {view.note}
          </div>
        ) : null}
        <div className="header-panes">
          <div className="header-pane">
            <div className="header-pane-title">
              {count > 0 ? view?.instances[view.index] : "no DICOM header"} · {shown.length} of {view?.elements.length ?? 0} elements
            </div>
            <div className="header-scroll">
              <table className="header-table" data-testid="header-table">
                <thead>
                  <tr>
                    <th>Tag</th>
                    <th>Name</th>
                    <th>VR</th>
                    <th>Value</th>
                  </tr>
                </thead>
                <tbody>
                  {shown.map((e, i) => (
                    <tr key={`${e.tag}-${i}`} data-testid="header-row" data-tag={e.tag} data-keyword={e.keyword}>
                      <td className="mono">{e.tag}</td>
                      <td style={{ paddingLeft: 4 + e.depth * 12 }} title={e.keyword}>
                        {e.name}
                      </td>
                      <td className="mono">{e.vr}</td>
                      <td className="value" title={e.value}>
                        {e.value}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
          {view?.sidecar_path ? (
            <div className="header-pane sidecar-pane" data-testid="header-sidecar">
              <div className="header-pane-title">JSON sidecar · {view.sidecar_path}</div>
              <div className="header-scroll">
                <table className="header-table">
                  <tbody>
                    {sidecar.map(([key, value]) => (
                      <tr key={key} data-testid="sidecar-row" data-key={key}>
                        <td>{key}</td>
                        <td className="value" title={value}>
                          {value}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </div>
          ) : null}
        </div>
      </div>
    </div>
  );
}
