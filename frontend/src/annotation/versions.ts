/**
 * Versions of an ROI or marker set (docs/annotation.md, "Versions"): the REST calls, and what a versions
 * window needs of the object it shows (VersionsWindow.tsx). Every save kept the previous content; a
 * version can be opened (a copy in the page, beside the current content) or restored (saved again on the
 * server as the newest version, on top of the current one: a 409 when someone saved meanwhile).
 */
import { api, fetchBytes, ok } from "../api/client";
import type { AnnotationOut, VersionOut } from "../api/schema";

export type Version = VersionOut;

export const versionsApi = {
  list: (project: string, id: number) =>
    ok(api.GET("/api/projects/{project}/annotations/{object_id}/versions", { params: { path: { project, object_id: id } } })),
  restore: (project: string, id: number, number: number, base: number) =>
    ok(
      api.POST("/api/projects/{project}/annotations/{object_id}/versions/{number}/restore", {
        params: { path: { project, object_id: id, number } },
        body: { base },
      }),
    ),
  bytes: (v: Version) => fetchBytes(v.url),
};

/** The object a versions window shows, and what opening and restoring a version do in the page. */
export interface VersionTarget {
  /** what the window's title names ("ROI lesion of SUBJ002 / 20240212") */
  title: string;
  /** a key for the versions query: the object in its project */
  key: string;
  /** the object's id and current version on the server now */
  lookup(): Promise<{ id: number; current: number }>;
  /** a copy of version `v` in the page (never saved by itself); its name */
  open(v: Version): Promise<string>;
  /** the server restored `v` as version `out.current`: the page's copy follows */
  restored(v: Version, out: AnnotationOut): Promise<void>;
}
