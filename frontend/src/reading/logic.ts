/**
 * The reading tool's rules in the page, as pure functions: which form item a key addresses, what the key
 * does to it, the next unrated case, and the active-time clock that leaves out time the page was hidden.
 */
import type { components } from "../api/schema";

type S = components["schemas"];
export type Form = S["Form"];
export type Item = NonNullable<Form["items"]>[number];
export type Answerable = Exclude<Item, S["Section"]>;
export type Answers = Record<string, string>;

export function answerable(form: Form): Answerable[] {
  return (form.items ?? []).filter((i): i is Answerable => i.type !== "section");
}

/** The shortcut number of a key press: 0-9 (top row or numpad), +10 with Shift, Ctrl or CapsLock. */
export function shortcutOf(e: { code: string; shiftKey: boolean; ctrlKey: boolean; getModifierState?: (k: string) => boolean }): number | null {
  const m = /^(?:Digit|Numpad)([0-9])$/.exec(e.code);
  if (!m) return null;
  const caps = e.getModifierState ? e.getModifierState("CapsLock") : false;
  return Number(m[1]) + (e.shiftKey || e.ctrlKey || caps ? 10 : 0);
}

function options(item: Answerable): string[] {
  return "options" in item && item.options ? item.options.map((o) => o.value) : [];
}

/** The answer a shortcut key gives `item` after `current`: the next option (cycling back to none), a
 * checkbox toggled, a scale one step on; null for text and dates (the key puts the focus in the field). */
export function advance(item: Answerable, current: string): unknown {
  switch (item.type) {
    case "radio":
    case "select":
    case "checkbox": {
      const opts = options(item);
      if (item.type === "checkbox" && opts.length === 0) return current !== "1";
      const at = opts.indexOf(current);
      return at + 1 < opts.length ? opts[at + 1] : null;
    }
    case "likert": {
      const lo = item.min ?? 1;
      const hi = item.max ?? 5;
      const n = current === "" ? lo : Number(current) + 1;
      return n > hi ? lo : n;
    }
    case "number":
    case "slider": {
      const lo = item.min ?? 0;
      const hi = item.max ?? (item.type === "slider" ? 100 : Number.POSITIVE_INFINITY);
      const step = item.step ?? 1;
      const n = current === "" ? lo : Number(current) + step;
      return n > hi ? lo : Math.round(n * 1e9) / 1e9;
    }
    case "roi":
    case "markers":
      return current === "" ? true : null; // attach the saved annotation, or detach it
    default:
      return null;
  }
}

export function itemForShortcut(form: Form, n: number): Answerable | undefined {
  return answerable(form).find((i) => i.shortcut === n);
}

/** Whether `answers` complete a case: every required item answered (none required: any answered). */
export function isDone(form: Form, answers: Answers): boolean {
  const items = answerable(form);
  const required = items.filter((i) => i.required);
  if (required.length > 0) return required.every((i) => (answers[i.name] ?? "") !== "");
  return items.some((i) => (answers[i.name] ?? "") !== "");
}

/** The index of the next case not yet done after `from` (wrapping round), or null when all are. */
export function nextUnrated(slots: readonly { done: boolean; locked: boolean }[], from: number): number | null {
  for (let step = 1; step <= slots.length; step++) {
    const i = (from + step) % slots.length;
    const s = slots[i];
    if (s && !s.done && !s.locked) return i;
  }
  return null;
}

/** Milliseconds of active time: runs while the page is visible, stands still while it is hidden. */
export class ActiveClock {
  private total = 0;
  private since: number | null;
  private readonly now: () => number;

  constructor(now: () => number = () => performance.now(), visible = true) {
    this.now = now;
    this.since = visible ? now() : null;
  }

  setVisible(visible: boolean): void {
    if (visible && this.since === null) this.since = this.now();
    else if (!visible && this.since !== null) {
      this.total += this.now() - this.since;
      this.since = null;
    }
  }

  elapsed(): number {
    return this.total + (this.since === null ? 0 : this.now() - this.since);
  }
}

/** A seed per browser session and reading: `random: full` gives a new order each session, the same within one. */
export function sessionSeed(reading: string, storage: Pick<Storage, "getItem" | "setItem"> | null): string {
  const key = `nora.reading.seed.${reading}`;
  const have = storage?.getItem(key);
  if (have) return have;
  const seed = Math.random().toString(36).slice(2, 12);
  storage?.setItem(key, seed);
  return seed;
}
