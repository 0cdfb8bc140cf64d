/** Files of the selected study, reloaded when the selection changes. */
import { useEffect, useState } from "react";
import { studies } from "../api/endpoints";
import type { ArchiveFile } from "../api/types";
import { useErrors } from "./errors";

export interface StudyFiles {
  files: ArchiveFile[] | null;
  loading: boolean;
  /** The last load failed (its error is in the banner). */
  failed: boolean;
  /** Replace one file (after its tags changed). */
  updateFile: (file: ArchiveFile) => void;
}

export function useStudyFiles(project: string | null, pid: string | null, sid: string | null): StudyFiles {
  const { report } = useErrors();
  const [files, setFiles] = useState<ArchiveFile[] | null>(null);
  const [loading, setLoading] = useState(false);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    setFiles(null);
    setFailed(false);
    if (project === null || pid === null || sid === null) return;
    const controller = new AbortController();
    setLoading(true);
    studies
      .files(project, pid, sid, controller.signal)
      .then((list) => setFiles(list))
      .catch((err: unknown) => {
        if (!controller.signal.aborted) setFailed(true);
        report(err, `Loading files of ${pid}/${sid}`);
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
  }, [project, pid, sid, report]);

  const updateFile = (file: ArchiveFile) =>
    setFiles((list) => list?.map((f) => (f.id === file.id ? file : f)) ?? null);

  return { files, loading, failed, updateFile };
}
