/**
 * A reading form drawn from its JSON: every element type, shortcut numbers in brackets, required items
 * marked. Each change is handed up at once (the case reader saves it); the designer's preview uses it too.
 */
import type { Answerable, Answers, Form, Item } from "./logic";

function Shortcut(props: { n: number | null | undefined }) {
  return props.n === null || props.n === undefined ? null : (
    <kbd className="rd-key" title={`key ${props.n >= 10 ? `Shift+${props.n - 10}` : props.n}`}>{props.n}</kbd>
  );
}

function Control(props: { item: Answerable; value: string; disabled: boolean; onAnswer: (v: unknown) => void }) {
  const { item, value, disabled, onAnswer } = props;
  const id = `rd-${item.name}`;
  switch (item.type) {
    case "radio":
      return (
        <div className="rd-options" role="radiogroup" aria-labelledby={`${id}-label`}>
          {(item.options ?? []).map((o) => (
            <label key={o.value}>
              <input type="radio" name={id} value={o.value} checked={value === o.value} disabled={disabled}
                onChange={() => onAnswer(o.value)} />
              {o.label || o.value}
            </label>
          ))}
        </div>
      );
    case "checkbox": {
      const opts = item.options ?? [];
      if (opts.length === 0)
        return <input type="checkbox" id={id} checked={value === "1"} disabled={disabled} onChange={(e) => onAnswer(e.target.checked)} />;
      const chosen = new Set(value ? value.split(";") : []);
      return (
        <div className="rd-options">
          {opts.map((o) => (
            <label key={o.value}>
              <input type="checkbox" checked={chosen.has(o.value)} disabled={disabled}
                onChange={(e) => onAnswer(opts.map((x) => x.value).filter((v) => (v === o.value ? e.target.checked : chosen.has(v))))} />
              {o.label || o.value}
            </label>
          ))}
        </div>
      );
    }
    case "select":
      return (
        <select id={id} value={value} disabled={disabled} onChange={(e) => onAnswer(e.target.value)}>
          <option value="">–</option>
          {(item.options ?? []).map((o) => <option key={o.value} value={o.value}>{o.label || o.value}</option>)}
        </select>
      );
    case "likert": {
      const lo = item.min ?? 1;
      const hi = item.max ?? 5;
      return (
        <div className="rd-likert" role="radiogroup">
          {Array.from({ length: hi - lo + 1 }, (_, i) => lo + i).map((n, i) => (
            <label key={n} title={item.labels?.[i] ?? String(n)}>
              <input type="radio" name={id} checked={value === String(n)} disabled={disabled} onChange={() => onAnswer(n)} />
              {item.labels?.[i] || n}
            </label>
          ))}
        </div>
      );
    }
    case "slider":
      return (
        <span className="rd-slider">
          <span className="muted">{item.minLabel}</span>
          <input type="range" id={id} min={item.min ?? 0} max={item.max ?? 100} step={item.step ?? 1} disabled={disabled}
            value={value === "" ? String(item.min ?? 0) : value} onChange={(e) => onAnswer(Number(e.target.value))} />
          <span className="muted">{item.maxLabel}</span>
          <output>{value || "–"}</output>
        </span>
      );
    case "number":
      return (
        <input type="number" id={id} key={`${id}:${value}`} defaultValue={value} disabled={disabled}
          {...(item.min === null || item.min === undefined ? {} : { min: item.min })}
          {...(item.max === null || item.max === undefined ? {} : { max: item.max })}
          {...(item.step ? { step: item.step } : {})}
          onBlur={(e) => e.target.value !== value && onAnswer(e.target.value === "" ? null : Number(e.target.value))}
          onKeyDown={(e) => e.key === "Enter" && (e.target as HTMLInputElement).blur()} />
      );
    case "date":
      return <input type="date" id={id} value={value} disabled={disabled} onChange={(e) => onAnswer(e.target.value || null)} />;
    case "roi":
    case "markers": {
      // the case opens the reader's own ROI / marker set (the reading's autoloader); saved there, it is attached here
      const tool = item.type === "roi" ? "ROI tool" : "marker tool";
      return (
        <span className="rd-attach">
          <span data-testid={`${id}-attached`} className={value ? "" : "muted"}>{value ? `attached: ${value}` : "not attached"}</span>
          <button type="button" id={id} data-testid={`${id}-attach`} disabled={disabled} onClick={() => onAnswer(true)}
            title={`save it in the ${tool} first; attaching again takes the newest saved version`}>
            {value ? "Attach again" : `Attach the saved ${item.type === "roi" ? "ROI" : "marker set"}`}
          </button>
          {value ? <button type="button" disabled={disabled} onClick={() => onAnswer(null)}>Detach</button> : null}
        </span>
      );
    }
    default: {
      const Tag = item.multiline ? "textarea" : "input";
      return (
        <Tag id={id} key={`${id}:${value}`} defaultValue={value} disabled={disabled} maxLength={item.maxlength ?? 2000}
          onBlur={(e: { target: { value: string } }) => e.target.value !== value && onAnswer(e.target.value)} />
      );
    }
  }
}

export function FormView(props: { form: Form; answers: Answers; disabled?: boolean; onAnswer: (name: string, value: unknown) => void }) {
  const items: Item[] = props.form.items ?? [];
  return (
    <div className="rd-form" data-testid="reading-form">
      {props.form.title ? <div className="rd-form-title">{props.form.title}</div> : null}
      {items.map((item, i) =>
        item.type === "section" ? (
          <div key={`s${i}`} className="rd-section">
            <b>{item.title}</b>
            {item.text ? <div className="muted">{item.text}</div> : null}
          </div>
        ) : (
          <div key={item.name} className="rd-item" data-testid={`reading-item-${item.name}`} data-value={props.answers[item.name] ?? ""}>
            <label id={`rd-${item.name}-label`} htmlFor={`rd-${item.name}`} className={item.required ? "rd-required" : ""}>
              <Shortcut n={item.shortcut} /> {item.label || item.name}
              {item.required ? <span title="required"> *</span> : null}
            </label>
            <Control item={item} value={props.answers[item.name] ?? ""} disabled={!!props.disabled}
              onAnswer={(v) => props.onAnswer(item.name, v)} />
            {item.help ? <div className="muted rd-help">{item.help}</div> : null}
          </div>
        ),
      )}
      {items.length === 0 ? <div className="muted">The form has no items yet.</div> : null}
    </div>
  );
}
