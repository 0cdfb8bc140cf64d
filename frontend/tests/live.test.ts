/** Live events: the change kinds the server sends become the page's `Change`s; anything else is ignored. */
import { describe, expect, it } from "vitest";
import { affected, keys } from "../src/api/queries";
import { liveChange, liveKinds } from "../src/state/useLiveEvents";

describe("live events", () => {
  it("reads the kinds of a change event and drops unknown ones", () => {
    expect(liveKinds('{"kinds": ["studies", "jobs"]}')).toEqual(["studies", "jobs"]);
    expect(liveKinds('{"kinds": ["nope", "files"]}')).toEqual(["files"]);
    expect(liveKinds('{"kinds": ["monitor"]}')).toEqual(["monitor"]);
    expect(liveKinds("not json")).toEqual([]);
    expect(liveKinds('{"other": 1}')).toEqual([]);
  });

  it("an import refreshes the project list (its study count) and the table", () => {
    const stale = affected(liveChange("imported", "P"));
    expect(stale).toContainEqual(keys.projects());
    expect(stale).toContainEqual(keys.studies("P"));
    expect(affected(liveChange("jobs", "P"))).toContainEqual(keys.files("P"));
    // a job's phase or step within its state: the monitor refetches, the table does not
    expect(affected(liveChange("monitor", "P"))).toEqual([keys.jobs("P")]);
    // a new file changes the row's file count
    expect(affected(liveChange("files", "P"))).toContainEqual(keys.studies("P"));
  });
});

import { seriesName } from "../src/viewer/model";

describe("DICOM series names", () => {
  it("uses the series description, else the folder, never a SOP UID file name", () => {
    expect(seriesName({ path: "t2/1.2.840.1.dcm", header: { series_description: "T2 axial", modality: "MR" } })).toBe("T2 axial (MR series)");
    expect(seriesName({ path: "dicom_ct/1.2.840.9.dcm", header: { modality: "CT" } })).toBe("dicom_ct (CT series)");
    expect(seriesName({ path: "1.2.840.9.dcm", header: {} })).toBe("DICOM series");
  });
});
