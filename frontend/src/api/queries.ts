/**
 * The server data the page holds, through TanStack Query: one QueryClient, one tree of query keys, and
 * one function that says which queries a change on the server makes stale. Writes call `invalidate()`
 * with what they changed; the desktop's live events (server-sent, later) call it the same way, so a
 * change reaches every view that shows it. Answers to superseded queries land under their own key and
 * are never shown for another one.
 */
import { QueryClient } from "@tanstack/react-query";

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      // Failures go to the error banner at once (as before): no silent retries, no refetch on focus.
      // networkMode "always": the page's only peer is its own server (often on an intranet or this very
      // machine), so the browser's idea of being offline says nothing about reaching it. In the default
      // "online" mode a query asked for while the browser believes it is offline is paused, without a
      // request and without an error, until an "online" event: a filter typed then never gets its
      // answer, and the table silently keeps the previous rows. A request that really fails says so.
      queries: { retry: false, refetchOnWindowFocus: false, staleTime: 0, gcTime: 5 * 60_000, networkMode: "always" },
      mutations: { retry: false, networkMode: "always" },
    },
  });
}

/** Query keys: one subtree per project, so a change invalidates exactly the part it touched. */
export const keys = {
  projects: () => ["projects"] as const,
  catalog: () => ["processing", "catalog"] as const,
  scriptRows: (script: string) => ["processing", "script-rows", script] as const,
  pacsNodes: () => ["pacs", "nodes"] as const,
  project: (project: string) => ["project", project] as const,
  studies: (project: string) => ["project", project, "studies"] as const,
  /** One page of the table for a filter state (`filterKey()` of lib/filters). */
  studyPage: (project: string, filter: string, offset: number, limit: number) =>
    ["project", project, "studies", filter, offset, limit] as const,
  files: (project: string) => ["project", project, "files"] as const,
  studyFiles: (project: string, pid: string, sid: string) => ["project", project, "files", pid, sid] as const,
  /** the project's trash: under "files", so every change of files marks it stale */
  trash: (project: string) => ["project", project, "files", "trash"] as const,
  jobs: (project: string) => ["project", project, "jobs"] as const,
  savedBatches: (project: string) => ["project", project, "saved-batches"] as const,
  /** the project's segmentation models (a training job writes them: a change of jobs marks them stale) */
  models: (project: string) => ["project", project, "models"] as const,
  presets: (project: string) => ["project", project, "presets"] as const,
  importJobs: (project: string) => ["project", project, "import-jobs"] as const,
  projectRights: (project: string) => ["project", project, "rights"] as const,
  autoexec: (project: string) => ["project", project, "autoexec"] as const,
  /** system administration: users, their rights and tokens, the audit log */
  admin: () => ["admin"] as const,
  users: () => ["admin", "users"] as const,
  userRights: (username: string) => ["admin", "users", username, "rights"] as const,
  userTokens: (username: string) => ["admin", "users", username, "tokens"] as const,
  audit: () => ["admin", "audit"] as const,
  /** the caller's own account: their tokens */
  myTokens: () => ["account", "tokens"] as const,
};

/** What changed on the server: the answer of a write, or a live event of the desktop. */
export type Change =
  | { kind: "projects" }
  /** rows of the table: patients, studies, their tags */
  | { kind: "studies"; project: string }
  /** files (new, deleted, tags): the files panel, and the table's file counts and FTAG: filters */
  | { kind: "files"; project: string }
  /** processing jobs: the monitor, the table's job counts, and the files their outputs add */
  | { kind: "jobs"; project: string }
  /** what the job monitor shows beyond a job's state (its phase, step, message): the monitor only */
  | { kind: "monitor"; project: string }
  /** an import or a PACS retrieve finished: new patients, studies and files, new project counts */
  | { kind: "imported"; project: string }
  | { kind: "saved-batches"; project: string }
  | { kind: "presets"; project: string }
  /** a project's description, settings, rights or autoexecution rules */
  | { kind: "project-settings"; project: string }
  /** users, rights, tokens (system administration) */
  | { kind: "accounts" };

/** The query subtrees a change makes stale. */
export function affected(change: Change): (readonly unknown[])[] {
  switch (change.kind) {
    case "projects":
      return [keys.projects()];
    case "studies":
      return [keys.studies(change.project)];
    case "files":
      return [keys.files(change.project), keys.studies(change.project)];
    case "jobs":
      return [keys.jobs(change.project), keys.studies(change.project), keys.files(change.project), keys.models(change.project)];
    case "monitor":
      return [keys.jobs(change.project)];
    case "imported":
      return [keys.projects(), keys.studies(change.project), keys.files(change.project), keys.importJobs(change.project)];
    case "saved-batches":
      return [keys.savedBatches(change.project)];
    case "presets":
      return [keys.presets(change.project)];
    case "project-settings":
      return [keys.projects(), keys.project(change.project)];
    case "accounts":
      return [keys.admin(), keys.myTokens()];
  }
}

/**
 * Mark what a change touched as stale: queries on screen refetch now, the others when next shown.
 * `refetch: false` only marks them (after a write whose answer was already put into the cache).
 */
export async function invalidate(client: QueryClient, change: Change, refetch = true): Promise<void> {
  const refetchType = refetch ? "active" : "none";
  await Promise.all(affected(change).map((queryKey) => client.invalidateQueries({ queryKey, refetchType })));
}
