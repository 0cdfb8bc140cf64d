/** The marker tool's versions window target (VersionsWindow.tsx): a marker set of a patient. */
import type { MarkerSet } from "../../api/schema";
import { type VersionTarget, versionsApi } from "../versions";
import { complete, markersApi, type MarkerWorkspace, type OpenSet } from "./workspace";

export function markerVersions(ws: MarkerWorkspace, project: string, set: OpenSet): VersionTarget {
  const { pid } = set;
  const name = set.savedName ?? set.doc.name;
  return {
    title: `marker set ${name} of ${pid}`,
    key: `markers:${pid}:${name}`,
    lookup: async () => {
      const out = await markersApi.get(project, pid, name);
      return { id: out.id, current: out.current };
    },
    open: async (v) => {
      const doc = complete(JSON.parse(new TextDecoder().decode(await versionsApi.bytes(v))) as MarkerSet);
      const copy = ws.openCopy(pid, doc, `${name}_v${v.number}`);
      if (!copy) throw new Error(`no case of patient ${pid} is shown`);
      return copy.doc.name;
    },
    restored: async () => {
      ws.opened(pid, await markersApi.get(project, pid, name));
    },
  };
}
