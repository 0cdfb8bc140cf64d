/**
 * ROIs in shared links (the server's `RoiState`, docs/annotation.md): the open ROIs saved in the archive
 * go with a link at their saved version, with their colour, visibility, opacity and outline; opening the
 * link opens them (at their current version) in that look. ROIs deleted since are dropped by the server.
 * An ROI never saved, or only on a local file, cannot go with a link (the sharer is told).
 */
import type { RoiStateOutput } from "../../api/schema";
import { roiApi } from "./api";
import type { RoiTool } from "./tool";
import { type OpenRoi, sameCase } from "./workspace";

/** What a link keeps of the open ROIs, and what the sharer should be told of the others. */
export async function roisState(tool: RoiTool, project: string): Promise<{ rois: RoiStateOutput[]; notes: string[] }> {
  const saved = tool.ws.rois.filter((r) => r.case !== null && r.base > 0);
  const unsaved = tool.ws.rois.filter((r) => !saved.includes(r));
  const cases = saved.map((r) => r.case!).filter((c, i, all) => all.findIndex((d) => sameCase(c, d)) === i);
  const onServer = await Promise.all(cases.map(async (c) => ({ c, list: await roiApi.list(project, c.pid, c.sid) })));
  const rois: RoiStateOutput[] = [];
  const gone: string[] = [];
  for (const r of saved) {
    const found = onServer.find((s) => sameCase(s.c, r.case))?.list.find((x) => x.name === r.name);
    if (found?.file_id == null) gone.push(r.name);
    else rois.push(lookOf(r, found.file_id));
  }
  const changed = saved.filter((r) => r.dirty && !gone.includes(r.name)).map((r) => r.name);
  const notes = [
    unsaved.length ? `ROIs never saved are not part of a link: ${unsaved.map((r) => r.name).join(", ")}` : "",
    changed.length ? `The link shows these ROIs as last saved, without the unsaved changes: ${changed.join(", ")}` : "",
    gone.length ? `These ROIs are no longer in the archive and are not part of the link: ${gone.join(", ")}` : "",
  ];
  return { rois, notes: notes.filter((n) => n !== "") };
}

function lookOf(r: OpenRoi, fileId: number): RoiStateOutput {
  const { pid, sid } = r.case!;
  return { file_id: fileId, pid, sid, name: r.name, colour: r.colour, visible: r.visible, opacity: r.opacity, outline: r.outline };
}

/** Open a link's ROIs in their look; a failure is told and the others open. */
export async function openLinkRois(tool: RoiTool, project: string, rois: RoiStateOutput[]): Promise<void> {
  for (const s of rois) {
    try {
      const r = await tool.openFile(project, { path: `ROIS/${s.name}.nii.gz`, pid: s.pid, sid: s.sid });
      if (typeof r === "string") tool.engine.message(r);
      else {
        tool.ws.setLook(r.id, { colour: s.colour, visible: s.visible, opacity: s.opacity, outline: s.outline });
        tool.onOpened?.();
      }
    } catch (err) {
      tool.engine.message(`ROI ${s.name} of the link: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
