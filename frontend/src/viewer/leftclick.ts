/**
 * Who owns the viewers' left click: the ROI tool's drawing, the marker pen or a measurement tool, one
 * tool at a time (the pens inside a tool are that tool's business). A tool tells `set(id, on)` when its
 * mode turns on or off; turning one on ends the previous owner's mode through the `end` it registered, so
 * that tool's toolbar shows it off at once (the ROI tool's "drawing" box, the marker pen button, the
 * measure chooser), and the viewer toolbar names the owner. Without an owner the left click moves the
 * crosshair.
 */
import { VersionedStore } from "../lib/store";

export type ClickTool = "roi" | "markers" | "measure";

export const CLICK_TOOL_LABELS: Record<ClickTool, string> = {
  roi: "ROI drawing",
  markers: "marker pen",
  measure: "measuring",
};

export class LeftClick extends VersionedStore {
  owner: ClickTool | null = null;
  private readonly ends = new Map<ClickTool, () => void>();

  /** `end` turns tool `id`'s mode off when another tool takes the click. */
  register(id: ClickTool, end: () => void): void {
    this.ends.set(id, end);
  }

  /** Tool `id`'s mode turned on (it takes the click, ending the owner's mode) or off (it gives it back). */
  set(id: ClickTool, on: boolean): void {
    if (on) {
      if (this.owner === id) return;
      const previous = this.owner;
      this.owner = id;
      if (previous !== null) this.ends.get(previous)?.();
      this.changed();
    } else if (this.owner === id) {
      this.owner = null;
      this.changed();
    }
  }

  /** End the owner's mode (the toolbar's ×): the left click moves the crosshair again. */
  stop(): void {
    if (this.owner !== null) this.ends.get(this.owner)?.();
  }

  owns(id: ClickTool): boolean {
    return this.owner === id;
  }
}
