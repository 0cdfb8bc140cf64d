/**
 * System administration (system admins): users (create, delete, set a password), each user's rights on
 * projects and capabilities (`PACS_<node>`, `PACSQUERY_<node>`, `QUEUE_<queue>`), their API tokens, and the
 * audit log: what `nora --admin` does, in the page.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { invalidate, keys } from "../api/queries";
import { messageOf } from "../state/errors";
import { system, type RightIn, type UserOut } from "./api";
import { AdminDialog, ErrorLine, flagsText, Notice, RightFields, TokenPanel, useAction, when } from "./parts";

const TABS = ["Users", "Audit log"];

export function UsersDialog(props: { me: string; onClose: () => void }) {
  const [tab, setTab] = useState(TABS[0]!);
  return (
    <AdminDialog label="System administration" testId="users-dialog" tabs={TABS} tab={tab} onTab={setTab} onClose={props.onClose}>
      {tab === "Users" ? <UsersTab me={props.me} /> : <AuditTab />}
    </AdminDialog>
  );
}

function UsersTab(props: { me: string }) {
  const client = useQueryClient();
  const query = useQuery({ queryKey: keys.users(), queryFn: ({ signal }) => system.users(signal) });
  const [chosen, setChosen] = useState<string | null>(null);
  const [form, setForm] = useState({ username: "", password: "", fullName: "", email: "", isAdmin: false });
  const action = useAction();
  const user = query.data?.find((u) => u.username === chosen) ?? null;

  async function create() {
    const f = form;
    if (await action.run(() => system.createUser(f.username.trim(), f.password, f.isAdmin, f.fullName, f.email))) {
      setChosen(f.username.trim());
      setForm({ username: "", password: "", fullName: "", email: "", isAdmin: false });
      await invalidate(client, { kind: "accounts" });
    }
  }

  return (
    <div className="admin-split">
      <div className="admin-section admin-users">
        <form
          className="admin-form"
          onSubmit={(e) => {
            e.preventDefault();
            void create();
          }}
        >
          <div className="admin-subtitle">New user</div>
          <input data-testid="new-user-name" placeholder="user name" value={form.username} onChange={(e) => setForm({ ...form, username: e.target.value })} />
          <input data-testid="new-user-password" type="password" autoComplete="new-password" placeholder="password (at least 8 characters)" value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} />
          <input data-testid="new-user-fullname" placeholder="full name (optional)" value={form.fullName} onChange={(e) => setForm({ ...form, fullName: e.target.value })} />
          <input data-testid="new-user-email" placeholder="e-mail (optional)" value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} />
          <label className="check">
            <input type="checkbox" data-testid="new-user-admin" checked={form.isAdmin} onChange={(e) => setForm({ ...form, isAdmin: e.target.checked })} />
            system admin
          </label>
          <ErrorLine error={action.error ?? (query.isError ? messageOf(query.error) : null)} testId="new-user-error" />
          <button type="submit" className="primary" data-testid="new-user-submit" disabled={action.busy || form.username.trim() === ""}>
            Create user
          </button>
        </form>
        <div className="admin-subtitle">Users</div>
        <ul className="admin-list" role="listbox" aria-label="users">
          {(query.data ?? []).map((u) => (
            <li key={u.username} role="option" aria-selected={u.username === chosen} data-testid="user-row" data-username={u.username} className={u.username === chosen ? "selected" : ""} onClick={() => setChosen(u.username)}>
              {u.username}
              {u.is_admin ? <span className="badge">admin</span> : null}
              {u.disabled ? <span className="muted"> disabled</span> : null}
              {u.full_name ? <span className="muted"> · {u.full_name}</span> : null}
            </li>
          ))}
        </ul>
      </div>
      <div className="admin-section admin-detail">
        {user ? <UserDetail key={user.username} user={user} me={props.me} onDeleted={() => setChosen(null)} /> : <div className="muted">Choose a user to see and change their rights, password and tokens.</div>}
      </div>
    </div>
  );
}

function UserDetail(props: { user: UserOut; me: string; onDeleted: () => void }) {
  const client = useQueryClient();
  const name = props.user.username;
  const rights = useQuery({ queryKey: keys.userRights(name), queryFn: ({ signal }) => system.rights(name, signal) });
  const [scope, setScope] = useState("");
  const [right, setRight] = useState<RightIn>({ role: "user" });
  const [password, setPassword] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const action = useAction();

  async function write(work: () => Promise<unknown>, done: string) {
    setNotice(null);
    if (await action.run(work)) {
      setNotice(done);
      await invalidate(client, { kind: "accounts" });
      return true;
    }
    return false;
  }

  return (
    <div data-testid="user-detail" data-username={name}>
      <div className="admin-subtitle">
        {name}
        {props.user.email ? <span className="muted"> · {props.user.email}</span> : null}
        <span className="spacer" />
        <button
          type="button"
          data-testid="user-delete"
          disabled={name === props.me || action.busy}
          title={name === props.me ? "you cannot delete your own account" : `delete ${name}`}
          onClick={() => {
            if (window.confirm(`Delete user ${name}? Their rights and tokens go with the account.`)) void write(() => system.deleteUser(name), "").then((ok) => ok && props.onDeleted());
          }}
        >
          Delete user
        </button>
      </div>
      <form
        className="admin-row"
        onSubmit={(e) => {
          e.preventDefault();
          void write(() => system.grant(name, scope.trim(), right), `Granted ${scope.trim()}.`).then((ok) => ok && setScope(""));
        }}
      >
        <input data-testid="user-scope" placeholder="project, PACS_node, PACSQUERY_node or QUEUE_queue" value={scope} onChange={(e) => setScope(e.target.value)} spellCheck={false} />
        <RightFields value={right} onChange={setRight} testPrefix="user-right" />
        <button type="submit" className="primary" data-testid="user-grant" disabled={action.busy || scope.trim() === ""}>
          Grant
        </button>
      </form>
      <div className="muted admin-hint">A project name grants a right in that project; PACS_&lt;node&gt; lets the user retrieve from and send to a PACS node, PACSQUERY_&lt;node&gt; query it only, QUEUE_&lt;queue&gt; use a job queue.</div>
      <table className="admin-table">
        <thead>
          <tr>
            <th>Scope</th>
            <th>Right</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(rights.data ?? []).map((r) => (
            <tr key={r.scope} data-testid="user-right-row" data-scope={r.scope}>
              <td>{r.scope}</td>
              <td>{/^(PACS|PACSQUERY|QUEUE)_/.test(r.scope) ? "capability" : flagsText(r)}</td>
              <td>
                <button type="button" data-testid="user-revoke" disabled={action.busy} onClick={() => void write(() => system.revoke(name, r.scope), `Revoked ${r.scope}.`)}>
                  Revoke
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {rights.data && rights.data.length === 0 ? <div className="muted">No rights yet.</div> : null}
      <form
        className="admin-row"
        onSubmit={(e) => {
          e.preventDefault();
          void write(() => system.setPassword(name, password), `Password of ${name} set.`).then((ok) => ok && setPassword(""));
        }}
      >
        <input data-testid="user-password" type="password" autoComplete="new-password" placeholder="new password for this user" value={password} onChange={(e) => setPassword(e.target.value)} />
        <button type="submit" data-testid="user-password-set" disabled={action.busy || password === ""}>
          Set password
        </button>
      </form>
      <ErrorLine error={action.error ?? (rights.isError ? messageOf(rights.error) : null)} testId="user-error" />
      <Notice text={notice} testId="user-notice" />
      <div className="admin-subtitle">API tokens</div>
      <TokenPanel queryKey={keys.userTokens(name)} list={(signal) => system.tokens(name, signal)} create={(n, days) => system.createToken(name, n, days)} />
    </div>
  );
}

function AuditTab() {
  const query = useQuery({ queryKey: keys.audit(), queryFn: ({ signal }) => system.audit(signal) });
  return (
    <div className="admin-section">
      <ErrorLine error={query.isError ? messageOf(query.error) : null} testId="audit-error" />
      <table className="admin-table" data-testid="audit-table">
        <thead>
          <tr>
            <th>When (UTC)</th>
            <th>Who</th>
            <th>What</th>
            <th>Project</th>
            <th>Target</th>
          </tr>
        </thead>
        <tbody>
          {(query.data ?? []).map((e) => (
            <tr key={e.id} data-testid="audit-row">
              <td>{when(e.at)}</td>
              <td>{e.username}</td>
              <td>{e.action}</td>
              <td>{e.project}</td>
              <td className="ellipsis" title={e.target}>{e.target}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
