/**
 * NORA's ROI loaders in the page: after a preset's images are shown for a case, each ROI loader's files
 * (the server's answer) open in the ROI tool in the loader's colour; a loader with `autocreate` makes an
 * empty ROI on the main viewport's background when the case has none. ROIs of other cases close (their
 * changes were saved or dropped when the user moved on: annotation/nextcase.ts).
 */
import type { AutoloaderDef } from "../../viewer/api";
import type { AutoloadAnswer } from "../../viewer/autoload";
import type { RoiTool } from "./tool";
import { type OpenRoi, sameCase } from "./workspace";

/** Open the case's ROIs of the preset's ROI loaders; the number of ROIs now open for the case. */
export async function applyRoiLoaders(tool: RoiTool, project: string, def: AutoloaderDef, answer: AutoloadAnswer, pid: string, sid: string | null): Promise<number> {
  const loaders = def.rois ?? [];
  if (loaders.length === 0 || sid === null) return 0;
  const engine = tool.engine;
  const ws = tool.ws;
  const roiCase = { pid, sid };
  for (const r of [...ws.rois]) if (!sameCase(r.case, roiCase)) ws.remove(r.id);
  const opened: OpenRoi[] = [];
  for (const found of answer.rois ?? []) {
    const loader = loaders[found.index];
    if (!loader) continue;
    for (const file of found.files) {
      try {
        const r = await tool.openFile(project, file);
        if (typeof r === "string") engine.message(r);
        else {
          ws.setLook(r.id, { colour: loader.colour });
          opened.push(r);
        }
      } catch (err) {
        engine.message(`ROI loader ${found.index + 1}: ${file.path}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (found.files.length === 0 && loader.autocreate) {
      const exists = ws.rois.find((r) => r.name === loader.name && sameCase(r.case, roiCase));
      const r = exists ?? tool.newRoi(answer.main_viewport, loader.name);
      if (typeof r === "string") engine.message(`ROI loader ${found.index + 1}: ${r}`);
      else {
        ws.setLook(r.id, { colour: loader.colour });
        opened.push(r);
      }
    }
  }
  if (opened[0]) {
    ws.setCurrent(opened[0].id);
    // the case opens ready to draw, unless another tool (the marker pen, measuring) has the left click
    if (engine.leftClick.owner === null) ws.setDrawing(true);
  }
  return ws.rois.filter((r) => sameCase(r.case, roiCase)).length;
}

/**
 * Moving to another case with a preset that has ROI loaders: the changed ROIs are saved first (a failed
 * save keeps the user on the case). Answers whether to move on; "ask" answers null for the page to ask.
 */
export async function saveChanged(tool: RoiTool, project: string, dirty: OpenRoi[]): Promise<string | null> {
  for (const r of dirty) {
    try {
      await tool.save(project, r.id);
    } catch (err) {
      return `${r.name} was not saved (${err instanceof Error ? err.message : String(err)}): save it in the ROI tool, or move on without saving`;
    }
  }
  return null;
}
