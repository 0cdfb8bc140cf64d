/** Column layout of the subject/study table: one CSS grid template shared by header, filters and rows. */
import type { FilterParam, SortKey } from "../lib/filters";

export interface Column {
  id: string;
  label: string;
  /** CSS grid track size. */
  width: string;
  sortKey?: SortKey;
  filter?: FilterParam;
  placeholder?: string;
  align?: "right";
}

export const COLUMNS: readonly Column[] = [
  { id: "pid", label: "PID", width: "minmax(72px, 1fr)", sortKey: "pid", filter: "pid" },
  { id: "name", label: "Name", width: "minmax(80px, 1.2fr)", sortKey: "name", filter: "name" },
  { id: "birth_date", label: "Birth date", width: "78px", filter: "birth_date" },
  { id: "sex", label: "Sex", width: "34px" },
  { id: "sid", label: "Study ID", width: "minmax(70px, 1fr)", sortKey: "sid", filter: "sid" },
  { id: "study_date", label: "Study date", width: "78px", sortKey: "study_date", filter: "study_date" },
  { id: "sdesc", label: "SDESC", width: "minmax(90px, 1.6fr)", sortKey: "sdesc", filter: "sdesc" },
  { id: "modality", label: "Mod.", width: "46px", sortKey: "modality", filter: "modality" },
  { id: "tags", label: "Tags", width: "minmax(96px, 1.6fr)", filter: "stag", placeholder: "study tag" },
  { id: "n_files", label: "#files", width: "44px", align: "right" },
  { id: "jobs", label: "Jobs", width: "64px" },
];

export const GRID_TEMPLATE = COLUMNS.map((c) => c.width).join(" ");

/** Height of one table row in pixels (the virtualiser needs it fixed). */
export const ROW_HEIGHT = 22;
