import { useState, type FormEvent } from "react";
import { auth } from "../api/endpoints";
import type { Me } from "../api/types";
import { LOGIN, useErrors } from "../state/errors";
import { ErrorBanner } from "./ErrorBanner";

/** Username/password form; a failed login (401) shows the server's message in the error banner. */
export function LoginPage(props: { onLogin: (me: Me) => void }) {
  const { report, clear } = useErrors();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);

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
      </form>
    </div>
  );
}
