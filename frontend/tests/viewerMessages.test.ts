import { afterEach, describe, expect, it, vi } from "vitest";
import { INFO_MS, MessageLog, caseKey } from "../src/viewer/messagelog";

describe("the viewer's message log", () => {
  afterEach(() => vi.useRealTimers());

  it("keeps the newest first, moves a repeated text to the top and clears other cases' messages", () => {
    let changes = 0;
    const log = new MessageLog(() => (changes += 1));
    const a = caseKey("P1", "S1");
    log.setCase(a);
    log.add("first", "error", a);
    log.add("second", "error", a);
    log.add("first", "error", a);
    expect(log.messages.map((m) => m.text)).toEqual(["first", "second"]);
    log.add("no case", "error", null);
    log.setCase(caseKey("P1", "S2"));
    expect(log.messages).toEqual([]);
    expect(changes).toBe(5);
  });

  it("fades information and then removes it; errors stay", () => {
    vi.useFakeTimers();
    const log = new MessageLog(() => undefined);
    log.add("an error", "error", null);
    log.add("saved", "info", null);
    expect(log.messages.map((m) => [m.text, m.fading])).toEqual([["saved", false], ["an error", false]]);
    vi.advanceTimersByTime((INFO_MS * 2) / 3 + 1);
    expect(log.messages[0]!.fading).toBe(true);
    vi.advanceTimersByTime(INFO_MS);
    expect(log.messages.map((m) => m.text)).toEqual(["an error"]);
  });
});
