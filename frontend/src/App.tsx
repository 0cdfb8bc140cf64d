/** Session handling: shows the login page until /api/auth/me answers, then the desktop. */
import { useCallback, useEffect, useState } from "react";
import { ApiError } from "./api/client";
import { auth } from "./api/endpoints";
import type { Me } from "./api/types";
import { ErrorBanner } from "./components/ErrorBanner";
import { Desktop } from "./components/Desktop";
import { LoginPage } from "./components/LoginPage";
import { ErrorsProvider, useErrors } from "./state/errors";
import { runAddress } from "./viewer/address";

type Session = { state: "checking" } | { state: "out" } | { state: "in"; me: Me };

export function App() {
  const [session, setSession] = useState<Session>({ state: "checking" });
  const onUnauthorized = useCallback(
    () => setSession((s) => (s.state === "in" ? { state: "out" } : s)),
    [],
  );
  return (
    <ErrorsProvider onUnauthorized={onUnauthorized}>
      <div className="app">
        <Session session={session} setSession={setSession} />
      </div>
    </ErrorsProvider>
  );
}

function Session(props: { session: Session; setSession: (s: Session) => void }) {
  const { report, clear } = useErrors();
  const { session, setSession } = props;

  useEffect(() => {
    if (session.state !== "checking") return;
    // A URL call's token logs in first; a shared link or URL call then opens its case in the desktop.
    runAddress(report)
      .then(() => auth.me())
      .then((me) => setSession({ state: "in", me }))
      .catch((err: unknown) => {
        // Not being logged in yet is the normal start, not an error to show.
        if (!(err instanceof ApiError && err.status === 401)) report(err, "Checking the session");
        setSession({ state: "out" });
      });
  }, [session.state, setSession, report]);

  async function logout() {
    clear();
    try {
      await auth.logout();
    } catch (err) {
      report(err, "Logging out");
    }
    setSession({ state: "out" });
  }

  if (session.state === "checking") {
    return (
      <>
        <ErrorBanner />
        <div className="empty">Connecting…</div>
      </>
    );
  }
  if (session.state === "out") {
    return <LoginPage onLogin={(me) => setSession({ state: "in", me })} />;
  }
  return (
    <>
      <ErrorBanner />
      <Desktop me={session.me} onLogout={logout} />
    </>
  );
}
