/**
 * Live tables: one server-sent event stream per open project (`GET /api/projects/{p}/events`) whose
 * `change` events name what changed on the server (an import, a job's end, another user's tag), handed
 * to `invalidate()` as the page's own writes do. The table, the files panel and the job indicators on
 * screen refetch; nothing polls per row. `EventSource` reconnects by itself and sends the last event's
 * id, so the server first reports what changed while the page was away.
 */
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { API_BASE, seg } from "../api/client";
import { invalidate, type Change } from "../api/queries";

/** The change kinds the server sends (`nora.archive.events.KINDS`), as the page's `Change`. */
const KINDS = ["imported", "studies", "files", "jobs", "monitor"] as const;
type LiveKind = (typeof KINDS)[number];

/** The kinds of one `change` event's data (`{"kinds": [...]}`); unknown ones are ignored. */
export function liveKinds(data: string): LiveKind[] {
  try {
    const parsed: unknown = JSON.parse(data);
    const kinds = parsed !== null && typeof parsed === "object" ? (parsed as { kinds?: unknown }).kinds : undefined;
    return Array.isArray(kinds) ? KINDS.filter((k) => kinds.includes(k)) : [];
  } catch {
    return [];
  }
}

export function liveChange(kind: LiveKind, project: string): Change {
  return { kind, project };
}

/** Follow the project's changes while it is open; true once the stream is connected. */
export function useLiveEvents(project: string | null): boolean {
  const client = useQueryClient();
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    setConnected(false);
    if (project === null || typeof EventSource === "undefined") return;
    const source = new EventSource(`${API_BASE}/projects/${seg(project)}/events`);
    source.addEventListener("ready", () => setConnected(true));
    source.addEventListener("change", (event: MessageEvent<string>) => {
      for (const kind of liveKinds(event.data)) void invalidate(client, liveChange(kind, project));
    });
    source.addEventListener("error", () => setConnected(source.readyState === EventSource.OPEN));
    return () => source.close();
  }, [client, project]);
  return connected;
}
