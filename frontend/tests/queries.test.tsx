// @vitest-environment happy-dom
/**
 * The query layer: which answers the table shows (a superseded one never), what a rejected filter keeps,
 * and what a write or a live event makes the page ask for again.
 */
import { onlineManager, QueryClientProvider, QueryObserver, type QueryClient } from "@tanstack/react-query";
import { act, cleanup, renderHook, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ApiError, setFetch, type FetchLike } from "../src/api/client";
import { createQueryClient, invalidate, keys } from "../src/api/queries";
import type { StudyPage, StudyRow } from "../src/api/schema";
import type { Filters } from "../src/lib/filters";
import { ErrorsProvider } from "../src/state/errors";
import { firstPageProblem, studyPageQuery, useStudyPages } from "../src/state/useStudyPages";

function row(pid: string, sid = "S1"): StudyRow {
  return {
    patient_id: pid.length, study_id: pid.length * 10, pid, sid, name: null, birth_date: null, orig_pid: null, sex: "",
    study_date: null, sdesc: "", modality: "", ptags: [], stags: [], n_files: 0, jobs: { q: 0, r: 0, e: 0 },
  };
}

const page = (pids: string[]): StudyPage => ({ total: pids.length, offset: 0, limit: 500, items: pids.map((p) => row(p)) });

/** A server whose answers the test releases one by one: `pending` holds the requests not answered yet. */
class Server {
  pending: { url: URL; answer: (status: number, body: unknown) => void }[] = [];
  readonly fetch: FetchLike = (request) =>
    new Promise((resolve) => {
      this.pending.push({
        url: new URL(request.url),
        answer: (status, body) => resolve(new Response(JSON.stringify(body), { status })),
      });
    });
  /** Answer the oldest request whose query string has `param=value`. */
  answer(param: string, value: string, status: number, body: unknown): void {
    const i = this.pending.findIndex((p) => p.url.searchParams.get(param) === value);
    if (i < 0) throw new Error(`no pending request with ${param}=${value}: ${this.pending.map((p) => p.url.search)}`);
    const [request] = this.pending.splice(i, 1);
    request!.answer(status, body);
  }
}

let server: Server;
let previous: FetchLike;
let client: QueryClient;

beforeEach(() => {
  server = new Server();
  previous = setFetch(server.fetch);
  client = createQueryClient();
});
afterEach(() => {
  cleanup();
  setFetch(previous);
  client.clear();
});

function wrapper(props: { children: ReactNode }) {
  return (
    <QueryClientProvider client={client}>
      <ErrorsProvider onUnauthorized={() => undefined}>{props.children}</ErrorsProvider>
    </QueryClientProvider>
  );
}

function renderTable(filters: Filters) {
  let replaced = 0;
  const hook = renderHook((f: Filters) => useStudyPages("P", f, null, () => (replaced += 1)), { wrapper, initialProps: filters });
  return { hook, replaced: () => replaced };
}

const pids = (pages: ReturnType<typeof useStudyPages>) =>
  Array.from({ length: pages.total ?? 0 }, (_, i) => pages.row(i)?.pid);

describe("the study table's pages", () => {
  it("drops the answer to a superseded filter, even when it arrives last", async () => {
    const { hook } = renderTable({ pid: "A*" });
    await waitFor(() => expect(server.pending).toHaveLength(1));
    hook.rerender({ pid: "B*" });
    await waitFor(() => expect(server.pending).toHaveLength(2));
    await act(async () => server.answer("pid", "B*", 200, page(["B1", "B2"])));
    await waitFor(() => expect(pids(hook.result.current)).toEqual(["B1", "B2"]));
    await act(async () => server.answer("pid", "A*", 200, page(["A1"])));
    // nobody watches the old filter any more: its request was cancelled and the late answer is dropped
    expect(client.getQueryData(studyPageQuery("P", "pid=A*", 0).queryKey)).toBeUndefined();
    expect(pids(hook.result.current)).toEqual(["B1", "B2"]);
  });

  it("keeps the last good rows when the server rejects a filter, and shows its message", async () => {
    const { hook, replaced } = renderTable({ pid: "A*" });
    await waitFor(() => expect(server.pending).toHaveLength(1));
    await act(async () => server.answer("pid", "A*", 200, page(["A1"])));
    await waitFor(() => expect(pids(hook.result.current)).toEqual(["A1"]));
    const before = replaced();
    hook.rerender({ pid: "(" });
    await waitFor(() => expect(server.pending).toHaveLength(1));
    await act(async () => server.answer("pid", "(", 400, { detail: "unbalanced ( at 1" }));
    await waitFor(() => expect(hook.result.current.filterError).toBe("unbalanced ( at 1"));
    expect(pids(hook.result.current)).toEqual(["A1"]);
    expect(replaced()).toBe(before);
  });

  it("asks the server even while the browser believes it is offline (the server is ours, not the internet)", async () => {
    const { hook } = renderTable({ pid: "A*" });
    await waitFor(() => expect(server.pending).toHaveLength(1));
    await act(async () => server.answer("pid", "A*", 200, page(["A1"])));
    await waitFor(() => expect(pids(hook.result.current)).toEqual(["A1"]));
    onlineManager.setOnline(false);
    try {
      hook.rerender({ pid: "A*", files: "t1* & &" });
      // in TanStack's default network mode this query would wait, paused, for an "online" event
      await waitFor(() => expect(server.pending).toHaveLength(1));
      await act(async () => server.answer("files", "t1* & &", 400, { detail: "empty condition between two '&'" }));
      await waitFor(() => expect(hook.result.current.filterError).toBe("empty condition between two '&'"));
      expect(pids(hook.result.current)).toEqual(["A1"]);
    } finally {
      onlineManager.setOnline(true);
    }
  });

  it("says under the filter bars when the first page fails for another reason, keeping the rows", async () => {
    const { hook } = renderTable({ pid: "A*" });
    await waitFor(() => expect(server.pending).toHaveLength(1));
    await act(async () => server.answer("pid", "A*", 200, page(["A1"])));
    await waitFor(() => expect(pids(hook.result.current)).toEqual(["A1"]));
    hook.rerender({ pid: "B*" });
    await waitFor(() => expect(server.pending).toHaveLength(1));
    await act(async () => server.answer("pid", "B*", 503, { detail: "the database is busy" }));
    await waitFor(() => expect(hook.result.current.filterError).toMatch(/could not be loaded \(the database is busy \(HTTP 503\)\).*previous filters/));
    expect(pids(hook.result.current)).toEqual(["A1"]);
    expect(firstPageProblem(new ApiError(0, "Request aborted"))).toBeNull();
    expect(firstPageProblem(new ApiError(401, "not logged in"))).toBeNull();
  });

  it("loads further pages only for the rows in view", async () => {
    const { hook } = renderTable({});
    await waitFor(() => expect(server.pending).toHaveLength(1));
    const first = { total: 1200, offset: 0, limit: 500, items: Array.from({ length: 500 }, (_, i) => row(`P${i}`)) };
    await act(async () => server.answer("offset", "0", 200, first));
    await waitFor(() => expect(hook.result.current.total).toBe(1200));
    expect(hook.result.current.row(600)).toBeUndefined();
    act(() => hook.result.current.ensureRange(590, 620));
    await waitFor(() => expect(server.pending.map((p) => p.url.searchParams.get("offset"))).toEqual(["500"]));
    const second = { total: 1200, offset: 500, limit: 500, items: Array.from({ length: 500 }, (_, i) => row(`P${500 + i}`)) };
    await act(async () => server.answer("offset", "500", 200, second));
    await waitFor(() => expect(hook.result.current.row(600)?.pid).toBe("P600"));
    expect(server.pending).toHaveLength(0);
  });

  it("rewrites cached rows after a tag change without asking the server again", async () => {
    const { hook } = renderTable({});
    await waitFor(() => expect(server.pending).toHaveLength(1));
    await act(async () => server.answer("offset", "0", 200, page(["A1", "A2"])));
    await waitFor(() => expect(hook.result.current.total).toBe(2));
    act(() => hook.result.current.updateRows((r) => (r.pid === "A2" ? { ...r, stags: ["done"] } : r)));
    await waitFor(() => expect(hook.result.current.row(1)?.stags).toEqual(["done"]));
    expect(server.pending).toHaveLength(0);
  });

  it("asks again for the rows on screen after an import (reload)", async () => {
    const { hook, replaced } = renderTable({});
    await waitFor(() => expect(server.pending).toHaveLength(1));
    await act(async () => server.answer("offset", "0", 200, page(["A1"])));
    await waitFor(() => expect(hook.result.current.total).toBe(1));
    const before = replaced();
    act(() => hook.result.current.reload());
    await waitFor(() => expect(server.pending).toHaveLength(1));
    await act(async () => server.answer("offset", "0", 200, page(["A1", "NEW"])));
    await waitFor(() => expect(pids(hook.result.current)).toEqual(["A1", "NEW"]));
    expect(replaced()).toBeGreaterThan(before);
  });
});

describe("invalidation", () => {
  function watch(queryKey: readonly unknown[], calls: string[]) {
    const observer = new QueryObserver(client, {
      queryKey,
      queryFn: async () => {
        calls.push(JSON.stringify(queryKey));
        return calls.length;
      },
    });
    return observer.subscribe(() => undefined);
  }

  it("refetches what a change touched in that project only, and marks the rest stale", async () => {
    const calls: string[] = [];
    const stop = [
      watch(keys.studyPage("P", "", 0, 500), calls),
      watch(keys.jobs("P"), calls),
      watch(keys.studyPage("Q", "", 0, 500), calls),
      watch(keys.savedBatches("P"), calls),
    ];
    await waitFor(() => expect(calls).toHaveLength(4));
    calls.length = 0;
    client.setQueryData(keys.presets("P"), []); // cached, not on screen
    await invalidate(client, { kind: "jobs", project: "P" });
    expect(calls.sort()).toEqual([JSON.stringify(keys.jobs("P")), JSON.stringify(keys.studyPage("P", "", 0, 500))].sort());
    expect(client.getQueryState(keys.presets("P"))?.isInvalidated).toBe(false);
    await invalidate(client, { kind: "presets", project: "P" }, false);
    expect(client.getQueryState(keys.presets("P"))?.isInvalidated).toBe(true);
    stop.forEach((s) => s());
  });
});

describe("a script's argument rows", () => {
  it("come from the server, and an answer for an older text of the script is not used", async () => {
    const { useScriptRows } = await import("../src/processing/BatchTool");
    const bodies: string[] = [];
    const answers = new Map<string, (rows: unknown) => void>();
    setFetch(async (request) => {
      const { script } = (await request.json()) as { script: string };
      bodies.push(script);
      return new Promise((resolve) => answers.set(script, (rows) => resolve(new Response(JSON.stringify(rows)))));
    });
    const hook = renderHook((script: string) => useScriptRows(script), { wrapper, initialProps: "cat $f1" });
    await waitFor(() => expect(bodies).toEqual(["cat $f1"]));
    hook.rerender("cat $f1 > $o1");
    await waitFor(() => expect(bodies).toEqual(["cat $f1", "cat $f1 > $o1"]));
    await act(async () => answers.get("cat $f1 > $o1")!([{ name: "f1", type: "FILE" }, { name: "o1", type: "OUT" }]));
    await waitFor(() => expect(hook.result.current?.map((r) => r.name)).toEqual(["f1", "o1"]));
    await act(async () => answers.get("cat $f1")!([{ name: "f1", type: "FILE" }]));
    expect(hook.result.current?.map((r) => r.name)).toEqual(["f1", "o1"]);
  });
});
