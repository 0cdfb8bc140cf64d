// Undo and redo of ROI edits: each edit is the list of voxels it changed with their previous values, so
// the history is as long as memory allows (a byte budget), not a fixed number of steps.

import type { RoiVolume } from "./grid";

export interface Change {
  indices: Int32Array;
  before: Uint8Array;
  after: Uint8Array;
}

/** Record what an edit does: call `set` for every voxel it writes, then `finish` for the change. */
export class ChangeRecorder {
  private readonly idx: number[] = [];
  private readonly old: number[] = [];
  private readonly neu: number[] = [];
  private readonly seen = new Map<number, number>(); // index -> position in the arrays

  constructor(private readonly roi: RoiVolume) {}

  set(i: number, value: number): void {
    if (this.bulk) throw new Error("a bulk change is final: record further edits as a new change");
    const data = this.roi.data;
    const prev = data[i] ?? 0;
    if (prev === value) return;
    const at = this.seen.get(i);
    if (at !== undefined) {
      this.neu[at] = value;
    } else {
      this.seen.set(i, this.idx.length);
      this.idx.push(i);
      this.old.push(prev);
      this.neu.push(value);
    }
    data[i] = value;
  }

  private bulk: Change | null = null;

  /** Write `value` at `count` distinct indices (a region grown in one go) as the whole change: typed
   * arrays only, no per-voxel bookkeeping (millions of voxels in one stroke). */
  setMany(indices: Int32Array, count: number, value: number): void {
    if (this.idx.length > 0 || this.bulk) {
      for (let n = 0; n < count; n++) this.set(indices[n] ?? 0, value);
      return;
    }
    const data = this.roi.data;
    let changed = 0;
    for (let n = 0; n < count; n++) if (data[indices[n] ?? 0] !== value) changed++;
    const idx = new Int32Array(changed);
    const before = new Uint8Array(changed);
    let m = 0;
    for (let n = 0; n < count; n++) {
      const i = indices[n] ?? 0;
      const prev = data[i] ?? 0;
      if (prev === value) continue;
      idx[m] = i;
      before[m++] = prev;
      data[i] = value;
    }
    this.bulk = { indices: idx, before, after: new Uint8Array(changed).fill(value) };
  }

  get changed(): number {
    return this.idx.length + (this.bulk?.indices.length ?? 0);
  }

  finish(): Change {
    if (this.bulk) return this.bulk;
    return { indices: Int32Array.from(this.idx), before: Uint8Array.from(this.old), after: Uint8Array.from(this.neu) };
  }
}

export function bytesOf(change: Change): number {
  return change.indices.byteLength + change.before.byteLength + change.after.byteLength;
}

export class History {
  private undos: Change[] = [];
  private redos: Change[] = [];
  private bytes = 0;

  constructor(private readonly budget = 256 * 1024 * 1024) {}

  push(change: Change): void {
    if (change.indices.length === 0) return;
    this.undos.push(change);
    this.bytes += bytesOf(change);
    for (const c of this.redos) this.bytes -= bytesOf(c);
    this.redos = [];
    while (this.bytes > this.budget && this.undos.length > 1) {
      const dropped = this.undos.shift();
      if (dropped) this.bytes -= bytesOf(dropped);
    }
  }

  /** Undo the last change: the change undone (null: none). */
  undo(roi: RoiVolume): Change | null {
    const c = this.undos.pop();
    if (!c) return null;
    for (let n = 0; n < c.indices.length; n++) roi.data[c.indices[n] ?? 0] = c.before[n] ?? 0;
    this.redos.push(c);
    return c;
  }

  /** Redo the last change undone: the change redone (null: none). */
  redo(roi: RoiVolume): Change | null {
    const c = this.redos.pop();
    if (!c) return null;
    for (let n = 0; n < c.indices.length; n++) roi.data[c.indices[n] ?? 0] = c.after[n] ?? 0;
    this.undos.push(c);
    return c;
  }

  /** The change the next undo takes back. */
  get top(): Change | undefined {
    return this.undos[this.undos.length - 1];
  }

  get canUndo(): boolean {
    return this.undos.length > 0;
  }

  get canRedo(): boolean {
    return this.redos.length > 0;
  }

  get depth(): number {
    return this.undos.length;
  }
}
