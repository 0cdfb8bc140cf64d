/**
 * The form designer, with NORA's tabs: `general`, `form` (the form as JSON, template elements to copy or
 * insert at the cursor), `reading` (the configuration: reading, tools, viewer) and `reading_template`
 * (a basic reading whose viewer part is the viewer's current state with its autoloader). A live preview
 * checks the JSON as it is typed, says where it is wrong (the server's rule), and draws the form.
 */
import { useEffect, useMemo, useRef, useState } from "react";
import { FloatingWindow } from "../components/FloatingWindow";
import { useDebounced } from "../state/useDebounced";
import { useErrors } from "../state/errors";
import { currentAutoloader } from "../viewer/bus";
import { readingApi, type Problem } from "./api";
import { FormView } from "./FormView";
import type { Form } from "./logic";

type Tab = "general" | "form" | "reading" | "reading_template";
const TABS: Tab[] = ["general", "form", "reading", "reading_template"];

/** Template elements: one snippet per element type. */
export const TEMPLATES: Record<string, unknown> = {
  section: { type: "section", title: "Section heading", text: "" },
  radio: { type: "radio", name: "finding", label: "Finding present", required: true, shortcut: 1, useastag: 0,
    options: [{ value: "yes", label: "yes" }, { value: "no", label: "no" }] },
  checkbox: { type: "checkbox", name: "artefact", label: "Artefact", shortcut: 2 },
  select: { type: "select", name: "region", label: "Region", options: [{ value: "left" }, { value: "right" }] },
  number: { type: "number", name: "size_mm", label: "Size (mm)", min: 0, max: 200, step: 0.5 },
  text: { type: "text", name: "comment", label: "Comment", multiline: 1 },
  slider: { type: "slider", name: "probability", label: "Probability (%)", min: 0, max: 100, step: 5, minLabel: "none", maxLabel: "sure" },
  likert: { type: "likert", name: "confidence", label: "Confidence", min: 1, max: 5, shortcut: 3, labels: ["very low", "low", "medium", "high", "very high"] },
  date: { type: "date", name: "onset", label: "Onset" },
  roi: { type: "roi", name: "lesion", label: "Outline the lesion (ROI tool), save, attach", roi: "lesion", colour: "#ff3b30" },
  markers: { type: "markers", name: "landmarks", label: "Mark the landmarks (marker tool), save, attach", markerType: "pointset", color: "#ffcc00" },
};

const EMPTY = {
  general: { title: "", description: "", instructions: "", instructionsUrl: "", readers: [], admins: [] },
  form: { title: "", items: [] },
  reading: {},
};

function template(): unknown {
  const viewer: Record<string, unknown> = { sortOrder: "pid", sortDirection: "asc" };
  if (currentAutoloader && currentAutoloader.definition.loaders.length > 0) {
    viewer["autoloader"] = currentAutoloader.definition;
    viewer["layout"] = currentAutoloader.layout;
  }
  return {
    reading: {
      mode: "individual",
      random: "idhash",
      randomize: "study",
      repetitions: 1,
      allowRestartOfTraining: true,
      allowRestartOfSerious: false,
      mode_training: { selection: "*", SQLCondition: "STAG LIKE '%training%'" },
      mode_serious: { selection: "*", SQLCondition: "STAG NOT LIKE '%training%'" },
    },
    tools: {},
    viewer,
  };
}

const pretty = (v: unknown) => JSON.stringify(v, null, 2);

/** Where JSON.parse stopped, as line and column (browsers say "position N" or "line L column C"). */
function jsonProblem(tab: string, text: string): Problem | null {
  try {
    JSON.parse(text);
    return null;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const pos = /position (\d+)/.exec(msg);
    if (pos) {
      const before = text.slice(0, Number(pos[1]));
      const line = before.split("\n").length;
      return { where: `${tab} line ${line}, column ${before.length - before.lastIndexOf("\n")}`, message: msg };
    }
    return { where: tab, message: msg };
  }
}

export function Designer(props: { project: string; name: string | null; onSaved: () => void; onClose: () => void }) {
  const { report } = useErrors();
  const [tab, setTab] = useState<Tab>("form");
  const [name, setName] = useState(props.name ?? "");
  const [texts, setTexts] = useState<Record<Exclude<Tab, "reading_template">, string>>({
    general: pretty(EMPTY.general),
    form: pretty(EMPTY.form),
    reading: pretty(EMPTY.reading),
  });
  const [problems, setProblems] = useState<Problem[]>([]);
  const [status, setStatus] = useState("");
  const area = useRef<HTMLTextAreaElement | null>(null);

  useEffect(() => {
    if (!props.name) return;
    readingApi
      .get(props.project, props.name)
      .then((r) => {
        const d = r.definition as Record<string, unknown>;
        setTexts({ general: pretty(d["general"]), form: pretty(d["form"]), reading: pretty(d["reading"]) });
      })
      .catch((err) => report(err, `Loading reading ${props.name}`));
  }, [props.project, props.name, report]);

  const local = (["general", "form", "reading"] as const).map((t) => jsonProblem(t, texts[t])).filter((p): p is Problem => p !== null);
  const parsed = useMemo(() => {
    if (local.length > 0) return null;
    return { general: JSON.parse(texts.general) as unknown, form: JSON.parse(texts.form) as unknown, reading: JSON.parse(texts.reading) as unknown };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [texts, local.length]);
  const checking = useDebounced(parsed, 400);
  useEffect(() => {
    if (!checking) return;
    const ctl = new AbortController();
    readingApi.check(props.project, checking, ctl.signal).then((a) => setProblems(a.problems)).catch(() => undefined);
    return () => ctl.abort();
  }, [checking, props.project]);
  const shown = local.length > 0 ? local : problems;

  function edit(text: string) {
    if (tab === "reading_template") return;
    setTexts((t) => ({ ...t, [tab]: text }));
  }

  /** Put a template element at the cursor of the form tab (with the commas the list needs); where the
   * cursor is not inside the item list, the element goes to the end of the list. */
  function insert(kind: string) {
    const snippet = pretty(TEMPLATES[kind]);
    const text = texts.form;
    const at = area.current && tab === "form" ? area.current.selectionStart : text.length;
    const before = text.slice(0, at);
    const after = text.slice(at);
    const comma = /[}\]"0-9el]\s*$/.test(before) && !/[[,]\s*$/.test(before);
    const joined = `${before}${comma ? ",\n" : ""}${snippet}${/^\s*[{"]/.test(after) ? ",\n" : ""}${after}`;
    let next = joined;
    if (jsonProblem("form", joined) !== null) {
      try {
        const form = JSON.parse(text) as { items?: unknown[] };
        next = pretty({ ...form, items: [...(form.items ?? []), TEMPLATES[kind]] });
      } catch {
        next = joined; // the text is broken anyway: the element goes where the cursor is
      }
    }
    setTexts((t) => ({ ...t, form: next }));
    setTab("form");
  }

  async function save() {
    if (!parsed) return;
    try {
      if (props.name) await readingApi.replace(props.project, props.name, parsed as Record<string, unknown>);
      else await readingApi.create(props.project, name, parsed as Record<string, unknown>);
      setStatus("saved");
      props.onSaved();
    } catch (err) {
      setStatus("");
      report(err, `Saving reading ${name}`);
    }
  }

  const value = tab === "reading_template" ? pretty(template()) : texts[tab];
  const formValue = parsed ? (parsed.form as Form) : null;
  return (
    <FloatingWindow id="reading-designer" testId="reading-designer" label="Form designer" className="proc-window rd-designer" headClassName="proc-head"
      initial={() => ({ left: 40, top: 50, width: Math.min(1100, window.innerWidth - 60), height: Math.min(640, window.innerHeight - 70) })}
      onClose={props.onClose}
      head={<>
        <strong>Form designer</strong>
        {props.name ? <span>{props.name}</span> : (
          <input data-testid="reading-name" placeholder="reading name" value={name} onChange={(e) => setName(e.target.value)} />
        )}
        <span className="spacer" />
        <span className="muted" data-testid="designer-status">{status}</span>
        <button type="button" data-testid="reading-save" disabled={!parsed || (!props.name && !name)} onClick={() => void save()}>Save</button>
        <button type="button" onClick={props.onClose}>×</button>
      </>}>
      <div className="rd-tabs" role="tablist">
        {TABS.map((t) => (
          <button key={t} type="button" role="tab" aria-selected={tab === t} className={tab === t ? "on" : ""} data-testid={`designer-tab-${t}`}
            onClick={() => setTab(t)}>{t}</button>
        ))}
      </div>
      <div className="rd-designer-body">
        {tab === "form" ? (
          <div className="rd-templates" data-testid="designer-templates">
            <div className="muted">Template elements</div>
            {Object.keys(TEMPLATES).map((k) => (
              <div key={k} className="rd-template">
                <button type="button" className="link" title="copy the element's JSON (paste with Ctrl+V)"
                  onClick={() => void navigator.clipboard?.writeText(pretty(TEMPLATES[k])).catch(() => undefined)}>{k}</button>
                <button type="button" data-testid={`designer-insert-${k}`} title="insert at the cursor" onClick={() => insert(k)}>→</button>
              </div>
            ))}
          </div>
        ) : null}
        <textarea ref={area} data-testid="designer-json" spellCheck={false} value={value} readOnly={tab === "reading_template"}
          onChange={(e) => edit(e.target.value)} />
        <div className="rd-preview" data-testid="designer-preview">
          <div className="muted">Preview</div>
          {shown.length > 0 ? (
            <ul className="rd-problems" data-testid="designer-problems">
              {shown.map((p, i) => <li key={i}><b>{p.where || "definition"}</b>: {p.message}</li>)}
            </ul>
          ) : (
            <div className="rd-ok" data-testid="designer-valid">valid</div>
          )}
          {formValue && Array.isArray(formValue.items) ? <FormView form={formValue} answers={{}} onAnswer={() => undefined} /> : null}
        </div>
      </div>
    </FloatingWindow>
  );
}
