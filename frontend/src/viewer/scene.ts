/**
 * The narrow state the viewer engine's helper modules work on. loading.ts, looks.ts, navigation.ts and
 * sharedstate.ts take one of the interfaces below instead of the whole ViewerEngine, so they import this
 * module (and each other), never engine.ts: the engine composes them, they do not reach back into it.
 * ViewerEngine (engine.ts) implements every interface here.
 */
import type { ByteCache } from "./cache";
import type { LayoutName, LimPresets, Look, Role, Source } from "./model";
import type { Viewport } from "./viewport";
import type { WindowKind } from "./windows";

/** One object shown in one or more viewports, with the look they share. */
export interface Item {
  source: Source;
  look: Look;
  range: [number, number];
  frames: number;
  /** Which window presets fit it (windows.ts). */
  window: WindowKind;
  /** Sorted sample of its values for percentile windows, taken when first needed. */
  sample?: Float64Array;
}

export interface ValueAt {
  key: string;
  name: string;
  value: number | null;
  vox: number[] | null;
}

/** A time-series pin: the values of a 4D image over all frames at one world position. */
export interface Pin {
  index: number;
  key: string;
  name: string;
  mm: [number, number, number];
  vox: number[];
  values: number[];
}

/** The viewports, the objects they show and the change notification: what every helper reads. */
export interface Scene {
  readonly viewports: readonly Viewport[];
  readonly items: Map<string, Item>;
  readonly layout: LayoutName;
  /** Tell the subscribers that the state changed (every change ends with it). */
  changed(): void;
}

/** What looks.ts needs beyond the scene: the colour-limit presets and whether Shift is held. */
export interface LookScene extends Scene {
  readonly limPresets: LimPresets;
  readonly shift: boolean;
}

/** What navigation.ts changes: the crosshair in world mm and the time-series pin. */
export interface NavScene extends Scene {
  crosshairMM: [number, number, number] | null;
  pin: Pin | null;
  readonly scrollSpeed: number;
}

/** What loading.ts needs: downloads, the load counter, the case generation and user messages. */
export interface LoadScene extends NavScene {
  loading: number;
  readonly cache: ByteCache;
  /** Loads begun before the latest case switch are dropped. */
  readonly generation: number;
  readonly onFirstFrame: ((name: string) => void) | null;
  message(text: string, level?: "error" | "info"): void;
}

/** What sharedstate.ts needs to reopen a saved state: the engine's case and layout operations. */
export interface RestoreTarget extends Scene {
  readonly crosshairMM: [number, number, number] | null;
  clearAll(): void;
  newGeneration(): number;
  setLayout(layout: LayoutName): void;
  load(source: Source, index: number, role: Role, look: Partial<Look> | undefined, generation: number): Promise<boolean>;
  setCrosshairMM(mm: [number, number, number]): void;
}
