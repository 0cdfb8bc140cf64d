/** REST calls of the reading tool: readings, a reader's stage, answers, visit timing, results. */
import { api, API_BASE, ok, seg } from "../api/client";
import type { AnalysisIn } from "../api/schema";

export type {
  ReadingSummary,
  ReadingOut,
  StageOut,
  SlotOut,
  ResultOut,
  Problem,
  ReadingAnalysis,
  AnalysisIn,
} from "../api/schema";

export type StageName = "training" | "serious";

/** Which case of a stage: as the server lists it in a slot. */
export interface CaseRef {
  pid: string;
  sid: string;
  file_id: number | null;
  repetition: number;
  arm: string;
}

function path(project: string, name: string) {
  return { project, name };
}

export const readingApi = {
  list: (project: string, signal?: AbortSignal) =>
    ok(api.GET("/api/projects/{project}/readings", { params: { path: { project } }, signal })),
  get: (project: string, name: string) =>
    ok(api.GET("/api/projects/{project}/readings/{name}", { params: { path: path(project, name) } })),
  create: (project: string, name: string, definition: Record<string, unknown>) =>
    ok(api.POST("/api/projects/{project}/readings", { params: { path: { project } }, body: { name, definition } })),
  replace: (project: string, name: string, definition: Record<string, unknown>) =>
    ok(api.PUT("/api/projects/{project}/readings/{name}", { params: { path: path(project, name) }, body: { definition } })),
  check: (project: string, definition: unknown, signal?: AbortSignal) =>
    ok(api.POST("/api/projects/{project}/reading-definition/check", { params: { path: { project } }, body: { definition }, signal })),
  stage: (project: string, name: string, stage: StageName, seed: string, signal?: AbortSignal) =>
    ok(
      api.GET("/api/projects/{project}/readings/{name}/stages/{stage}", {
        params: { path: { ...path(project, name), stage }, query: { seed } },
        signal,
      }),
    ),
  answer: (project: string, name: string, stage: StageName, c: CaseRef, answers: Record<string, unknown>, timeMs: number, visitId: number | null) =>
    ok(
      api.POST("/api/projects/{project}/readings/{name}/stages/{stage}/answers", {
        params: { path: { ...path(project, name), stage } },
        body: { ...c, answers, time_ms: Math.round(timeMs), visit_id: visitId },
      }),
    ),
  /** Open a case: its visit, its answers so far; `leaving` times the visit of the case left in the same request. */
  openVisit: (project: string, name: string, stage: StageName, c: CaseRef, leaving: { id: number; active_ms: number; first_answer_ms: number | null } | null) =>
    ok(
      api.POST("/api/projects/{project}/readings/{name}/stages/{stage}/visits", {
        params: { path: { ...path(project, name), stage } },
        body: { ...c, leaving },
      }),
    ),
  timeVisit: (project: string, name: string, visitId: number, activeMs: number, firstAnswerMs: number | null) =>
    ok(
      api.PATCH("/api/projects/{project}/readings/{name}/visits/{visit_id}", {
        params: { path: { ...path(project, name), visit_id: visitId } },
        body: { active_ms: Math.round(activeMs), first_answer_ms: firstAnswerMs === null ? null : Math.round(firstAnswerMs) },
      }),
    ),
  restart: (project: string, name: string, stage: StageName) =>
    ok(api.DELETE("/api/projects/{project}/readings/{name}/stages/{stage}/results", { params: { path: { ...path(project, name), stage } } })),
  results: (project: string, name: string, signal?: AbortSignal) =>
    ok(api.GET("/api/projects/{project}/readings/{name}/results", { params: { path: path(project, name) }, signal })),
  analyse: (project: string, name: string, body: AnalysisIn) =>
    ok(api.POST("/api/projects/{project}/readings/{name}/analysis", { params: { path: path(project, name) }, body })),
  /** The CSV export's address (a download the browser saves). */
  csvUrl: (project: string, name: string) => `${API_BASE}/projects/${seg(project)}/readings/${seg(name)}/results.csv`,
};
