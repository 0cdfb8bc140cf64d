import { describe, expect, it } from "vitest";
import { LeftClick } from "../src/viewer/leftclick";

describe("the left click's owner", () => {
  it("one tool at a time: taking the click ends the previous owner's mode", () => {
    const lc = new LeftClick();
    const modes = { roi: false, markers: false, measure: false };
    for (const id of ["roi", "markers", "measure"] as const) {
      lc.register(id, () => {
        modes[id] = false;
        lc.set(id, false); // what a tool's own subscription does when its mode turns off
      });
    }
    const on = (id: keyof typeof modes) => {
      modes[id] = true;
      lc.set(id, true);
    };
    let told = 0;
    lc.subscribe(() => (told += 1));
    expect(lc.owner).toBeNull();
    on("roi");
    expect(lc.owner).toBe("roi");
    on("markers");
    expect(lc.owner).toBe("markers");
    expect(modes).toEqual({ roi: false, markers: true, measure: false });
    on("measure");
    expect(modes).toEqual({ roi: false, markers: false, measure: true });
    lc.set("roi", false); // a tool that does not own the click gives nothing back
    expect(lc.owner).toBe("measure");
    lc.stop();
    expect(lc.owner).toBeNull();
    expect(modes.measure).toBe(false);
    expect(told).toBeGreaterThanOrEqual(4);
  });
});
