/**
 * The viewer's failures go to its own message area (Messages.tsx), next to what the user did; only an
 * ended session (401) goes to the page, which then shows the login page.
 */
import { useCallback } from "react";
import { ApiError, isAbort } from "../api/client";
import { messageOf, useErrors } from "../state/errors";
import type { ViewerEngine } from "./engine";

export function useFailure(engine: ViewerEngine): (err: unknown, doing: string) => void {
  const { report } = useErrors();
  return useCallback(
    (err: unknown, doing: string) => {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 401) report(err, doing);
      else engine.message(`${doing}: ${messageOf(err)}`);
    },
    [engine, report],
  );
}
