/** Pieces the administration dialogs share: the dialog frame with tabs, error lines, tokens, right flags. */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { invalidate } from "../api/queries";
import { messageOf } from "../state/errors";
import { useEscape } from "../state/useEscape";
import { account, FLAGS, parseDays, type RightIn, type TokenCreated, type TokenOut } from "./api";

export function AdminDialog(props: {
  label: string;
  testId: string;
  tabs: string[];
  tab: string;
  onTab: (tab: string) => void;
  onClose: () => void;
  children: ReactNode;
}) {
  useEscape(props.onClose);
  return (
    <div className="modal-backdrop admin-backdrop" onMouseDown={(e) => e.target === e.currentTarget && props.onClose()}>
      <div
        className="modal admin-modal"
        role="dialog"
        aria-modal="true"
        aria-label={props.label}
        data-testid={props.testId}
      >
        <div className="panel-title">
          {props.label}
          <span className="spacer" />
          <button type="button" className="admin-close" data-testid="admin-close" aria-label="Close" onClick={props.onClose}>
            ×
          </button>
        </div>
        {props.tabs.length > 1 ? (
          <div className="admin-tabs" role="tablist">
            {props.tabs.map((t) => (
              <button key={t} type="button" role="tab" aria-selected={t === props.tab} data-testid={`admin-tab-${t.toLowerCase().replace(/\W+/g, "-")}`} className={t === props.tab ? "active" : ""} onClick={() => props.onTab(t)}>
                {t}
              </button>
            ))}
          </div>
        ) : null}
        <div className="admin-body">{props.children}</div>
      </div>
    </div>
  );
}

export function ErrorLine(props: { error: string | null; testId: string }) {
  return props.error === null ? null : (
    <div className="field-error" role="alert" data-testid={props.testId}>
      {props.error}
    </div>
  );
}

export function Notice(props: { text: string | null; testId: string }) {
  return !props.text ? null : (
    <div className="admin-notice" role="status" data-testid={props.testId}>
      {props.text}
    </div>
  );
}

/** Run a write, showing its error (or clearing it) where the user acted; true when it succeeded. */
export function useAction(): { error: string | null; busy: boolean; run: (work: () => Promise<unknown>) => Promise<boolean>; setError: (e: string | null) => void } {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function run(work: () => Promise<unknown>): Promise<boolean> {
    setBusy(true);
    setError(null);
    try {
      await work();
      return true;
    } catch (err) {
      setError(messageOf(err));
      return false;
    } finally {
      setBusy(false);
    }
  }
  return { error, busy, run, setError };
}

export function when(value: string | null): string {
  return value === null ? "" : value.replace("T", " ").slice(0, 16);
}

/** The flags and role of a right, as checkboxes and a role choice. */
export function RightFields(props: { value: RightIn; onChange: (r: RightIn) => void; testPrefix: string }) {
  return (
    <span className="right-fields">
      <select data-testid={`${props.testPrefix}-role`} value={props.value.role ?? "user"} onChange={(e) => props.onChange({ ...props.value, role: e.target.value })}>
        <option value="user">user</option>
        <option value="admin">admin</option>
      </select>
      {FLAGS.map((flag) => (
        <label key={flag} className="check">
          <input type="checkbox" data-testid={`${props.testPrefix}-${flag}`} checked={props.value[flag] ?? false} onChange={(e) => props.onChange({ ...props.value, [flag]: e.target.checked })} />
          {flag}
        </label>
      ))}
    </span>
  );
}

export function flagsText(r: RightIn): string {
  return [r.role === "admin" ? "admin" : "user", ...FLAGS.filter((f) => r[f])].join(" · ");
}

/**
 * A user's API tokens: list, create (the secret shown once), revoke. `list`/`create` are the profile's
 * own routes or a system admin's routes for another user; revoking is the same route for both.
 */
export function TokenPanel(props: {
  queryKey: readonly unknown[];
  list: (signal?: AbortSignal) => Promise<TokenOut[]>;
  create: (name: string, days: number | null) => Promise<TokenCreated>;
}) {
  const client = useQueryClient();
  const query = useQuery({ queryKey: props.queryKey, queryFn: ({ signal }) => props.list(signal) });
  const [name, setName] = useState("");
  const [days, setDays] = useState("");
  const [created, setCreated] = useState<TokenCreated | null>(null);
  const action = useAction();

  async function create() {
    const parsed = parseDays(days);
    if (!parsed.ok) {
      action.setError(parsed.error);
      return;
    }
    await action.run(async () => {
      setCreated(await props.create(name.trim(), parsed.days));
      setName("");
      await invalidate(client, { kind: "accounts" });
    });
  }

  async function revoke(id: number) {
    await action.run(async () => {
      await account.revokeToken(id);
      await invalidate(client, { kind: "accounts" });
    });
  }

  const tokens = query.data ?? [];
  return (
    <div className="admin-section" data-testid="token-panel">
      <form
        className="admin-row"
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <input data-testid="token-name" placeholder="token name, e.g. scripts" value={name} onChange={(e) => setName(e.target.value)} />
        <input data-testid="token-days" className="narrow" placeholder="days" title="lifetime in days; empty: no expiry" value={days} onChange={(e) => setDays(e.target.value)} />
        <button type="submit" className="primary" data-testid="token-create" disabled={action.busy}>
          Create token
        </button>
      </form>
      {created ? (
        <div className="admin-notice token-secret" role="status" data-testid="token-secret">
          Token “{created.name || created.id}”: <code>{created.token}</code> — copy it now, it is shown only once.
        </div>
      ) : null}
      <ErrorLine error={action.error ?? (query.isError ? messageOf(query.error) : null)} testId="token-error" />
      <table className="admin-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Starts with</th>
            <th>Created</th>
            <th>Expires</th>
            <th>Last used</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {tokens.map((t) => (
            <tr key={t.id} data-testid="token-row" data-token-id={t.id} className={t.revoked_at ? "revoked" : ""}>
              <td>{t.name || <span className="muted">(no name)</span>}</td>
              <td>
                <code>{t.prefix}…</code>
              </td>
              <td>{when(t.created_at)}</td>
              <td>{when(t.expires_at) || "never"}</td>
              <td>{when(t.last_used_at) || "—"}</td>
              <td>
                {t.revoked_at ? (
                  <span className="muted">revoked {when(t.revoked_at)}</span>
                ) : (
                  <button type="button" data-testid="token-revoke" disabled={action.busy} onClick={() => void revoke(t.id)}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {query.data && tokens.length === 0 ? <div className="muted">No API tokens yet.</div> : null}
    </div>
  );
}
