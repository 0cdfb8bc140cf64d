/** The viewer's REST calls: autoloader presets, autoload runs, snapshots, shared links, URL calls. */
import { ApiError, request, seg } from "../api/client";
import type { ArchiveFile } from "../api/types";
import type { LayoutName, Role, SliceName, ViewerState } from "./model";

export interface Intent {
  role: Role;
  colormap?: string | null;
  cal_min?: number | null;
  cal_max?: number | null;
  opacity?: number | null;
  frame?: number | null;
  slice?: SliceName | null;
  outline?: boolean | null;
}

export interface LoaderEntry {
  pattern: string;
  viewports: number[];
  enabled: boolean;
  intent: Intent;
}

export interface AutoloaderDef {
  level: "patient" | "study" | "either";
  main_viewport: number;
  enabled: boolean;
  layout: LayoutName | null;
  loaders: LoaderEntry[];
}

export interface Preset {
  name: string;
  shared: boolean;
  owner: string;
  mine: boolean;
  definition: AutoloaderDef;
}

export interface AutoloadResult {
  pid: string;
  sid: string | null;
  main_viewport: number;
  layout: LayoutName | null;
  loaders: { index: number; viewports: number[]; intent: Intent; files: ArchiveFile[] }[];
}

export interface SharedLink {
  link: string;
  project: string;
  title: string;
  owner: string;
  url: string;
  state: ViewerState;
  missing: number[];
}

export interface UrlCallAnswer {
  project: string;
  username: string;
  pid: string | null;
  sid: string | null;
  preset: string | null;
  selmode: string | null;
}

const base = (project: string) => `/projects/${seg(project)}/viewer`;

export const viewerApi = {
  presets: (project: string) => request<Preset[]>("GET", `${base(project)}/autoloaders`),
  savePreset: (project: string, name: string, definition: AutoloaderDef, shared: boolean) =>
    request<Preset>("PUT", `${base(project)}/autoloaders/${seg(name)}`, { body: definition, query: { shared } }),
  deletePreset: (project: string, name: string, shared: boolean) =>
    request<void>("DELETE", `${base(project)}/autoloaders/${seg(name)}`, { query: { shared } }),
  autoload: (project: string, definition: AutoloaderDef, pid: string, sid: string | null, signal?: AbortSignal) =>
    request<AutoloadResult>("POST", `${base(project)}/autoload`, {
      body: { definition, pid, sid },
      ...(signal ? { signal } : {}),
    }),
  snapshot: (project: string, mode: "smart" | "strict" | "tag", fileIds: number[]) =>
    request<string[]>("POST", `${base(project)}/autoloaders/snapshot`, { body: { mode, file_ids: fileIds } }),
  share: (project: string, state: ViewerState, title: string) =>
    request<SharedLink>("POST", `${base(project)}/sharedstates`, { body: { state, title } }),
  overwrite: (project: string, link: string, state: ViewerState, title: string) =>
    request<SharedLink>("PUT", `${base(project)}/sharedstates/${seg(link)}`, { body: { state, title } }),
  openLink: (project: string, link: string) => request<SharedLink>("GET", `${base(project)}/sharedstates/${seg(link)}`),
  urlCall: (project: string, call: string) => request<UrlCallAnswer>("POST", "/viewer/urlcall", { body: { project, call } }),
};

/** Fetch a file's bytes; a failure becomes an ApiError carrying the server's reason. */
export async function fetchBytes(url: string, signal?: AbortSignal): Promise<ArrayBuffer> {
  let response: Response;
  try {
    response = await fetch(url, { credentials: "same-origin", ...(signal ? { signal } : {}) });
  } catch (err) {
    throw new ApiError(0, `Cannot reach the server for ${url}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const body = (await response.json()) as { detail?: unknown };
      if (typeof body.detail === "string") detail = body.detail;
    } catch {
      /* not JSON: keep the status text */
    }
    throw new ApiError(response.status, detail || `HTTP ${response.status}`);
  }
  return response.arrayBuffer();
}

export function emptyDefinition(): AutoloaderDef {
  return { level: "either", main_viewport: 0, enabled: true, layout: null, loaders: [] };
}
