/** Typed calls of the routes the web desktop uses (auth, projects, the table, files, tags). */
import { api, ok } from "./client";
import type { TagChange } from "./schema";

export const auth = {
  login: (username: string, password: string) => ok(api.POST("/api/auth/login", { body: { username, password } })),
  logout: () => ok(api.POST("/api/auth/logout")),
  me: () => ok(api.GET("/api/auth/me")),
};

export const projects = {
  list: (signal?: AbortSignal) => ok(api.GET("/api/projects", { signal })),
};

export const studies = {
  /** One page of the subject/study table; `params` comes from `studyParams()` of lib/filters. */
  list: (project: string, params: URLSearchParams, signal?: AbortSignal) =>
    ok(
      api.GET("/api/projects/{project}/studies", {
        params: { path: { project }, query: Object.fromEntries(params) },
        signal,
      }),
    ),
  files: (project: string, pid: string, sid: string, signal?: AbortSignal) =>
    ok(
      api.GET("/api/projects/{project}/patients/{pid}/studies/{sid}/files", {
        params: { path: { project, pid, sid } },
        signal,
      }),
    ),
};

export const tags = {
  patient: (project: string, pid: string, change: TagChange) =>
    ok(api.POST("/api/projects/{project}/patients/{pid}/tags", { params: { path: { project, pid } }, body: change })),
  study: (project: string, pid: string, sid: string, change: TagChange) =>
    ok(
      api.POST("/api/projects/{project}/patients/{pid}/studies/{sid}/tags", {
        params: { path: { project, pid, sid } },
        body: change,
      }),
    ),
  file: (project: string, fileId: number, change: TagChange) =>
    ok(
      api.POST("/api/projects/{project}/files/{file_id}/tags", {
        params: { path: { project, file_id: fileId } },
        body: change,
      }),
    ),
  counts: (project: string) => ok(api.GET("/api/projects/{project}/tags", { params: { path: { project } } })),
};
