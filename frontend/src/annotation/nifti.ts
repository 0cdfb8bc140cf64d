// NIfTI-1 bytes of an ROI (uint8, 0/1, sform and qform code 2 = the reference's affine), gzip-compressed with
// the platform's CompressionStream: what PUT .../rois/{name} takes. Decoding reads what the server stores.

import type { Grid, Mat4, RoiVolume, Vec3 } from "./grid";

const HEADER = 348;
const OFFSET = 352;

export function encodeNifti(roi: RoiVolume): Uint8Array {
  const [nx, ny, nz] = roi.grid.dims;
  const a = roi.grid.affine;
  const buf = new ArrayBuffer(OFFSET + roi.data.length);
  const v = new DataView(buf);
  v.setInt32(0, HEADER, true);
  v.setInt16(40, 3, true); // dim[0]
  v.setInt16(42, nx, true);
  v.setInt16(44, ny, true);
  v.setInt16(46, nz, true);
  for (let d = 4; d <= 7; d++) v.setInt16(40 + 2 * d, 1, true);
  v.setInt16(70, 2, true); // datatype: uint8
  v.setInt16(72, 8, true); // bitpix
  const col = (c: number) => Math.hypot(a[c] ?? 0, a[4 + c] ?? 0, a[8 + c] ?? 0);
  v.setFloat32(76, 1, true); // pixdim[0] (qfac)
  for (let c = 0; c < 3; c++) v.setFloat32(80 + 4 * c, col(c), true);
  v.setFloat32(108, OFFSET, true); // vox_offset
  v.setFloat32(112, 1, true); // scl_slope
  v.setInt16(252, 0, true); // qform_code: the sform is authoritative
  v.setInt16(254, 2, true); // sform_code: aligned
  for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) v.setFloat32(280 + 16 * r + 4 * c, a[r * 4 + c] ?? 0, true);
  const text = new TextEncoder().encode("nora ROI");
  new Uint8Array(buf, 148, text.length).set(text);
  new Uint8Array(buf, 344, 4).set([0x6e, 0x2b, 0x31, 0x00]); // "n+1\0"
  const out = new Uint8Array(buf);
  for (let n = 0; n < roi.data.length; n++) out[OFFSET + n] = roi.data[n] ? 1 : 0;
  return out;
}

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const body = new Blob([bytes as BlobPart]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(body).arrayBuffer());
}

export function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  return pipe(bytes, new CompressionStream("gzip"));
}

export async function encodeRoi(roi: RoiVolume): Promise<Uint8Array> {
  return gzip(encodeNifti(roi));
}

/** An ROI from NIfTI-1 bytes (gzip or not) with 3 dimensions; non-zero voxels are inside. */
export async function decodeRoi(bytes: Uint8Array): Promise<RoiVolume> {
  const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? await pipe(bytes, new DecompressionStream("gzip")) : bytes;
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const little = v.getInt32(0, true) === HEADER;
  if (!little && v.getInt32(0, false) !== HEADER) throw new Error("not a NIfTI-1 file");
  const dims: Vec3 = [v.getInt16(42, little), v.getInt16(44, little), Math.max(1, v.getInt16(46, little))];
  const datatype = v.getInt16(70, little);
  const bitpix = v.getInt16(72, little);
  const offset = Math.round(v.getFloat32(108, little));
  const affine: Mat4 = [];
  for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) affine.push(v.getFloat32(280 + 16 * r + 4 * c, little));
  affine.push(0, 0, 0, 1);
  const grid: Grid = { dims, affine };
  const n = dims[0] * dims[1] * dims[2];
  const bytesPer = bitpix / 8;
  if (raw.byteLength < offset + n * bytesPer) throw new Error("the NIfTI file is truncated");
  const data = new Uint8Array(n);
  if (datatype === 2) {
    for (let i = 0; i < n; i++) data[i] = raw[offset + i] ? 1 : 0;
  } else {
    const dv = new DataView(raw.buffer, raw.byteOffset + offset, n * bytesPer);
    const read: Record<number, (i: number) => number> = {
      4: (i) => dv.getInt16(i * 2, little), 8: (i) => dv.getInt32(i * 4, little), 16: (i) => dv.getFloat32(i * 4, little),
      64: (i) => dv.getFloat64(i * 8, little), 256: (i) => dv.getInt8(i), 512: (i) => dv.getUint16(i * 2, little),
    };
    const get = read[datatype];
    if (!get) throw new Error(`NIfTI datatype ${datatype} is not a mask type`);
    for (let i = 0; i < n; i++) data[i] = get(i) ? 1 : 0;
  }
  return { grid, data };
}
