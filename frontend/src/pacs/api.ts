/** REST calls of the PACS query tool (the shared `request()` turns failures into messages to show). */
import { request, seg } from "../api/client";
import type * as S from "../api/schema";
import type { RetrieveItem } from "./model";

export type PacsNode = S.PacsNodeOut;
export type RetrieveJob = S.RetrieveJobOut;
export type SearchKeys = S.FindIn;

export const pacsApi = {
  nodes: () => request<PacsNode[]>("GET", "/pacs/nodes"),
  search: (node: string, keys: SearchKeys, signal?: AbortSignal) =>
    request<S.PacsStudyRow[]>("POST", `/pacs/nodes/${seg(node)}/search`, { body: keys, signal }),
  retrieve: (node: string, project: string, items: RetrieveItem[]) =>
    request<RetrieveJob>("POST", `/pacs/nodes/${seg(node)}/retrieve`, { body: { project, items } }),
  job: (id: number) => request<RetrieveJob>("GET", `/pacs/jobs/${id}`),
};
