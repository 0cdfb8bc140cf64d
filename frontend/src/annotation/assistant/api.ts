/**
 * REST calls of the segmentation assistant (docs/segmentation-assistant.md) and the decoder of its result.
 *
 * A session belongs to the caller, one image (file id) and one target ROI of the image's study; every
 * interaction is in world coordinates (RAS mm, the viewer's crosshair space), so points in one view and a
 * box in another refine the same 3D result. Each answer carries the whole current result, packed:
 * `lo`/`hi` inclusive voxel bounds on the image grid and `data` = base64(gzip(the box's voxels in C order,
 * 8 to a byte, least significant bit first)). `version` grows with every change: show the highest.
 */
import { api, ok } from "../../api/client";
import type { components } from "../../api/schema";

export type AssistantSession = components["schemas"]["SessionOut"];
export type AssistantStep = components["schemas"]["StepOut"];
export type AssistantResult = components["schemas"]["AssistantResultOut"];
export type AssistantInteraction = components["schemas"]["SessionOut"]["history"][number];
export type InitialMask = components["schemas"]["MaskIn"];

const SESSION = "/api/projects/{project}/assistant/sessions/{session_id}" as const;

export const assistant = {
  /** Open the caller's session on image `fileId` for the ROI `roi` (needs write access to the project). */
  /** `model`: a patchwork model of the project proposes the initial mask (the patchwork backend). */
  open: (project: string, fileId: number, roi: string, initial?: InitialMask, model: number | null = null) =>
    ok(
      api.POST("/api/projects/{project}/assistant/sessions", {
        params: { path: { project } },
        body: { file_id: fileId, roi, initial: initial ?? null, model },
      }),
    ),

  get: (project: string, id: string, signal?: AbortSignal) =>
    ok(api.GET(SESSION, { params: { path: { project, session_id: id } }, signal })),
  add: (project: string, id: string, interaction: AssistantInteraction) =>
    ok(
      api.POST(`${SESSION}/interactions`, {
        params: { path: { project, session_id: id } },
        body: interaction,
      }),
    ),
  undo: (project: string, id: string) => ok(api.POST(`${SESSION}/undo`, { params: { path: { project, session_id: id } } })),
  reset: (project: string, id: string) => ok(api.POST(`${SESSION}/reset`, { params: { path: { project, session_id: id } } })),
  result: (project: string, id: string, signal?: AbortSignal) =>
    ok(api.GET(`${SESSION}/result`, { params: { path: { project, session_id: id } }, signal })),
  close: (project: string, id: string) => ok(api.DELETE(SESSION, { params: { path: { project, session_id: id } } })),
};

async function gunzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function base64Bytes(text: string): Uint8Array<ArrayBuffer> {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

/**
 * The result as a full mask (0/1, one byte a voxel) of the image's `matrix` [ni, nj, nk], in NIfTI order
 * (i fastest), the layout the ROI tool's drawing bitmap uses.
 */
export async function decodeResult(result: AssistantResult, matrix: readonly number[]): Promise<Uint8Array> {
  const [ni, nj, nk] = matrix as [number, number, number];
  const out = new Uint8Array(ni * nj * nk);
  if (result.lo === null || result.hi === null) return out;
  const [i0, j0, k0] = result.lo as [number, number, number];
  const [i1, j1, k1] = result.hi as [number, number, number];
  const [bi, bj, bk] = [i1 - i0 + 1, j1 - j0 + 1, k1 - k0 + 1];
  const bits = await gunzip(base64Bytes(result.data));
  let n = 0; // C order in the box: i slowest, k fastest
  for (let i = 0; i < bi; i++)
    for (let j = 0; j < bj; j++)
      for (let k = 0; k < bk; k++, n++) {
        if ((bits[n >> 3]! >> (n & 7)) & 1) out[i0 + i + ni * (j0 + j + nj * (k0 + k))] = 1;
      }
  return out;
}

async function gzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function bytesBase64(bytes: Uint8Array): string {
  let raw = "";
  for (let i = 0; i < bytes.length; i += 0x8000) raw += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(raw);
}

export type PackedMask = NonNullable<InitialMask["packed"]>;

/**
 * A mask (0/1 a voxel, NIfTI order: i fastest) of `matrix` packed as the server packs its results (its
 * bounding box and the box's bits in C order, LSB first, gzip, base64); null when it is empty. The inverse
 * of `decodeResult`: the ROI's current content sent as the assistant's initial mask.
 */
export async function encodeMask(mask: Uint8Array, matrix: readonly number[]): Promise<PackedMask | null> {
  const [ni, nj] = matrix as [number, number, number];
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-1, -1, -1];
  for (let v = 0; v < mask.length; v++) {
    if (!mask[v]) continue;
    const at = [v % ni, Math.floor(v / ni) % nj, Math.floor(v / (ni * nj))];
    for (let a = 0; a < 3; a++) {
      if (at[a]! < lo[a]!) lo[a] = at[a]!;
      if (at[a]! > hi[a]!) hi[a] = at[a]!;
    }
  }
  if (hi[0]! < 0) return null;
  const [i0, j0, k0] = lo as [number, number, number];
  const [bi, bj, bk] = [hi[0]! - i0 + 1, hi[1]! - j0 + 1, hi[2]! - k0 + 1];
  const bits = new Uint8Array(Math.ceil((bi * bj * bk) / 8));
  let n = 0; // C order in the box: i slowest, k fastest
  for (let i = 0; i < bi; i++)
    for (let j = 0; j < bj; j++)
      for (let k = 0; k < bk; k++, n++) {
        if (mask[i0 + i + ni * (j0 + j + nj * (k0 + k))]) bits[n >> 3]! |= 1 << (n & 7);
      }
  return { lo: [...lo], hi: [...hi], data: bytesBase64(await gzip(bits)) };
}
