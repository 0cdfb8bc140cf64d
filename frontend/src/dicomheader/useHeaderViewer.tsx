/** Wires the DICOM header viewer into the desktop: a file's context-menu entry and the open dialog. */
import { useState, type ReactNode } from "react";
import type { ArchiveFile } from "../api/types";
import type { MenuItem } from "../components/ContextMenu";
import { DicomHeaderDialog } from "./DicomHeaderDialog";

export function useHeaderViewer(project: string | null): { menuItems: (file: ArchiveFile) => MenuItem[]; dialog: ReactNode } {
  const [file, setFile] = useState<ArchiveFile | null>(null);
  if (project === null) return { menuItems: () => [], dialog: null };
  return {
    menuItems: (f) => [
      {
        testId: "ctx-dicom-header",
        label: f.format === "dicom" ? "DICOM header…" : "DICOM header and sidecar…",
        separatorBefore: true,
        onSelect: () => setFile(f),
      },
    ],
    dialog: file ? <DicomHeaderDialog key={file.id} project={project} file={file} onClose={() => setFile(null)} /> : null,
  };
}
