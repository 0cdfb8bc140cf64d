/** The ROI tool's versions window target (VersionsWindow.tsx): a saved ROI of a study. */
import { decodeRoi } from "../nifti";
import { type Version, type VersionTarget, versionsApi } from "../versions";
import { roiApi } from "./api";
import type { RoiTool } from "./tool";
import type { OpenRoi } from "./workspace";

async function content(v: Version) {
  return decodeRoi(new Uint8Array(await versionsApi.bytes(v)));
}

export function roiVersions(tool: RoiTool, project: string, r: OpenRoi): VersionTarget {
  const roiCase = r.case;
  if (!roiCase) throw new Error(`${r.name} is not an ROI of a study: it has no versions`);
  const { pid, sid } = roiCase;
  const name = r.name;
  return {
    title: `ROI ${name} of ${pid} / ${sid}`,
    key: `roi:${pid}:${sid}:${name}`,
    lookup: async () => {
      const info = await roiApi.get(project, pid, sid, name);
      return { id: info.id, current: info.current };
    },
    open: async (v) => {
      const vol = await content(v);
      const copy = tool.ws.open(tool.ws.freeName(`${name}_v${v.number}`, roiCase), vol.grid, r.reference, roiCase, vol.data);
      return copy.name;
    },
    // the open ROI takes the restored content as one undoable step, and the new version as its base
    restored: async (v, out) => {
      const open = tool.ws.byId(r.id);
      if (!open) return;
      const vol = await content(v);
      if (vol.data.length !== open.roi.data.length) throw new Error(`version ${v.number} of ${name} is on another grid than the open ROI`);
      tool.ws.replace(open, vol.data);
      tool.ws.saved(open.id, out.current);
    },
  };
}
