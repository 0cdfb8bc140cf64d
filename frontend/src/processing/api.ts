/** REST calls of the processing feature: catalog, script rows, launch, job monitor, saved batches. */
import { api, ok } from "../api/client";
import type { BatchDefOutput, JobArgOutput, JobDefOutput } from "../api/schema";

export type {
  CatalogJob as CatalogEntry,
  CatalogOut as Catalog,
  JobDetail,
  JobOut as JobRow,
  LaunchOut,
  SavedBatch,
  ScriptRow as ArgRow,
} from "../api/schema";
// The batch the tool edits is held as the server answers it (a saved batch's content): every field set.
export type BatchDef = BatchDefOutput;
export type JobDef = JobDefOutput;
export type JobArg = JobArgOutput;
export type ArgType = JobArg["type"];

export interface JobQuery {
  search: string;
  sort: string;
  hide_done: boolean;
}

export const processing = {
  catalog: (signal?: AbortSignal) => ok(api.GET("/api/processing/catalog", { signal })),
  /** The argument rows a script refers to ($f1 -> FILE f1): the server's rule, in its order. */
  scriptRows: (script: string, signal?: AbortSignal) =>
    ok(api.POST("/api/processing/script-rows", { body: { script }, signal })),
  jobs: (project: string, query: JobQuery, signal?: AbortSignal) =>
    ok(
      api.GET("/api/projects/{project}/jobs", {
        params: {
          path: { project },
          query: {
            ...(query.search ? { search: query.search } : {}),
            ...(query.sort ? { sort: query.sort } : {}),
            ...(query.hide_done ? { hide_done: true } : {}),
          },
        },
        signal,
      }),
    ),
  job: (project: string, id: number) =>
    ok(api.GET("/api/projects/{project}/jobs/{job_id}", { params: { path: { project, job_id: id } } })),
  log: (project: string, id: number) =>
    ok(
      api.GET("/api/projects/{project}/jobs/{job_id}/log", {
        params: { path: { project, job_id: id } },
        parseAs: "text",
      }),
    ),
  kill: (project: string, ids: number[]) =>
    ok(api.POST("/api/projects/{project}/jobs/kill", { params: { path: { project } }, body: { ids } })),
  dismiss: (project: string, ids: number[]) =>
    ok(api.POST("/api/projects/{project}/jobs/dismiss", { params: { path: { project } }, body: { ids } })),
  launch: (project: string, batch: BatchDef, rows: string[], queue: string | null) =>
    ok(api.POST("/api/projects/{project}/batches", { params: { path: { project } }, body: { batch, rows, queue } })),
  /** A launched batch as it ran (to correct and launch again). */
  batch: (project: string, batchId: number) =>
    ok(api.GET("/api/projects/{project}/batches/{batch_id}", { params: { path: { project, batch_id: batchId } } })),
  saved: (project: string, signal?: AbortSignal) =>
    ok(api.GET("/api/projects/{project}/saved-batches", { params: { path: { project } }, signal })),
  save: (project: string, name: string, content: BatchDef, shared: boolean) =>
    ok(
      api.PUT("/api/projects/{project}/saved-batches/{name}", {
        params: { path: { project, name } },
        body: { content, shared },
      }),
    ),
};
