// @vitest-environment happy-dom
/** Tool windows open clear of the other windows' title bars, and on screen. */
import { describe, expect, it } from "vitest";
import { freePlace } from "../src/components/FloatingWindow";

describe("freePlace", () => {
  it("steps a window away from another one's title bar", () => {
    window.innerWidth = 1600;
    window.innerHeight = 900;
    const other = { left: 40, top: 44, width: 800, height: 400 };
    const place = freePlace({ left: 40, top: 44, width: 600, height: 300 }, [other]);
    expect(Math.abs(place.top - other.top)).toBeGreaterThanOrEqual(36);
    expect(freePlace({ left: 900, top: 44, width: 600, height: 300 }, [other])).toMatchObject({ left: 900, top: 44 });
  });

  it("keeps a window on screen", () => {
    window.innerWidth = 1000;
    window.innerHeight = 700;
    const place = freePlace({ left: 900, top: 650, width: 600, height: 300 }, []);
    expect(place.left + place.width).toBeLessThanOrEqual(1000);
    expect(place.top + place.height).toBeLessThanOrEqual(700);
  });
});
