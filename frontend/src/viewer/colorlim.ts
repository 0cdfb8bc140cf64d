/** The project's colour-limit presets for the number keys, from its settings (GET /api/projects/{p}). */
import { request, seg } from "../api/client";
import type { ProjectDetail } from "../api/types";
import { limPresetsFrom, type LimPresets } from "./model";

export async function loadLimPresets(project: string): Promise<LimPresets> {
  const detail = await request<ProjectDetail>("GET", `/projects/${seg(project)}`);
  return limPresetsFrom(detail.settings);
}
