/** REST calls of the processing feature: catalog, launch, job monitor, saved batches. */
import { request, seg } from "../api/client";
import type * as S from "../api/schema";

export type JobRow = S.JobOut;
export type JobDetail = S.JobDetail;
export type Catalog = S.CatalogOut;
export type SavedBatch = S.SavedBatch;
export type LaunchOut = S.LaunchOut;

export type ArgType = "FILE" | "OUT" | "PATHOUT" | "NUMERIC" | "STRING" | "LOGICAL" | "OPTION";
export interface JobArg {
  name: string;
  type: ArgType;
  value: string | number | boolean;
  ref?: string;
  multi?: boolean;
}
export interface JobDef {
  job: string;
  label?: string;
  script?: string;
  args: JobArg[];
  timeout_s?: number | null;
}
export interface BatchDef {
  name: string;
  level: "study" | "subject";
  jobs: JobDef[];
}

const base = (project: string) => `/projects/${seg(project)}`;

export const processing = {
  catalog: () => request<Catalog>("GET", "/processing/catalog"),
  jobs: (project: string, query: { state?: string[]; search?: string; sort?: string; hide_done?: boolean }) => {
    const params = new URLSearchParams();
    for (const s of query.state ?? []) params.append("state", s);
    if (query.search) params.set("search", query.search);
    if (query.sort) params.set("sort", query.sort);
    if (query.hide_done) params.set("hide_done", "true");
    return request<JobRow[]>("GET", `${base(project)}/jobs`, { query: params });
  },
  job: (project: string, id: number) => request<JobDetail>("GET", `${base(project)}/jobs/${id}`),
  log: async (project: string, id: number): Promise<string> => {
    const response = await fetch(`/api${base(project)}/jobs/${id}/log`, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`could not load the log (HTTP ${response.status})`);
    return response.text();
  },
  kill: (project: string, ids: number[]) =>
    request<{ killed: number[] }>("POST", `${base(project)}/jobs/kill`, { body: { ids } }),
  dismiss: (project: string, ids: number[]) =>
    request<{ dismissed: number[] }>("POST", `${base(project)}/jobs/dismiss`, { body: { ids } }),
  launch: (project: string, batch: BatchDef, rows: string[], queue: string | null) =>
    request<LaunchOut>("POST", `${base(project)}/batches`, { body: { batch, rows, queue } }),
  saved: (project: string) => request<SavedBatch[]>("GET", `${base(project)}/saved-batches`),
  save: (project: string, name: string, content: BatchDef, shared: boolean) =>
    request<SavedBatch>("PUT", `${base(project)}/saved-batches/${seg(name)}`, { body: { content, shared } }),
};
