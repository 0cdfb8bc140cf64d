/**
 * The viewer's message log (shown by Messages.tsx): newest first, at most MAX_MESSAGES kept; information
 * fades after INFO_MS, errors stay until dismissed or until another case is opened. Each change calls
 * `onChange` (the engine's change notification). No niivue and no DOM here.
 */
export interface Message {
  id: number;
  text: string;
  level: "error" | "info";
  caseKey: string | null;
  fading: boolean;
}

let messageId = 0;
/** How long information stays (the last third of it shown faded). */
export const INFO_MS = 6000;
const MAX_MESSAGES = 20;

/** The key of a case in messages (`setCase`). */
export function caseKey(pid: string, sid: string | null): string {
  return `${pid}\n${sid ?? ""}`;
}

export class MessageLog {
  messages: Message[] = [];
  /** The case shown now (`caseKey`); its change clears the messages of the previous one. */
  currentCase: string | null = null;

  constructor(private readonly onChange: () => void) {}

  /** Add a message on top; the same text again moves to the top instead of stacking. */
  add(text: string, level: Message["level"], forCase: string | null) {
    const id = ++messageId;
    const others = this.messages.filter((m) => m.text !== text);
    this.messages = [{ id, text, level, caseKey: forCase, fading: false }, ...others].slice(0, MAX_MESSAGES);
    if (level === "info") {
      setTimeout(() => this.update(id, (m) => ({ ...m, fading: true })), (INFO_MS * 2) / 3);
      setTimeout(() => this.dismiss(id), INFO_MS);
    }
    this.onChange();
  }

  dismiss(id: number) {
    if (!this.messages.some((m) => m.id === id)) return;
    this.messages = this.messages.filter((m) => m.id !== id);
    this.onChange();
  }

  clear() {
    this.messages = [];
    this.onChange();
  }

  /** Another case is open: the messages of other cases go. */
  setCase(key: string | null) {
    if (key === this.currentCase) return;
    this.currentCase = key;
    const kept = this.messages.filter((m) => m.caseKey === key);
    if (kept.length !== this.messages.length) {
      this.messages = kept;
      this.onChange();
    }
  }

  private update(id: number, fn: (m: Message) => Message) {
    if (!this.messages.some((m) => m.id === id)) return;
    this.messages = this.messages.map((m) => (m.id === id ? fn(m) : m));
    this.onChange();
  }
}
