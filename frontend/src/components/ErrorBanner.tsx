import { useErrors } from "../state/errors";

/** The visible list of errors at the top of the page; each can be dismissed. */
export function ErrorBanner() {
  const { errors, dismiss } = useErrors();
  if (errors.length === 0) return null;
  return (
    <div className="error-banner" role="alert" data-testid="error-banner">
      {errors.map((e) => (
        <div key={e.id} className="error-line">
          <span className="error-text">{e.message}</span>
          <button type="button" className="icon-button" aria-label="Dismiss error" onClick={() => dismiss(e.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
