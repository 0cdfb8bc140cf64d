/** The files panel's "Files | Series" switch: the series view is the study browser. */
import { useState, type ReactNode } from "react";
import type { ArchiveFile } from "../api/types";
import { StudyBrowser } from "./StudyBrowser";

export function useStudyBrowser(study: { pid: string; sid: string } | null, files: ArchiveFile[] | null): { toggle: ReactNode; body: ReactNode | null } {
  const [series, setSeries] = useState(false);
  const toggle = (
    <span className="files-view-toggle" role="group" aria-label="files panel view">
      <button type="button" data-testid="view-files" className={series ? "" : "active"} aria-pressed={!series} onClick={() => setSeries(false)}>
        Files
      </button>
      <button type="button" data-testid="view-series" className={series ? "active" : ""} aria-pressed={series} title="The study's series, and Open study" onClick={() => setSeries(true)}>
        Series
      </button>
    </span>
  );
  const body = series && study !== null && files !== null ? <StudyBrowser study={study} files={files} /> : null;
  return { toggle, body };
}
