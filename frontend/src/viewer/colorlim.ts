/** The project's colour-limit presets for the number keys, from its settings (GET /api/projects/{p}). */
import { api, ok } from "../api/client";
import { limPresetsFrom, type LimPresets } from "./model";

export async function loadLimPresets(project: string, signal?: AbortSignal): Promise<LimPresets> {
  const detail = await ok(api.GET("/api/projects/{project}", { params: { path: { project } }, signal }));
  return limPresetsFrom(detail.settings);
}
