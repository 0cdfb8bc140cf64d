import { describe, expect, it } from "vitest";
import { gunzipSync, gzipSync } from "node:zlib";
import { decodeResult, encodeMask } from "../src/annotation/assistant/api";

/** The server's packing (encoding.py): the box in C order, 8 voxels a byte, least significant bit first. */
function pack(voxels: [number, number, number][], lo: number[], hi: number[]): string {
  const size = [hi[0]! - lo[0]! + 1, hi[1]! - lo[1]! + 1, hi[2]! - lo[2]! + 1];
  const bytes = new Uint8Array(Math.ceil((size[0]! * size[1]! * size[2]!) / 8));
  for (const [i, j, k] of voxels) {
    const n = ((i - lo[0]!) * size[1]! + (j - lo[1]!)) * size[2]! + (k - lo[2]!);
    bytes[n >> 3]! |= 1 << (n & 7);
  }
  return Buffer.from(gzipSync(bytes)).toString("base64");
}

describe("the assistant's result", () => {
  it("decodes into the image's matrix in NIfTI order", async () => {
    const voxels: [number, number, number][] = [[2, 3, 1], [4, 3, 1], [3, 5, 2]];
    const lo = [2, 3, 1];
    const hi = [4, 5, 2];
    const mask = await decodeResult({ encoding: "bbox-packbits-gzip-base64", lo, hi, voxels: 3, data: pack(voxels, lo, hi) }, [6, 7, 3]);
    const set = [...mask.keys()].filter((n) => mask[n] === 1);
    expect(set).toEqual(voxels.map(([i, j, k]) => i + 6 * (j + 7 * k)).sort((a, b) => a - b));
  });

  it("is empty without a box", async () => {
    const mask = await decodeResult({ encoding: "bbox-packbits-gzip-base64", lo: null, hi: null, voxels: 0, data: "" }, [2, 2, 2]);
    expect(Array.from(mask)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("packs the page's mask as the server packs (the inverse of decoding), and an empty one as nothing", async () => {
    const voxels: [number, number, number][] = [[2, 3, 1], [4, 3, 1], [3, 5, 2]];
    const dims = [6, 7, 3];
    const mask = new Uint8Array(6 * 7 * 3);
    for (const [i, j, k] of voxels) mask[i + 6 * (j + 7 * k)] = 1;
    const packed = await encodeMask(mask, dims);
    expect(packed).not.toBeNull();
    expect(packed!.lo).toEqual([2, 3, 1]);
    expect(packed!.hi).toEqual([4, 5, 2]);
    expect(gunzipSync(Buffer.from(packed!.data, "base64"))).toEqual(gunzipSync(Buffer.from(pack(voxels, [2, 3, 1], [4, 5, 2]), "base64")));
    const back = await decodeResult({ encoding: "bbox-packbits-gzip-base64", ...packed!, voxels: 3 }, dims);
    expect(Array.from(back)).toEqual(Array.from(mask));
    expect(await encodeMask(new Uint8Array(8), [2, 2, 2])).toBeNull();
  });
});
