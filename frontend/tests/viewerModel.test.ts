import { describe, expect, it } from "vitest";
import {
  archiveSource,
  dropOptions,
  itemState,
  kindOf,
  localSource,
  mosaicPositions,
  parseAddress,
  viewportCount,
  windowLimits,
  defaultLook,
} from "../src/viewer/model";

describe("viewer model", () => {
  it("knows each layout's viewport count", () => {
    expect([viewportCount("single"), viewportCount("1x2"), viewportCount("2x2"), viewportCount("1+3"), viewportCount("mpr"), viewportCount("mosaic")]).toEqual([1, 2, 4, 4, 3, 2]);
  });
  it("tells volumes, meshes and tracts apart", () => {
    expect(kindOf("nifti", "a.nii.gz")).toBe("volume");
    expect(kindOf("dicom", "x.dcm")).toBe("volume");
    expect(kindOf("gifti", "pial.gii")).toBe("mesh");
    expect(kindOf("stl", "m.stl")).toBe("mesh");
    expect(kindOf("trk", "t.trk")).toBe("tract");
    expect(kindOf(null, "brain.mgz")).toBe("volume");
    expect(kindOf("json", "x.json")).toBeNull();
  });
  it("offers drop options by kind", () => {
    expect(dropOptions("volume", false).map((o) => o.role)).toEqual(["background"]);
    expect(dropOptions("volume", true).map((o) => o.role)).toEqual(["background", "overlay"]);
    expect(dropOptions("tract", true)[0]?.role).toBe("3d");
  });
  it("computes CT windows and mosaic positions", () => {
    expect(windowLimits(40, 80)).toEqual([0, 80]);
    expect(mosaicPositions(0, 90, 2)).toEqual([30, 60]);
  });
  it("streams DICOM as a series and refuses unknown local files", () => {
    const s = archiveSource("P 1", { id: 7, path: "dcm/im1.dcm", format: "dicom" });
    expect(s?.url).toBe("/api/projects/P%201/viewer/files/7/series.nii.gz");
    expect(s?.series).toBe(true);
    expect(typeof localSource(new File([new Uint8Array(4)], "notes.txt"))).toBe("string");
  });
  it("writes item states without automatic (NaN) limits and without local files", () => {
    const look = { ...defaultLook("background", 0), calMin: Number.NaN, calMax: 10 };
    const state = itemState(archiveSource("P", { id: 1, path: "a.nii", format: "nifti" })!, "background", look);
    expect(state?.cal_min).toBeNull();
    expect(state?.cal_max).toBe(10);
    const local = localSource(new File([new Uint8Array(4)], "x.nii"));
    expect(typeof local === "string" ? local : itemState(local, "overlay", look)).toBeNull();
  });
  it("reads URL calls and shared links from the address", () => {
    expect(parseAddress('?project=P&call={"pid":"1"}')).toEqual({ project: "P", call: '{"pid":"1"}', state: null });
    expect(parseAddress("?project=P&state=abc").state).toBe("abc");
  });
});
