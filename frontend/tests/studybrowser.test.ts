/** The study browser's series (grouping, counts, what is left out) and the layout "Open study" plans. */
import { describe, expect, it } from "vitest";
import type { ArchiveFile } from "../src/api/types";
import { planStudy } from "../src/studybrowser/layoutStudy";
import { seriesOf } from "../src/studybrowser/series";

let nextId = 1;
function file(path: string, format: string, header: Record<string, unknown> = {}): ArchiveFile {
  return { id: nextId++, path, format, size: 1, header, tags: [], modified_at: "", study_id: 1, patient_id: 1, pid: "P", sid: "S", url: "" };
}

describe("seriesOf", () => {
  it("lists volumes with slices and frames, groups DICOM by series, leaves out originals and sidecars", () => {
    const files = [
      file("t1_mprage/s002.nii", "nifti", { dims: [256, 256, 176] }),
      file("t1_mprage/s002.json", "json"),
      file("t1_mprage/s002_dicom/1.dcm", "dicom", { series_instance_uid: "1.2" }),
      file("fmri/s005.nii.gz", "nifti", { dims: [64, 64, 30, 120] }),
      file("dcm/a.dcm", "dicom", { series_instance_uid: "9.9", series_description: "T2 axial", n_frames: 1, modality: "MR" }),
      file("dcm/b.dcm", "dicom", { series_instance_uid: "9.9", series_description: "T2 axial", n_frames: 1, modality: "MR" }),
      file("surf/lh.gii", "gifti"),
    ];
    const series = seriesOf(files);
    expect(series.map((s) => [s.description, s.slices, s.frames, s.kind])).toEqual([
      ["T2 axial", 2, null, "volume"],
      ["fmri", 30, 120, "volume"],
      ["t1_mprage", 176, null, "volume"],
      ["surf", null, null, "mesh"],
    ]);
    expect(series[0]!.file.path).toBe("dcm/a.dcm");
  });
});

describe("planStudy", () => {
  const vol = (p: string) => ({ file: file(p, "nifti"), kind: "volume" as const });
  it("gives each series a viewport and meshes a 3D one", () => {
    expect(planStudy([vol("a.nii")]).layout).toBe("single");
    expect(planStudy([vol("a.nii"), vol("b.nii")]).layout).toBe("1x2");
    const withMesh = planStudy([vol("a.nii"), vol("b.nii"), vol("c.nii"), { file: file("m.gii", "gifti"), kind: "mesh" }]);
    expect(withMesh.layout).toBe("2x2");
    expect(withMesh.viewports.map((v) => [v.slice, v.role, v.files.length])).toEqual([
      ["axial", "background", 1],
      ["axial", "background", 1],
      ["axial", "background", 1],
      ["render", "3d", 1],
    ]);
    const many = planStudy(["1", "2", "3", "4", "5"].map((n) => vol(`${n}.nii`)));
    expect(many.viewports).toHaveLength(4);
    expect(many.skipped).toBe(1);
  });
});
