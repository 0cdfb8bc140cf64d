/**
 * Types for the JSON schemas of the REST contract (docs/api-contract.md, v1).
 * Hand-written until the client is generated from /api/openapi.json; keep the field names identical.
 */

export interface Me {
  username: string;
  is_admin: boolean;
}

export interface LoginRequest {
  username: string;
  password: string;
}

export interface ApiToken {
  id: number;
  name: string;
  prefix: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

export interface Project {
  name: string;
  description: string | null;
  role: "user" | "admin" | string;
  readonly: boolean;
  download: boolean;
  batchtool: boolean;
  deanonym: boolean;
  anonymised: boolean;
  public: boolean;
  n_patients: number;
  n_studies: number;
}

export interface ProjectDetail extends Project {
  settings: Record<string, unknown>;
}

export interface JobCounts {
  q: number;
  r: number;
  e: number;
}

/** One row of the subject/study table. */
export interface StudyRow {
  patient_id: number;
  study_id: number;
  pid: string;
  name: string | null;
  birth_date: string | null;
  sex: string | null;
  sid: string;
  study_date: string | null;
  sdesc: string | null;
  modality: string | null;
  ptags: string[];
  stags: string[];
  n_files: number;
  jobs: JobCounts;
}

export interface Paged<T> {
  total: number;
  offset: number;
  limit: number;
  items: T[];
}

export interface PatientRow {
  patient_id: number;
  pid: string;
  name: string | null;
  birth_date: string | null;
  sex: string | null;
  ptags: string[];
  n_studies: number;
}

/** Image header summary as indexed by the backend; its keys depend on the format. */
export type FileHeader = Record<string, unknown>;

export interface ArchiveFile {
  id: number;
  path: string;
  format: string | null;
  size: number;
  header: FileHeader;
  tags: string[];
  modified_at: string | null;
  study_id: number | null;
  patient_id: number;
  url: string;
}

export interface TagChange {
  add: string[];
  remove: string[];
}

export interface TagsResponse {
  tags: string[];
}

export interface TagCounts {
  patient: Record<string, number>;
  study: Record<string, number>;
  file: Record<string, number>;
}

/** Error body of every 4xx/5xx answer; FastAPI validation errors carry a list instead of a string. */
export interface ErrorBody {
  detail: string | Array<{ loc?: unknown[]; msg?: string }>;
}
