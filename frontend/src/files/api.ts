/** REST calls of the files panel's actions: upload into a study or patient folder, rename, trash, restore. */
import { api, ok, seg } from "../api/client";
import type { ArchiveFile } from "../api/types";
import { uploadForm } from "../api/upload";

/** Where an upload goes: a study folder, or the patient folder (`sid` null). */
export interface Target {
  pid: string;
  sid: string | null;
}

/** The multipart form of the upload routes: files, an optional sub-folder, overwrite. */
export function uploadFormData(files: File[], folder: string, overwrite: boolean): FormData {
  const form = new FormData();
  for (const f of files) form.append("file", f, f.name);
  if (folder.trim() !== "") form.append("folder", folder.trim());
  if (overwrite) form.append("overwrite", "true");
  return form;
}

export function uploadFiles(project: string, target: Target, form: FormData, onProgress: (f: number) => void) {
  const node = `projects/${seg(project)}/patients/${seg(target.pid)}`;
  return uploadForm<ArchiveFile[]>(target.sid === null ? `${node}/files` : `${node}/studies/${seg(target.sid)}/files`, form, onProgress);
}

export const fileActions = {
  rename: (project: string, fileId: number, path: string) =>
    ok(api.PATCH("/api/projects/{project}/files/{file_id}", { params: { path: { project, file_id: fileId } }, body: { path } })),
  trash: (project: string, fileId: number) =>
    ok(api.POST("/api/projects/{project}/files/{file_id}/trash", { params: { path: { project, file_id: fileId } } })),
  listTrash: (project: string, signal?: AbortSignal) =>
    ok(api.GET("/api/projects/{project}/trash", { params: { path: { project } }, signal })),
  restore: (project: string, entryId: number) =>
    ok(api.POST("/api/projects/{project}/trash/{entry_id}/restore", { params: { path: { project, entry_id: entryId } } })),
  purge: (project: string, entryId: number) =>
    ok(api.DELETE("/api/projects/{project}/trash/{entry_id}", { params: { path: { project, entry_id: entryId } } })),
};

/** The suffix a rename must keep (`.nii.gz`, `.nii`, `.trk.gz`): the server refuses a change. */
export function extensionOf(path: string): string {
  const parts = (path.split("/").pop() ?? "").toLowerCase().split(".");
  if (parts.length > 2 && parts[parts.length - 1] === "gz") return `.${parts[parts.length - 2]}.gz`;
  return parts.length > 1 ? `.${parts[parts.length - 1]}` : "";
}
