/**
 * The PACS query tool's model (pure functions, unit-tested): patients from the study rows, the
 * "procedures and sequences" table that groups series of the same description across studies
 * (`inStudies`), which rows belong to the highlighted patient, and what "pull selected" retrieves.
 */
import type { PacsSeriesRow, PacsStudyRow, RetrieveItemIn } from "../api/schema";

export type PacsStudy = PacsStudyRow;
export type PacsSeries = PacsSeriesRow;

export interface PacsPatient {
  key: string;
  name: string;
  id: string;
  birthDate: string;
  studies: PacsStudy[];
}

/** One row of the right table: a sequence (series description + modality) and where it occurs. */
export interface Sequence {
  key: string;
  description: string;
  modality: string;
  /** studyUID → series UIDs of this sequence in that study */
  inStudy: Map<string, string[]>;
}

export function patientKey(s: PacsStudy): string {
  return `${s.PatientID}\u0000${s.PatientName}`;
}

export function groupPatients(studies: PacsStudy[]): PacsPatient[] {
  const byKey = new Map<string, PacsPatient>();
  for (const s of studies) {
    const key = patientKey(s);
    let p = byKey.get(key);
    if (!p) {
      p = { key, name: s.PatientName, id: s.PatientID, birthDate: s.PatientBirthDate, studies: [] };
      byKey.set(key, p);
    }
    p.studies.push(s);
  }
  return [...byKey.values()].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

export function sequenceKey(series: PacsSeries): string {
  return `${series.Modality}\u0000${series.SeriesDescription.trim() || "(no description)"}`;
}

export function groupSequences(studies: PacsStudy[]): Sequence[] {
  const byKey = new Map<string, Sequence>();
  for (const study of studies) {
    for (const series of study.series) {
      const key = sequenceKey(series);
      let seq = byKey.get(key);
      if (!seq) {
        const description = series.SeriesDescription.trim() || "(no description)";
        seq = { key, description, modality: series.Modality, inStudy: new Map() };
        byKey.set(key, seq);
      }
      const list = seq.inStudy.get(study.StudyInstanceUID) ?? [];
      list.push(series.SeriesInstanceUID);
      seq.inStudy.set(study.StudyInstanceUID, list);
    }
  }
  return [...byKey.values()].sort((a, b) => a.modality.localeCompare(b.modality) || a.description.localeCompare(b.description));
}

/** Sequences that occur in one of the patient's studies (highlighted when the patient is clicked). */
export function sequencesOf(patient: PacsPatient | undefined, sequences: Sequence[]): Set<string> {
  if (!patient) return new Set();
  const uids = new Set(patient.studies.map((s) => s.StudyInstanceUID));
  return new Set(sequences.filter((q) => [...q.inStudy.keys()].some((u) => uids.has(u))).map((q) => q.key));
}

/** How many of the checked sequences each patient has (shown in the left table). */
export function checkedCount(patient: PacsPatient, sequences: Sequence[], checked: Set<string>): number {
  const uids = new Set(patient.studies.map((s) => s.StudyInstanceUID));
  return sequences.filter((q) => checked.has(q.key) && [...q.inStudy.keys()].some((u) => uids.has(u))).length;
}

export type RetrieveItem = Required<RetrieveItemIn>;

/** The retrieve request of "pull selected": the checked sequences of the checked patients, per study. */
export function retrieveItems(
  patients: PacsPatient[],
  checkedPatients: Set<string>,
  sequences: Sequence[],
  checkedSequences: Set<string>,
): RetrieveItem[] {
  const items: RetrieveItem[] = [];
  for (const p of patients) {
    if (!checkedPatients.has(p.key)) continue;
    for (const study of p.studies) {
      const uid = study.StudyInstanceUID;
      const series = sequences
        .filter((q) => checkedSequences.has(q.key))
        .flatMap((q) => q.inStudy.get(uid) ?? []);
      if (series.length > 0) items.push({ study_uid: uid, series_uids: series });
    }
  }
  return items;
}

/** A study date (YYYYMMDD) as YYYY-MM-DD. */
export function showDate(value: string | undefined): string {
  return value && /^\d{8}$/.test(value) ? `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6)}` : (value ?? "");
}
