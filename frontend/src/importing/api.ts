/**
 * REST calls of the import feature. The zip upload goes through `uploadForm` (XMLHttpRequest, for its
 * upload progress); everything else through the typed client.
 */
import { api, ok, seg } from "../api/client";
import { uploadForm } from "../api/upload";
import type { BodyImportUploadApiProjectsProjectImportPost as ImportForm, ImportJobOut } from "../api/schema";

export type ImportJob = ImportJobOut;

/** The dialog's options: fields of the route's multipart form. */
export type ImportFormOptions = Partial<Record<keyof Pick<ImportForm, "patients_id" | "studies_id" | "addtag_study" | "addtag_patient">, string>>;

/** The multipart form of `POST /projects/{p}/import` (empty options are left out). */
export function importForm(file: Blob, name: string, options: ImportFormOptions = {}): FormData {
  const form = new FormData();
  form.append("file", file, name);
  for (const [key, value] of Object.entries(options)) {
    if (typeof value === "string" && value.trim() !== "") form.append(key, value.trim());
  }
  return form;
}

/** Upload a zip; `onProgress` gets the uploaded fraction (0..1). Resolves to the queued job. */
export function uploadZip(
  project: string,
  form: FormData,
  onProgress: (fraction: number) => void,
  path = "import",
): { promise: Promise<ImportJob>; abort: () => void } {
  return uploadForm<ImportJob>(`projects/${seg(project)}/${path}`, form, onProgress);
}

export const importing = {
  job: (project: string, id: number, signal?: AbortSignal) =>
    ok(api.GET("/api/projects/{project}/import/jobs/{job_id}", { params: { path: { project, job_id: id } }, signal })),
  jobs: (project: string) => ok(api.GET("/api/projects/{project}/import/jobs", { params: { path: { project } } })),
  retry: (project: string, id: number) =>
    ok(api.POST("/api/projects/{project}/import/jobs/{job_id}/retry", { params: { path: { project, job_id: id } } })),
};

/** One line per problem of a finished job's report, for the result list of the dialog. */
export function reportLines(job: ImportJob): { kind: "ok" | "warn"; text: string }[] {
  const report = job.report;
  if (report === null) return [];
  const lines: { kind: "ok" | "warn"; text: string }[] = [];
  for (const item of report.converted) {
    const notes = item.notes.length ? ` (${item.notes.join("; ")})` : "";
    lines.push({ kind: "ok", text: `${item.study}: ${item.name} → ${item.paths.filter((p) => p.endsWith(".nii.gz")).join(", ")}${notes}` });
  }
  for (const item of report.objects) lines.push({ kind: "ok", text: `${item.study}: ${item.kind} object "${item.name}" kept as DICOM` });
  for (const item of report.not_converted) lines.push({ kind: "warn", text: `${item.study}: ${item.name} not converted: ${item.reason}` });
  for (const i of report.ignored_files) lines.push({ kind: "warn", text: `ignored ${i}` });
  for (const w of report.warnings) lines.push({ kind: "warn", text: w });
  return lines;
}
