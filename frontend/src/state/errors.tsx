/**
 * Page-wide error reporting: every failure ends up in the visible error banner (role="alert");
 * nothing is only logged. A 401 additionally tells the app that the session is gone.
 */
import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from "react";
import { ApiError, isAbort } from "../api/client";

export interface ShownError {
  id: number;
  message: string;
}

interface ErrorsApi {
  errors: ShownError[];
  /** Show `err` in the banner, prefixed with what was being done. Aborted requests are ignored. */
  report: (err: unknown, doing?: string) => void;
  dismiss: (id: number) => void;
  clear: () => void;
}

const ErrorsContext = createContext<ErrorsApi | null>(null);

const MAX_SHOWN = 5;

/** `doing` value for login failures: a 401 there is a wrong password, not an ended session. */
export const LOGIN = "Login";

export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.status === 0 ? err.detail : `${err.detail} (HTTP ${err.status})`;
  if (err instanceof Error) return err.message;
  return String(err);
}

export function ErrorsProvider(props: { children: ReactNode; onUnauthorized: () => void }) {
  const [errors, setErrors] = useState<ShownError[]>([]);
  const nextId = useRef(1);
  const onUnauthorized = useRef(props.onUnauthorized);
  onUnauthorized.current = props.onUnauthorized;

  const report = useCallback((err: unknown, doing?: string) => {
    if (isAbort(err)) return;
    console.error(doing ?? "error", err);
    let message = messageOf(err);
    if (doing === LOGIN) {
      // The login form shows the banner itself; the server's reason is the whole message.
    } else if (err instanceof ApiError && err.status === 401) {
      // Earlier errors belong to the ended session; this one explains why the login page is back.
      setErrors([{ id: nextId.current++, message: `Your session has ended (${err.detail}); please log in again.` }]);
      onUnauthorized.current();
      return;
    } else if (doing) {
      message = `${doing}: ${message}`;
    }
    const id = nextId.current++;
    setErrors((list) => [...list.filter((e) => e.message !== message), { id, message }].slice(-MAX_SHOWN));
  }, []);

  const dismiss = useCallback((id: number) => setErrors((list) => list.filter((e) => e.id !== id)), []);
  const clear = useCallback(() => setErrors([]), []);
  const api = useMemo(() => ({ errors, report, dismiss, clear }), [errors, report, dismiss, clear]);
  return <ErrorsContext.Provider value={api}>{props.children}</ErrorsContext.Provider>;
}

export function useErrors(): ErrorsApi {
  const api = useContext(ErrorsContext);
  if (api === null) throw new Error("useErrors() used outside <ErrorsProvider>");
  return api;
}
