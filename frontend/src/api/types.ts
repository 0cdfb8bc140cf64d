/**
 * Short names for the generated schema types (schema.ts, from the API's OpenAPI document) that the page
 * uses most. Only aliases: every shape is declared by the server's pydantic models, never here.
 */
export type {
  FileOut as ArchiveFile,
  JobCounts,
  Me,
  PatientRow,
  ProjectOut as Project,
  StudyPage,
  StudyRow,
  TagChange,
  TagStats as TagCounts,
  TagsOut as TagsResponse,
} from "./schema";

/** Image header summary as indexed by the backend; its keys depend on the format. */
export type FileHeader = import("./schema").FileOut["header"];
