import { describe, expect, it } from "vitest";
import {
  checkedCount,
  groupPatients,
  groupSequences,
  retrieveItems,
  sequencesOf,
  showDate,
  type PacsSeries,
  type PacsStudy,
} from "../src/pacs/model";

// Rows as the server answers them: every key present (empty when the PACS did not say).
const series = (SeriesInstanceUID: string, Modality: string, SeriesDescription: string): PacsSeries => ({
  StudyInstanceUID: "", SeriesInstanceUID, Modality, SeriesNumber: null, SeriesDescription, SeriesDate: "",
  NumberOfSeriesRelatedInstances: null,
});
const study = (row: Partial<PacsStudy>): PacsStudy => ({
  PatientName: "", PatientID: "", PatientBirthDate: "", PatientSex: "", StudyInstanceUID: "", StudyDate: "", StudyTime: "",
  StudyDescription: "", AccessionNumber: "", StudyID: "", ModalitiesInStudy: [], NumberOfStudyRelatedSeries: null,
  NumberOfStudyRelatedInstances: null, NumberOfPatientRelatedStudies: null, series: [], ...row,
});

const studies: PacsStudy[] = [
  study({
    PatientName: "Doe^John", PatientID: "1", StudyInstanceUID: "1.1", StudyDate: "20230405",
    series: [
      series("1.1.1", "MR", "t1_mprage"),
      series("1.1.2", "MR", "flair"),
    ],
  }),
  study({
    PatientName: "Doe^John", PatientID: "1", StudyInstanceUID: "1.2", StudyDate: "20240101",
    series: [series("1.2.1", "MR", "t1_mprage")],
  }),
  study({
    PatientName: "Roe^Jane", PatientID: "2", StudyInstanceUID: "2.1",
    series: [series("2.1.1", "CT", "")],
  }),
];

describe("PACS query model", () => {
  const patients = groupPatients(studies);
  const sequences = groupSequences(studies);
  const [doe, roe] = patients as [(typeof patients)[number], (typeof patients)[number]];

  it("groups studies by patient and series by sequence with the inStudies count", () => {
    expect(patients.map((p) => [p.name, p.studies.length])).toEqual([["Doe^John", 2], ["Roe^Jane", 1]]);
    const t1 = sequences.find((q) => q.description === "t1_mprage");
    expect(t1?.inStudy.size).toBe(2);
    expect(sequences.find((q) => q.modality === "CT")?.description).toBe("(no description)");
  });

  it("highlights the sequences of a clicked patient and counts the checked ones", () => {
    expect([...sequencesOf(doe, sequences)].length).toBe(2);
    expect(sequencesOf(undefined, sequences).size).toBe(0);
    const t1 = sequences.find((q) => q.description === "t1_mprage")!;
    expect(checkedCount(doe, sequences, new Set([t1.key]))).toBe(1);
    expect(checkedCount(roe, sequences, new Set([t1.key]))).toBe(0);
  });

  it("pulls the checked sequences of the checked patients only", () => {
    const t1 = sequences.find((q) => q.description === "t1_mprage")!;
    const items = retrieveItems(patients, new Set([doe.key]), sequences, new Set([t1.key]));
    expect(items).toEqual([
      { study_uid: "1.1", series_uids: ["1.1.1"] },
      { study_uid: "1.2", series_uids: ["1.2.1"] },
    ]);
    expect(retrieveItems(patients, new Set(), sequences, new Set([t1.key]))).toEqual([]);
  });

  it("shows DICOM dates readably", () => {
    expect(showDate("20230405")).toBe("2023-04-05");
    expect(showDate("")).toBe("");
  });
});
