/** REST calls of the segmentation feature: the project's models (`GET .../segmentation/models`). */
import { api, ok } from "../api/client";

export type { ModelOut as Model } from "../api/schema";

export const segmentation = {
  models: (project: string, signal?: AbortSignal) =>
    ok(api.GET("/api/projects/{project}/segmentation/models", { params: { path: { project } }, signal })),
};
