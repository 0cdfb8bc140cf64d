/**
 * Annotation loaders at work (the autoloader's `annotations`): on opening a case, each enabled entry's
 * marker set of the patient is opened, or prepared empty when the patient has none; on moving to another
 * case, the changed ones of the previous patient are saved (or, as the preset sets, asked about first).
 */
import { ApiError } from "../../api/client";
import type { AutoloaderDef } from "../../viewer/api";
import { markersApi, type MarkerWorkspace, type OpenSet } from "./workspace";

type Loaders = AutoloaderDef["annotations"];

/** Open or prepare the loaders' marker sets for patient `pid`; the first becomes current. */
export async function prepareAnnotations(ws: MarkerWorkspace, project: string, pid: string, loaders: Loaders, message: (text: string) => void) {
  let first: OpenSet | null = null;
  for (const entry of loaders.filter((a) => a.enabled)) {
    let set = ws.sets.find((s) => s.pid === pid && s.doc.name === entry.name) ?? null;
    if (!set) {
      try {
        set = ws.opened(pid, await markersApi.get(project, pid, entry.name));
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 404)) {
          message(`Annotation loader ${entry.name}: ${err instanceof Error ? err.message : String(err)}`);
          continue;
        }
      }
      // not on the server (or deleted: its versions stay): a new, empty target
      if (!set) {
        set = ws.create(entry.type, entry.name, entry.color, entry.size, pid);
        if (set) set.dirty = false; // prepared, not changed: nothing to save until it is
      }
    }
    first ??= set;
  }
  if (first && ws.pid === pid) ws.setCurrent(first.id);
}

/** The loaders' sets of patient `pid` changed since they were opened or saved. */
export function changedTargets(ws: MarkerWorkspace, pid: string, loaders: Loaders): OpenSet[] {
  const names = new Set(loaders.filter((a) => a.enabled).map((a) => a.name));
  return ws.dirty(pid).filter((s) => names.has(s.doc.name));
}

/**
 * Leaving patient `pid`: save its changed annotation targets (after asking, when `ask`); a failed save
 * (a 409 included) is told, and the set stays open and changed, so nothing is lost.
 */
export async function saveTargets(ws: MarkerWorkspace, project: string, pid: string, def: AutoloaderDef, message: (text: string, level?: "error" | "info") => void, ask: (question: string) => boolean) {
  const changed = changedTargets(ws, pid, def.annotations);
  if (changed.length === 0) return;
  const names = changed.map((s) => s.doc.name).join(", ");
  if (def.on_next_case === "ask" && !ask(`Save the changed marker set(s) ${names} of patient ${pid}?`)) return;
  for (const set of changed) {
    try {
      await ws.save(project, set.id);
      message(`Marker set ${set.doc.name} of ${pid} saved (version ${set.base})`, "info");
    } catch (err) {
      message(`Saving marker set ${set.doc.name} of ${pid}: ${err instanceof Error ? err.message : String(err)} (it stays open in the marker tool)`);
    }
  }
}
