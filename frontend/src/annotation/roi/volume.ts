/** An NVImage's voxel grid as the ROI modules name it (dims and the row-major voxel-to-RAS affine). */
import type { NVImage } from "@niivue/niivue";
import type { Grid, Mat4, Vec3 } from "../grid";

export function volumeGrid(vol: NVImage): Grid {
  const hdr = vol.hdr!;
  const d = hdr.dims;
  const affine: Mat4 = [...hdr.affine.flat().slice(0, 12), 0, 0, 0, 1];
  return { dims: [d[1] ?? 1, d[2] ?? 1, d[3] ?? 1] as Vec3, affine };
}

/** The scale of stored values (NIfTI scl_slope / scl_inter; 1 and 0 when unset). */
export function volumeScale(vol: NVImage): { slope: number; inter: number } {
  return { slope: Number(vol.hdr?.scl_slope) || 1, inter: Number(vol.hdr?.scl_inter) || 0 };
}
