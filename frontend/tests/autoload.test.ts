import { describe, expect, it } from "vitest";
import { plainIntent } from "../src/viewer/api";
import { intentLook } from "../src/viewer/autoload";

describe("an autoloader intent's look", () => {
  it("is empty when the loader sets nothing (the viewer's defaults apply)", () => {
    expect(intentLook(plainIntent("background"))).toEqual({});
  });

  it("carries only what the loader sets, zero limits and opacity included", () => {
    const intent = { ...plainIntent("overlay"), colormap: "red", cal_min: 0, cal_max: 250, opacity: 0, frame: 3, outline: true };
    expect(intentLook(intent)).toEqual({ colormap: "red", calMin: 0, calMax: 250, opacity: 0, frame: 3, outline: true });
    expect(intentLook({ ...plainIntent("overlay"), outline: false })).toEqual({});
  });
});
