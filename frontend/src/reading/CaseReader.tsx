/**
 * A reader at work on one stage: the case's images open in the viewer with the stage's autoloader, the
 * form beside them in this window, every answer saved at once. Keys (while the window is open and no
 * text field has the focus): Alt+N, Enter or Space the next unrated case; Up / Down the previous / next
 * case; 0-9 (and the numpad) the form item with that shortcut, Shift/Ctrl/CapsLock + digit adding 10.
 * Each opening of a case is a visit whose active time (the page hidden does not count) goes to the server.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { FloatingWindow } from "../components/FloatingWindow";
import { useErrors } from "../state/errors";
import { applyAutoloader, applyPreset, prefetchCase, setReadingTools } from "../viewer/bus";
import type { AutoloaderDef } from "../viewer/api";
import { readingApi, type CaseRef, type SlotOut, type StageName, type StageOut } from "./api";
import { FormView } from "./FormView";
import { ActiveClock, advance, isDone, itemForShortcut, nextUnrated, sessionSeed, shortcutOf, type Answers, type Form } from "./logic";

const REPORT_EVERY_MS = 10_000;
/** The next cases are fetched ahead this long after a case opened (its own images go first). */
const PREFETCH_AFTER_MS = 800;

/** An answer as the server stores it (what the form shows until the server's own answer arrives). */
function asText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "boolean") return value ? "1" : "0";
  if (Array.isArray(value)) return value.join(";");
  return String(value);
}

function caseOf(slot: SlotOut): CaseRef {
  return { pid: slot.pid, sid: slot.sid, file_id: slot.file_id, repetition: slot.repetition, arm: slot.arm };
}

/** A field the reader types in: keys there are the field's (radio buttons and check boxes are not). */
function typingText(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  if (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
  return el.tagName === "INPUT" && !["radio", "checkbox", "range", "button"].includes((el as HTMLInputElement).type);
}

/** Open the case's images: the stage's autoloader (its viewer context), a preset it names, or the user's. */
function showCase(viewer: Record<string, unknown>, slot: SlotOut, select: (pid: string, sid: string) => void) {
  const def = viewer["autoloader"] as AutoloaderDef | undefined;
  const preset = viewer["autoloaderPreset"];
  if (def && Array.isArray(def.loaders)) applyAutoloader(def, slot.pid, slot.sid);
  else if (typeof preset === "string" && preset) applyPreset(preset, slot.pid, slot.sid);
  select(slot.pid, slot.sid);
}

/** Fetch a case ahead (its autoload answer and image bytes), so moving to it waits on the reading request only. */
function prefetch(viewer: Record<string, unknown>, slot: SlotOut | undefined) {
  const def = viewer["autoloader"] as AutoloaderDef | undefined;
  if (slot && !slot.locked && def && Array.isArray(def.loaders)) prefetchCase(def, slot.pid, slot.sid);
}

interface Visit {
  id: number | null;
  clock: ActiveClock;
  first: number | null;
}

export function CaseReader(props: {
  project: string;
  reading: string;
  stage: StageName;
  onOpenCase: (pid: string, sid: string) => void;
  onChanged: () => void;
  onClose: () => void;
}) {
  const { project, reading, stage } = props;
  const { report } = useErrors();
  const [data, setData] = useState<StageOut | null>(null);
  const [index, setIndex] = useState<number | null>(null);
  const [answers, setAnswersState] = useState<Answers>({});
  // the answers as the reader gave them, at once: a second key press builds on the first before the server answered
  const given = useRef<Answers>({});
  const setAnswers = useCallback((a: Answers) => {
    given.current = a;
    setAnswersState(a);
  }, []);
  const [saving, setSaving] = useState(0);
  const visit = useRef<Visit | null>(null);
  const seed = useRef(sessionSeed(reading, typeof sessionStorage === "undefined" ? null : sessionStorage));

  const closeVisit = useCallback(() => {
    const v = visit.current;
    visit.current = null;
    if (v?.id) void readingApi.timeVisit(project, reading, v.id, v.clock.elapsed(), v.first).catch(() => undefined);
  }, [project, reading]);

  useEffect(() => {
    const ctl = new AbortController();
    readingApi
      .stage(project, reading, stage, seed.current, ctl.signal)
      .then((answer) => {
        setData(answer);
        const first = nextUnrated(answer.slots, answer.slots.length - 1);
        setIndex(first ?? (answer.slots.length > 0 ? 0 : null));
      })
      .catch((err) => report(err, `Opening reading ${reading}`));
    return () => {
      ctl.abort();
      closeVisit();
    };
  }, [project, reading, stage, report, closeVisit]);

  // the case view offers the reading's tools only (the server refuses a confined reader's saves through others)
  const tools = data?.tools ?? null;
  useEffect(() => {
    setReadingTools(tools);
    return () => setReadingTools(null);
  }, [tools]);

  const slot = data && index !== null ? (data.slots[index] ?? null) : null;
  const form: Form = data?.form ?? {};

  // Opening a case: its images, and one request that times the visit left, opens this one and brings its answers.
  useEffect(() => {
    if (!data || !slot || slot.locked) return;
    const left = visit.current;
    const v: Visit = { id: null, clock: new ActiveClock(undefined, !document.hidden), first: null };
    visit.current = v;
    showCase(data.viewer, slot, props.onOpenCase);
    setAnswers({});
    const leaving = left?.id ? { id: left.id, active_ms: Math.round(left.clock.elapsed()), first_answer_ms: left.first === null ? null : Math.round(left.first) } : null;
    readingApi
      .openVisit(project, reading, stage, caseOf(slot), leaving)
      .then((o) => {
        v.id = o.id;
        if (visit.current === v && Object.keys(given.current).length === 0) setAnswers(o.answers);
        // while the reader is on this case (its own images first): the next unrated one (Enter, Space) and the one below (Down)
        window.setTimeout(() => {
          if (visit.current !== v) return;
          const next = nextUnrated(data.slots, slot.index);
          if (next !== null) prefetch(data.viewer, data.slots[next]);
          if (next !== slot.index + 1) prefetch(data.viewer, data.slots[slot.index + 1]);
        }, PREFETCH_AFTER_MS);
      })
      .catch((err) => report(err, "Opening the case"));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [data === null, index]);

  // Active time: the clock stands still while the page is hidden; the server hears it now and then.
  useEffect(() => {
    function onVisibility() {
      visit.current?.clock.setVisible(!document.hidden);
      const v = visit.current;
      if (document.hidden && v?.id) void readingApi.timeVisit(project, reading, v.id, v.clock.elapsed(), v.first).catch(() => undefined);
    }
    document.addEventListener("visibilitychange", onVisibility);
    const timer = window.setInterval(() => {
      const v = visit.current;
      if (v?.id && !document.hidden) void readingApi.timeVisit(project, reading, v.id, v.clock.elapsed(), v.first).catch(() => undefined);
    }, REPORT_EVERY_MS);
    return () => {
      document.removeEventListener("visibilitychange", onVisibility);
      window.clearInterval(timer);
    };
  }, [project, reading]);

  const answer = useCallback(
    async (name: string, value: unknown) => {
      if (!slot || !data) return;
      const v = visit.current;
      const elapsed = v ? v.clock.elapsed() : 0;
      if (v && v.first === null) v.first = elapsed;
      const before = given.current[name] ?? "";
      setAnswers({ ...given.current, [name]: asText(value) });
      setSaving((n) => n + 1);
      try {
        const saved = await readingApi.answer(project, reading, stage, caseOf(slot), { [name]: value }, elapsed, v?.id ?? null);
        setAnswers(saved.answers);
        setData((d) => (d ? { ...d, slots: d.slots.map((s) => (s.index === slot.index ? { ...s, done: saved.done } : s)) } : d));
        props.onChanged();
      } catch (err) {
        setAnswers({ ...given.current, [name]: before }); // refused: the form shows what is stored
        report(err, `Saving the answer to ${name}`);
      } finally {
        setSaving((n) => n - 1);
      }
    },
    [slot, data, project, reading, stage, report, props, setAnswers],
  );

  const go = useCallback(
    (target: number | null) => {
      if (!data || target === null || target < 0 || target >= data.slots.length) return;
      setIndex(target);
    },
    [data],
  );

  // The reading keys: in the capture phase, so the viewer's own (digits, arrows) stay quiet meanwhile.
  const state = useRef({ data, index, form, go, answer });
  state.current = { data, index, form, go, answer };
  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      const { data: d, index: i, form: f, go: to, answer: give } = state.current;
      const a = given.current;
      if (e.defaultPrevented || !d || i === null || typingText(e.target) || e.metaKey) return;
      const next = () => to(nextUnrated(d.slots, i));
      if (e.altKey && e.code === "KeyN") next();
      else if (e.altKey) return;
      else if (e.key === "Enter" || e.key === " ") next();
      else if (e.key === "ArrowUp") to(i - 1);
      else if (e.key === "ArrowDown") to(i + 1);
      else {
        const n = shortcutOf(e);
        const item = n === null ? undefined : itemForShortcut(f, n);
        if (!item) return;
        const value = advance(item, a[item.name] ?? "");
        if (value === null && (item.type === "text" || item.type === "date")) document.getElementById(`rd-${item.name}`)?.focus();
        else void give(item.name, value);
      }
      e.preventDefault();
      e.stopPropagation();
    }
    window.addEventListener("keydown", onKey, true);
    return () => window.removeEventListener("keydown", onKey, true);
  }, []);

  async function restart() {
    if (!window.confirm(`Delete all your results of the ${stage} stage of ${reading} and start again?`)) return;
    try {
      await readingApi.restart(project, reading, stage);
      const fresh = await readingApi.stage(project, reading, stage, seed.current);
      setData(fresh);
      setIndex(fresh.slots.length > 0 ? 0 : null);
      setAnswers({});
      props.onChanged();
    } catch (err) {
      report(err, "Restarting the stage");
    }
  }

  const done = data ? data.slots.filter((s) => s.done).length : 0;
  return (
    <FloatingWindow id="reading-case" testId="reading-case" label="Reading" className="proc-window rd-window" headClassName="proc-head"
      initial={casePlace} onClose={() => { closeVisit(); props.onClose(); }}
      head={<>
        <strong>{reading}</strong>
        <span className="muted">{stage}</span>
        <span data-testid="reading-progress">{done} / {data?.total ?? 0} done</span>
        <span className="spacer" />
        {saving > 0 ? <span className="muted" data-testid="reading-saving">saving…</span> : <span className="muted" data-testid="reading-saved">saved</span>}
        <button type="button" onClick={() => { closeVisit(); props.onClose(); }} title="close (Esc)">×</button>
      </>}>
      <div className="proc-tools">
        <button type="button" data-testid="reading-prev" disabled={!slot || slot.index === 0} onClick={() => go((index ?? 0) - 1)} title="previous case (Up)">▲</button>
        <button type="button" data-testid="reading-next" disabled={!data || index === null || index + 1 >= data.slots.length} onClick={() => go((index ?? 0) + 1)} title="next case (Down)">▼</button>
        <button type="button" data-testid="reading-next-unrated" disabled={!data || index === null} onClick={() => data && index !== null && go(nextUnrated(data.slots, index))}
          title="next unrated case (Alt+N, Enter, Space)">Next unrated</button>
        <span data-testid="reading-case-label" className={slot?.done ? "rd-done" : ""}>
          {slot ? `${slot.index + 1} / ${data?.slots.length}: ${slot.label}` : "no case"}
          {slot && slot.repetition > 1 ? ` · repetition ${slot.repetition}` : ""}
          {slot?.arm ? ` · ${slot.arm}` : ""}
          {slot?.done ? " ✓" : ""}
        </span>
        <span className="spacer" />
        {data?.restart_allowed ? <button type="button" data-testid="reading-restart" onClick={() => void restart()}>Restart stage</button> : null}
      </div>
      <div className="rd-body">
        {data?.instructions ? <details className="rd-instructions"><summary>Instructions</summary><div>{data.instructions}</div></details> : null}
        {slot?.locked ? (
          <div className="muted" data-testid="reading-locked">
            This case opens after the washout{data?.washout_until ? ` (${new Date(data.washout_until).toLocaleString()})` : ": finish the first period first"}.
          </div>
        ) : slot ? (
          <FormView form={form} answers={answers} onAnswer={(n, v) => void answer(n, v)} />
        ) : data ? (
          <div className="muted">This stage has no cases.</div>
        ) : (
          <div className="muted">Loading…</div>
        )}
        {slot && !slot.locked && isDone(form, answers) && data && nextUnrated(data.slots, slot.index) === null ? (
          <div className="rd-finished" data-testid="reading-finished">All cases of this stage are done. Thank you!</div>
        ) : null}
      </div>
    </FloatingWindow>
  );
}

function casePlace() {
  const width = Math.min(380, window.innerWidth - 32);
  const height = Math.min(620, window.innerHeight - 90);
  return { left: window.innerWidth - width - 16, top: 70, width, height };
}
