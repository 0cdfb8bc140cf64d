import { describe, expect, it } from "vitest";
import { type RoiKeyEvent, roiKeyAction } from "../src/annotation/roi/useRoiKeys";

const press = (key: string, mods: Partial<RoiKeyEvent> = {}): RoiKeyEvent => ({ key, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods });
const ready = { enabled: true, current: true, rois: true };

describe("the ROI tool's keys", () => {
  it("toggle drawing, hide, open the tool, clear and undo / redo while the tool is offered", () => {
    expect(roiKeyAction(press(" "), ready)).toBe("draw");
    expect(roiKeyAction(press("v"), ready)).toBe("hide");
    expect(roiKeyAction(press("D"), ready)).toBe("window");
    expect(roiKeyAction(press("Escape"), ready)).toBe("clear");
    expect(roiKeyAction(press("z", { ctrlKey: true }), ready)).toBe("undo");
    expect(roiKeyAction(press("Z", { ctrlKey: true, shiftKey: true }), ready)).toBe("redo");
    expect(roiKeyAction(press("y", { metaKey: true }), ready)).toBe("redo");
  });
  it("leave keys alone that have nothing to act on, or are not the tool's", () => {
    expect(roiKeyAction(press(" "), { ...ready, current: false })).toBeNull();
    expect(roiKeyAction(press("z", { ctrlKey: true }), { ...ready, current: false })).toBeNull();
    expect(roiKeyAction(press("v"), { ...ready, rois: false })).toBeNull();
    expect(roiKeyAction(press("d", { altKey: true }), ready)).toBeNull();
    expect(roiKeyAction(press("x"), ready)).toBeNull();
  });
  it("do nothing at all while a reading has the ROI tool off", () => {
    const off = { ...ready, enabled: false };
    for (const e of [press(" "), press("v"), press("d"), press("Escape"), press("z", { ctrlKey: true }), press("y", { ctrlKey: true })]) {
      expect(roiKeyAction(e, off)).toBeNull();
    }
  });
});
