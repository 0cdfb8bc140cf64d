/**
 * Types for the JSON schemas of the REST contract (docs/api-contract.md, v1).
 * Aliases of the generated schema types plus the few shapes the frontend composes itself.
 */

import type * as S from "./schema";

// The REST schemas, generated from the API's OpenAPI document (scripts/openapi.py → schema.ts).
export type Me = S.Me;
export type LoginRequest = S.LoginIn;
export type ApiToken = S.TokenOut;
export type Project = S.ProjectOut;
export type ProjectDetail = S.ProjectOut & { settings: Record<string, unknown> };
export type JobCounts = { q: number; r: number; e: number };
/** One row of the subject/study table. */
export type StudyRow = Omit<S.StudyRow, "jobs"> & { jobs: JobCounts };
export type PatientRow = S.PatientRow;
export type ArchiveFile = S.FileOut;
export type TagChange = S.TagChange;
export type TagsResponse = S.TagsOut;

export interface Paged<T> {
  total: number;
  offset: number;
  limit: number;
  items: T[];
}

/** Image header summary as indexed by the backend; its keys depend on the format. */
export type FileHeader = Record<string, unknown>;

export interface TagCounts {
  patient: Record<string, number>;
  study: Record<string, number>;
  file: Record<string, number>;
}

/** Error body of every 4xx/5xx answer; FastAPI validation errors carry a list instead of a string. */
export interface ErrorBody {
  detail: string | Array<{ loc?: unknown[]; msg?: string }>;
}
