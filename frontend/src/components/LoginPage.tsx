import { useEffect, useState, type FormEvent } from "react";
import { auth, projects } from "../api/endpoints";
import type { Me, Project } from "../api/types";
import { LAST_PROJECT_KEY, saveSetting } from "../lib/storage";
import { LOGIN, useErrors } from "../state/errors";
import { ErrorBanner } from "./ErrorBanner";

/**
 * Username/password form; a failed login (401) shows the server's message in the error banner. Below it,
 * the public projects, each opened read-only as a guest without logging in.
 */
export function LoginPage(props: { onLogin: (me: Me) => void; onGuest: () => void }) {
  const { report, clear } = useErrors();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [open, setOpen] = useState<Project[]>([]);

  useEffect(() => {
    projects
      .list()
      .then(setOpen)
      .catch((err: unknown) => report(err, "Listing the public projects"));
  }, [report]);

  function asGuest(name: string) {
    saveSetting(LAST_PROJECT_KEY, name);
    clear();
    props.onGuest();
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    try {
      const me = await auth.login(username, password);
      clear();
      props.onLogin(me);
    } catch (err) {
      report(err, LOGIN);
      setBusy(false);
    }
  }

  return (
    <div className="login-page">
      <form className="login-form" onSubmit={submit} aria-label="Log in">
        <h1>NORA</h1>
        <p className="muted">Medical imaging research platform</p>
        <ErrorBanner />
        <label>
          Username
          <input
            data-testid="login-username"
            name="username"
            autoComplete="username"
            autoFocus
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <label>
          Password
          <input
            data-testid="login-password"
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <button data-testid="login-submit" type="submit" disabled={busy || username === ""}>
          {busy ? "Logging in…" : "Log in"}
        </button>
        {open.length > 0 ? (
          <div className="public-projects" data-testid="public-projects">
            <p className="muted">Public projects, open to view without an account:</p>
            {open.map((p) => (
              <button
                type="button"
                key={p.name}
                data-testid="guest-project"
                data-name={p.name}
                title={p.description ?? ""}
                onClick={() => asGuest(p.name)}
              >
                {p.name} <span className="muted">({p.n_studies} studies) — view as guest</span>
              </button>
            ))}
          </div>
        ) : null}
      </form>
    </div>
  );
}
