/**
 * "Open study": the study's image series laid out in the viewer, one viewport each (up to four), in
 * axial slicing; meshes and tracts go to a 3D viewport of their own. The viewer calls this when the
 * study browser asks (bus `openStudy`), with its engine and its `open` (the double-click's loader).
 */
import type { ArchiveFile } from "../api/types";
import type { StudyItem } from "../viewer/bus";
import type { ViewerEngine } from "../viewer/engine";
import { MAX_VIEWPORTS, type LayoutName, type Role } from "../viewer/model";

export interface StudyPlan {
  layout: LayoutName;
  /** viewport index → slicing and what it shows */
  viewports: { slice: "axial" | "render"; files: ArchiveFile[]; role: Role }[];
  skipped: number;
}

export function planStudy(items: StudyItem[]): StudyPlan {
  const volumes = items.filter((i) => i.kind === "volume").map((i) => i.file);
  const others = items.filter((i) => i.kind !== "volume").map((i) => i.file);
  const hasOthers = others.length > 0;
  const shown = volumes.slice(0, hasOthers ? MAX_VIEWPORTS - 1 : MAX_VIEWPORTS);
  const slots = Math.max(1, shown.length + (hasOthers ? 1 : 0));
  const layout: LayoutName = slots === 1 ? "single" : slots === 2 ? "1x2" : "2x2";
  const viewports: StudyPlan["viewports"] = shown.map((f) => ({ slice: "axial", files: [f], role: "background" }));
  if (hasOthers) {
    const at = layout === "2x2" ? 3 : slots - 1;
    while (viewports.length < at) viewports.push({ slice: "axial", files: [], role: "background" });
    viewports.push({ slice: "render", files: others, role: "3d" });
  }
  return { layout, viewports, skipped: volumes.length - shown.length };
}

export function layoutStudy(engine: ViewerEngine, items: StudyItem[], open: (file: ArchiveFile, index: number, role: Role) => void): void {
  const plan = planStudy(items);
  engine.clearAll();
  engine.setLayout(plan.layout);
  plan.viewports.forEach((vp, index) => {
    engine.setSlice(index, vp.slice);
    for (const file of vp.files) open(file, index, vp.role);
  });
  if (plan.skipped > 0) {
    engine.message(`Open study: ${plan.skipped} more image series than viewports; click them in the series list to show them`);
  }
}
