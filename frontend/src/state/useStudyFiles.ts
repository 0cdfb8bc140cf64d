/** Files of the selected study: one query per study (`keys.studyFiles`), so going back to a study is instant. */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect } from "react";
import { studies } from "../api/endpoints";
import { keys } from "../api/queries";
import type { ArchiveFile } from "../api/types";
import { useErrors } from "./errors";

export interface StudyFiles {
  files: ArchiveFile[] | null;
  loading: boolean;
  /** The last load failed (its error is in the banner). */
  failed: boolean;
  /** Replace one file in the cached list (after its tags changed). */
  updateFile: (file: ArchiveFile) => void;
}

export function useStudyFiles(project: string | null, pid: string | null, sid: string | null): StudyFiles {
  const { report } = useErrors();
  const client = useQueryClient();
  const key = keys.studyFiles(project ?? "", pid ?? "", sid ?? "");
  const query = useQuery({
    queryKey: key,
    queryFn: ({ signal }) => studies.files(project ?? "", pid ?? "", sid ?? "", signal),
    enabled: project !== null && pid !== null && sid !== null,
  });
  useEffect(() => {
    if (query.error) report(query.error, `Loading files of ${pid}/${sid}`);
  }, [query.error, query.errorUpdatedAt]);

  const updateFile = useCallback(
    (file: ArchiveFile) =>
      client.setQueryData<ArchiveFile[]>(key, (list) => list?.map((f) => (f.id === file.id ? file : f))),
    [client, key.join("\u0000")],
  );
  const selected = project !== null && pid !== null && sid !== null;
  return {
    files: selected ? (query.data ?? null) : null,
    loading: query.isFetching,
    failed: query.isError,
    updateFile,
  };
}
