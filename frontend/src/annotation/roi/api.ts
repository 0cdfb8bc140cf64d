/** The ROI tool's REST calls (docs/annotation.md): a study's ROIs, one ROI, save (versioned), delete, stats. */
import { api, ApiError, fetchBytes, ok } from "../../api/client";
import type { RoiOut, StatsRow } from "../../api/schema";

export type Roi = RoiOut;
export type ServerStats = StatsRow;

const STUDY = "/api/projects/{project}/patients/{pid}/studies/{sid}/rois/{name}" as const;

export const roiApi = {
  list: (project: string, pid: string, sid: string, signal?: AbortSignal) =>
    ok(api.GET("/api/projects/{project}/patients/{pid}/studies/{sid}/rois", { params: { path: { project, pid, sid } }, signal })),
  get: (project: string, pid: string, sid: string, name: string) =>
    ok(api.GET(STUDY, { params: { path: { project, pid, sid, name } } })),
  /** Save the NIfTI bytes as the next version; `base` the version the page started from (409 if not current). */
  save: (project: string, pid: string, sid: string, name: string, bytes: Uint8Array, reference: number, base: number) =>
    ok(
      api.PUT(STUDY, {
        params: { path: { project, pid, sid, name }, query: { reference, base, tool: "roitool" } },
        body: bytes as unknown as string,
        bodySerializer: (b: unknown) => new Blob([b as BlobPart]),
        headers: { "Content-Type": "application/octet-stream" },
      }),
    ),
  remove: (project: string, pid: string, sid: string, name: string) =>
    ok(api.DELETE(STUDY, { params: { path: { project, pid, sid, name } } })),
  stats: (project: string, pid: string, sid: string, name: string, images: number[]) =>
    ok(
      api.GET("/api/projects/{project}/patients/{pid}/studies/{sid}/rois/{name}/stats", {
        params: { path: { project, pid, sid, name }, query: { image: images } },
      }),
    ),
  bytes: (url: string) => fetchBytes(url),
};

export function isConflict(err: unknown): boolean {
  return err instanceof ApiError && err.status === 409;
}
