/** REST calls of the PACS query tool (`ok()` turns failures into messages to show). */
import { api, ok } from "../api/client";
import type { FindIn, PacsNodeOut, RetrieveJobOut } from "../api/schema";
import type { RetrieveItem } from "./model";

export type PacsNode = PacsNodeOut;
export type RetrieveJob = RetrieveJobOut;
export type SearchKeys = FindIn;

export const pacsApi = {
  nodes: (signal?: AbortSignal) => ok(api.GET("/api/pacs/nodes", { signal })),
  search: (node: string, keys: SearchKeys, signal?: AbortSignal) =>
    ok(api.POST("/api/pacs/nodes/{node}/search", { params: { path: { node } }, body: keys, signal })),
  retrieve: (node: string, project: string, items: RetrieveItem[]) =>
    ok(api.POST("/api/pacs/nodes/{node}/retrieve", { params: { path: { node } }, body: { project, items } })),
  job: (id: number) => ok(api.GET("/api/pacs/jobs/{job_id}", { params: { path: { job_id: id } } })),
};
