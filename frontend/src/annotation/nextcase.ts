/**
 * Leaving a case while a preset's annotation targets changed: the ROI loaders' ROIs of the study, and the
 * annotation loaders' marker sets of the patient when the next case is another patient. One setting, the
 * preset's `on_next_case`, saves them before moving on ("save": a failed save keeps the user on the case
 * with the reason) or asks first. The arrow keys and the table's clicks both pass here (bus.ts's
 * `leaveCase`).
 */
import type { AutoloaderDef } from "../viewer/api";
import { changedTargets, saveSets } from "./markers/loaders";
import type { MarkerWorkspace, OpenSet } from "./markers/workspace";
import { saveChanged } from "./roi/autoload";
import type { RoiTool } from "./roi/tool";
import type { OpenRoi } from "./roi/workspace";

export interface Case {
  pid: string;
  sid: string;
}

export interface Changed {
  rois: OpenRoi[];
  sets: OpenSet[];
}

/** What leaving case `from` for `to` would leave unsaved under preset `def` (nothing without loaders). */
export function changedOnLeaving(tool: RoiTool, markers: MarkerWorkspace, def: AutoloaderDef, from: Case, to: Case): Changed {
  const rois = def.rois.length > 0 ? tool.ws.unsaved(from) : [];
  const sets = to.pid !== from.pid ? changedTargets(markers, from.pid, def.annotations) : [];
  return { rois, sets };
}

export function names(c: Changed): string[] {
  return [...c.rois.map((r) => `ROI ${r.name}`), ...c.sets.map((s) => `marker set ${s.doc.name}`)];
}

/** Save everything changed; the first problem (the user stays on the case), or null. */
export async function saveAll(tool: RoiTool, markers: MarkerWorkspace, project: string, c: Changed): Promise<string | null> {
  return (await saveChanged(tool, project, c.rois)) ?? (await saveSets(markers, project, c.sets));
}

/** Moving on without saving: the ROIs close (the next case opens its own); the marker sets stay open, changed. */
export function discard(tool: RoiTool, c: Changed): void {
  for (const r of c.rois) tool.ws.remove(r.id);
}
