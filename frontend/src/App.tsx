/**
 * Session handling: shows the login page until /api/auth/me answers, then the desktop. Public projects
 * can be opened without logging in (a read-only guest desktop), from the login page or by a shared link
 * or URL address that names a public project.
 */
import { QueryClientProvider } from "@tanstack/react-query";
import { useCallback, useEffect, useState } from "react";
import { ApiError } from "./api/client";
import { auth, projects } from "./api/endpoints";
import { createQueryClient } from "./api/queries";
import type { Me } from "./api/types";
import { ErrorBanner } from "./components/ErrorBanner";
import { Desktop } from "./components/Desktop";
import { LoginPage } from "./components/LoginPage";
import { ErrorsProvider, useErrors } from "./state/errors";
import { runAddress } from "./viewer/address";
import { pending } from "./viewer/bus";

type Session = { state: "checking" } | { state: "out" } | { state: "in"; me: Me } | { state: "guest" };

export function App() {
  const [session, setSession] = useState<Session>({ state: "checking" });
  const [client] = useState(createQueryClient);
  // Nothing cached outlives a session: the next login may be another user with other rights.
  useEffect(() => {
    if (session.state === "out") client.clear();
  }, [client, session.state]);
  const onUnauthorized = useCallback(
    () => setSession((s) => (s.state === "in" || s.state === "guest" ? { state: "out" } : s)),
    [],
  );
  return (
    <QueryClientProvider client={client}>
      <ErrorsProvider onUnauthorized={onUnauthorized}>
        <div className="app">
          <Session session={session} setSession={setSession} />
        </div>
      </ErrorsProvider>
    </QueryClientProvider>
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
      .catch(async (err: unknown) => {
        // Not being logged in yet is the normal start, not an error to show.
        if (!(err instanceof ApiError && err.status === 401)) {
          report(err, "Checking the session");
          setSession({ state: "out" });
          return;
        }
        // A link to a public project opens it as a guest; anything else needs a login.
        const wanted = pending?.project;
        const open = wanted ? await publicProjectNames().then((names) => names.includes(wanted)) : false;
        setSession(open ? { state: "guest" } : { state: "out" });
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
    return <LoginPage onLogin={(me) => setSession({ state: "in", me })} onGuest={() => setSession({ state: "guest" })} />;
  }
  return (
    <>
      <ErrorBanner />
      {session.state === "guest" ? (
        <Desktop me={null} onLogout={() => setSession({ state: "out" })} />
      ) : (
        <Desktop me={session.me} onLogout={logout} />
      )}
    </>
  );
}

/** Names of the public projects (an anonymous project listing); none when the server cannot say. */
async function publicProjectNames(): Promise<string[]> {
  try {
    return (await projects.list()).map((p) => p.name);
  } catch {
    return [];
  }
}
