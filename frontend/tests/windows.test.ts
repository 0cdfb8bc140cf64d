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

  it("opens beside a window rather than over its title bar", () => {
    window.innerWidth = 1600;
    window.innerHeight = 720;
    // the ROI tool near the bottom; the marker tool's first place (top 80, 380 high) would hide its header
    const roi = { left: 8, top: 320, width: 540, height: 380 };
    const place = freePlace({ left: 16, top: 80, width: 460, height: 380 }, [roi]);
    const across = place.left < roi.left + roi.width && roi.left < place.left + place.width;
    const overHead = roi.top < place.top + place.height && place.top < roi.top + 36;
    expect(across && overHead).toBe(false);
    expect(place.left + place.width).toBeLessThanOrEqual(1600);
    expect(place.top + place.height).toBeLessThanOrEqual(720);
  });

  it("cascades title bars when the screen has no free place", () => {
    window.innerWidth = 700;
    window.innerHeight = 500;
    const other = { left: 0, top: 0, width: 700, height: 500 };
    const place = freePlace({ left: 0, top: 0, width: 600, height: 400 }, [other]);
    expect(Math.abs(place.top - other.top)).toBeGreaterThanOrEqual(36);
  });

  it("keeps a window on screen", () => {
    window.innerWidth = 1000;
    window.innerHeight = 700;
    const place = freePlace({ left: 900, top: 650, width: 600, height: 300 }, []);
    expect(place.left + place.width).toBeLessThanOrEqual(1000);
    expect(place.top + place.height).toBeLessThanOrEqual(700);
  });
});
