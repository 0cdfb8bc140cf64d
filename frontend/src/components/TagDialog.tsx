/** Modal asking for one or more tags (separated by spaces or commas). */
import { useState, type FormEvent } from "react";
import { parseTags } from "../lib/tags";

export function TagDialog(props: {
  title: string;
  onSubmit: (tags: string[]) => Promise<void>;
  onClose: () => void;
}) {
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = parseTags(text);
    if (!parsed.ok) {
      setError(parsed.error);
      return;
    }
    setBusy(true);
    try {
      await props.onSubmit(parsed.tags);
      props.onClose();
    } catch {
      // onSubmit has reported the failure in the banner; keep the dialog so the user can retry.
      setBusy(false);
    }
  }

  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && props.onClose()}>
      <form
        className="modal"
        role="dialog"
        aria-modal="true"
        aria-label={props.title}
        data-testid="tag-dialog"
        onSubmit={submit}
        onKeyDown={(e) => e.key === "Escape" && props.onClose()}
      >
        <div className="panel-title">{props.title}</div>
        <input
          data-testid="tag-input"
          autoFocus
          placeholder="tag (several: separate by space or comma)"
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setError(null);
          }}
          spellCheck={false}
        />
        {error !== null ? (
          <div className="field-error" role="alert" data-testid="tag-error">
            {error}
          </div>
        ) : null}
        <div className="modal-buttons">
          <button type="button" data-testid="tag-cancel" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" data-testid="tag-submit" className="primary" disabled={busy}>
            Add
          </button>
        </div>
      </form>
    </div>
  );
}
