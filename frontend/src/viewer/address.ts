/**
 * The page's address at start: `?project=P&call={...}` (a URL call, authenticated by its token) or
 * `?project=P&state=LINK` (a shared link). Runs before the session check so the token can log in.
 */
import { useEffect } from "react";
import { ApiError } from "../api/client";
import { viewerApi } from "./api";
import { fromUrlCall, pending, setPending } from "./bus";
import type { ViewerEngine } from "./engine";
import { parseAddress } from "./model";

export async function runAddress(report: (err: unknown, doing: string) => void): Promise<void> {
  const { project, call, state } = parseAddress(window.location.search);
  if (!project) return;
  if (state) {
    setPending({ project, pid: null, sid: null, preset: null, link: state });
    return;
  }
  if (!call) {
    setPending({ project, pid: null, sid: null, preset: null, link: null });
    return;
  }
  try {
    setPending(fromUrlCall(await viewerApi.urlCall(project, call)));
  } catch (err) {
    // Not an ApiError: a refused token is not an ended session, and its reason must stay visible.
    const reason = err instanceof ApiError ? err.detail : err instanceof Error ? err.message : String(err);
    report(new Error(`The URL call could not open ${project}: ${reason}`), "Opening the URL call");
  }
}

/**
 * The address named a project the desktop did not open (it does not exist, or the user has no right on
 * it; names are case-sensitive): say so in the viewer instead of silently showing another project.
 */
export function useAddressProject(engine: ViewerEngine, project: string | null) {
  useEffect(() => {
    const want = pending;
    if (!want || !project) return;
    setPending(null); // its link or preset was taken by the hooks before this one (same project)
    if (want.project === project) return;
    engine.message(
      `The address names project ${want.project}, which does not exist or is not open to you (names are case-sensitive); showing ${project} instead`,
    );
  }, [engine, project]);
}
