import { describe, expect, it } from "vitest";
import { ActiveClock, advance, answerable, isDone, itemForShortcut, nextUnrated, sessionSeed, shortcutOf, type Form } from "../src/reading/logic";

const FORM: Form = {
  items: [
    { type: "section", title: "x" },
    { type: "radio", name: "lesion", required: true, shortcut: 1, options: [{ value: "yes" }, { value: "no" }] },
    { type: "checkbox", name: "artefact", shortcut: 12 },
    { type: "likert", name: "conf", min: 1, max: 3, shortcut: 2 },
    { type: "slider", name: "s", min: 0, max: 20, step: 10 },
    { type: "text", name: "t" },
  ],
};

const key = (code: string, mods: Partial<{ shiftKey: boolean; ctrlKey: boolean; caps: boolean }> = {}) => ({
  code,
  shiftKey: !!mods.shiftKey,
  ctrlKey: !!mods.ctrlKey,
  getModifierState: (k: string) => k === "CapsLock" && !!mods.caps,
});

describe("reading keys and form items", () => {
  it("maps digits, numpad and the +10 modifiers to shortcut numbers", () => {
    expect(shortcutOf(key("Digit1"))).toBe(1);
    expect(shortcutOf(key("Numpad0"))).toBe(0);
    expect(shortcutOf(key("Digit2", { shiftKey: true }))).toBe(12);
    expect(shortcutOf(key("Digit2", { ctrlKey: true }))).toBe(12);
    expect(shortcutOf(key("Digit9", { caps: true }))).toBe(19);
    expect(shortcutOf(key("KeyA"))).toBeNull();
    expect(itemForShortcut(FORM, 12)?.name).toBe("artefact");
  });

  it("advances options, toggles boxes and steps scales, cycling round", () => {
    const [lesion, box, conf, slider, text] = answerable(FORM);
    expect([advance(lesion!, ""), advance(lesion!, "yes"), advance(lesion!, "no")]).toEqual(["yes", "no", null]);
    expect([advance(box!, ""), advance(box!, "1")]).toEqual([true, false]);
    expect([advance(conf!, ""), advance(conf!, "2"), advance(conf!, "3")]).toEqual([1, 3, 1]);
    expect([advance(slider!, ""), advance(slider!, "10"), advance(slider!, "20")]).toEqual([0, 20, 0]);
    expect(advance(text!, "")).toBeNull();
  });

  it("knows done cases and finds the next unrated one", () => {
    expect(isDone(FORM, { conf: "2" })).toBe(false);
    expect(isDone(FORM, { lesion: "no" })).toBe(true);
    const slots = [{ done: true, locked: false }, { done: false, locked: true }, { done: true, locked: false }, { done: false, locked: false }];
    expect(nextUnrated(slots, 0)).toBe(3);
    expect(nextUnrated(slots, 3)).toBe(3);
    expect(nextUnrated(slots.map((s) => ({ ...s, done: true })), 0)).toBeNull();
  });

  it("counts active time only while the page is visible", () => {
    let t = 0;
    const clock = new ActiveClock(() => t);
    t = 1000;
    clock.setVisible(false);
    t = 5000;
    expect(clock.elapsed()).toBe(1000);
    clock.setVisible(true);
    t = 5500;
    expect(clock.elapsed()).toBe(1500);
  });

  it("keeps one seed per reading and session", () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    const a = sessionSeed("R1", storage);
    expect(sessionSeed("R1", storage)).toBe(a);
    expect(sessionSeed("R2", storage)).not.toBe(a);
  });
});

describe("annotation items", () => {
  it("a shortcut attaches the saved ROI, and a second press detaches it", () => {
    const roi = { type: "roi" as const, name: "lesion" };
    expect(advance(roi, "")).toBe(true);
    expect(advance(roi, "ROIS/lesion_ann.nii.gz@2")).toBe(null);
  });
});
