/** The viewer's REST calls: autoloader presets, autoload runs, snapshots, shared links, URL calls. */
import { api, ok } from "../api/client";
import type { AutoloaderOutput, AutoloadOut, IntentOutput, LoaderOutput, PresetOut, SharedOut, UrlCallOut } from "../api/schema";
import type { Role, ViewerState } from "./model";

/** A preset as the server answers it (every field present); the editor holds and sends it so. */
export type AutoloaderDef = AutoloaderOutput;
export type LoaderEntry = LoaderOutput;
export type RoiLoaderEntry = AutoloaderOutput["rois"][number];
export type Intent = IntentOutput;
export type Preset = PresetOut;
export type AutoloadResult = AutoloadOut;
export type SharedLink = SharedOut;
export type UrlCallAnswer = UrlCallOut;

export const viewerApi = {
  presets: (project: string, signal?: AbortSignal) =>
    ok(api.GET("/api/projects/{project}/viewer/autoloaders", { params: { path: { project } }, signal })),
  savePreset: (project: string, name: string, definition: AutoloaderDef, shared: boolean) =>
    ok(
      api.PUT("/api/projects/{project}/viewer/autoloaders/{name}", {
        params: { path: { project, name }, query: { shared } },
        body: definition,
      }),
    ),
  deletePreset: (project: string, name: string, shared: boolean) =>
    ok(
      api.DELETE("/api/projects/{project}/viewer/autoloaders/{name}", {
        params: { path: { project, name }, query: { shared } },
      }),
    ),
  autoload: (project: string, definition: AutoloaderDef, pid: string, sid: string | null, signal?: AbortSignal) =>
    ok(
      api.POST("/api/projects/{project}/viewer/autoload", {
        params: { path: { project } },
        body: { definition, pid, sid },
        signal,
      }),
    ),
  snapshot: (project: string, mode: "smart" | "strict" | "tag", fileIds: number[]) =>
    ok(
      api.POST("/api/projects/{project}/viewer/autoloaders/snapshot", {
        params: { path: { project } },
        body: { mode, file_ids: fileIds },
      }),
    ),
  // openapi-fetch types answers through `Readable<>`, which widens tuples (the crosshair, the pan) to
  // arrays; the schema's own SharedOut keeps them as the server sends them.
  share: (project: string, state: ViewerState, title: string) =>
    ok(
      api.POST("/api/projects/{project}/viewer/sharedstates", { params: { path: { project } }, body: { state, title } }),
    ) as Promise<SharedLink>,
  overwrite: (project: string, link: string, state: ViewerState, title: string) =>
    ok(
      api.PUT("/api/projects/{project}/viewer/sharedstates/{link}", {
        params: { path: { project, link } },
        body: { state, title },
      }),
    ) as Promise<SharedLink>,
  openLink: (project: string, link: string) =>
    ok(
      api.GET("/api/projects/{project}/viewer/sharedstates/{link}", { params: { path: { project, link } } }),
    ) as Promise<SharedLink>,
  urlCall: (project: string, call: string) => ok(api.POST("/api/viewer/urlcall", { body: { project, call } })),
};

/** An intent with only a role: everything else as the file has it. */
export function plainIntent(role: Role): Intent {
  return { role, colormap: null, cal_min: null, cal_max: null, opacity: null, frame: null, slice: null, outline: null };
}

export function emptyDefinition(): AutoloaderDef {
  return {
    level: "either", main_viewport: 0, enabled: true, layout: null, loaders: [],
    annotations: [], on_next_case: "save", rois: [],
  };
}
