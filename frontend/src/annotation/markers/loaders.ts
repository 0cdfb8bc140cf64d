/**
 * Annotation loaders at work (the autoloader's `annotations`): on opening a case, each enabled entry's
 * marker set of the patient is opened, or prepared empty when the patient has none; moving to another
 * patient saves the changed ones first (or asks, as the preset sets: nextcase.ts).
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
 * Save changed marker sets before leaving their patient (nextcase.ts); the first failed save (a 409
 * included) stops and is answered, so the user stays and the set stays open and changed: nothing is lost.
 */
export async function saveSets(ws: MarkerWorkspace, project: string, sets: OpenSet[]): Promise<string | null> {
  for (const set of sets) {
    try {
      await ws.save(project, set.id);
    } catch (err) {
      return `Marker set ${set.doc.name} of ${set.pid} was not saved (${err instanceof Error ? err.message : String(err)}): save it in the marker tool, or move on without saving`;
    }
  }
  return null;
}
