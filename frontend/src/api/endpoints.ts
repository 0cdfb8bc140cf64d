/** Typed functions for the routes of the REST contract that the web desktop uses. */
import { request, seg } from "./client";
import type {
  ArchiveFile,
  Me,
  Paged,
  Project,
  StudyRow,
  TagChange,
  TagCounts,
  TagsResponse,
} from "./types";

export const auth = {
  login: (username: string, password: string) =>
    request<Me>("POST", "/auth/login", { body: { username, password } }),
  logout: () => request<void>("POST", "/auth/logout"),
  me: () => request<Me>("GET", "/auth/me"),
};

export const projects = {
  list: () => request<Project[]>("GET", "/projects"),
};

const projectPath = (project: string) => `/projects/${seg(project)}`;
const studyPath = (project: string, pid: string, sid: string) =>
  `${projectPath(project)}/patients/${seg(pid)}/studies/${seg(sid)}`;

export const studies = {
  /** One page of the subject/study table; `params` comes from `studyParams()`. */
  list: (project: string, params: URLSearchParams, signal?: AbortSignal) =>
    request<Paged<StudyRow>>("GET", `${projectPath(project)}/studies`, {
      query: params,
      ...(signal ? { signal } : {}),
    }),
  files: (project: string, pid: string, sid: string, signal?: AbortSignal) =>
    request<ArchiveFile[]>("GET", `${studyPath(project, pid, sid)}/files`, signal ? { signal } : {}),
};

export const tags = {
  patient: (project: string, pid: string, change: TagChange) =>
    request<TagsResponse>("POST", `${projectPath(project)}/patients/${seg(pid)}/tags`, { body: change }),
  study: (project: string, pid: string, sid: string, change: TagChange) =>
    request<TagsResponse>("POST", `${studyPath(project, pid, sid)}/tags`, { body: change }),
  file: (project: string, fileId: number, change: TagChange) =>
    request<TagsResponse>("POST", `${projectPath(project)}/files/${seg(fileId)}/tags`, { body: change }),
  counts: (project: string) => request<TagCounts>("GET", `${projectPath(project)}/tags`),
};
