import { afterEach, describe, expect, it } from "vitest";
import { api, ApiError, errorMessage, fetchBytes, isAbort, ok, seg, setFetch, type FetchLike } from "../src/api/client";
import { auth, studies } from "../src/api/endpoints";

function answer(status: number, body: string, statusText = ""): { sent: Request[]; restore: FetchLike } {
  const sent: Request[] = [];
  const restore = setFetch(async (request) => {
    sent.push(request);
    return new Response(status === 204 ? null : body, { status, statusText });
  });
  return { sent, restore };
}

let restore: FetchLike | null = null;
afterEach(() => {
  if (restore) setFetch(restore);
  restore = null;
});

describe("the typed client", () => {
  it("returns parsed JSON, asks for JSON and sends cookies same-origin under /api", async () => {
    const fake = answer(200, JSON.stringify({ username: "ann", is_admin: false }));
    restore = fake.restore;
    const me = await auth.me();
    expect(me.username).toBe("ann");
    const sent = fake.sent[0]!;
    expect(new URL(sent.url).pathname).toBe("/api/auth/me");
    expect(sent.credentials).toBe("same-origin");
    expect(sent.headers.get("Accept")).toBe("application/json");
  });

  it("sends a JSON body with a content type", async () => {
    const fake = answer(200, JSON.stringify({ username: "a", is_admin: false }));
    restore = fake.restore;
    await auth.login("a", "b");
    const sent = fake.sent[0]!;
    expect(await sent.text()).toBe('{"username":"a","password":"b"}');
    expect(sent.headers.get("Content-Type")).toBe("application/json");
  });

  it("encodes path segments and passes the table's query string through", async () => {
    const fake = answer(200, JSON.stringify({ total: 0, offset: 0, limit: 5, items: [] }));
    restore = fake.restore;
    await studies.list("my project", new URLSearchParams("pid=P1 P2&sort=-sid&offset=0&limit=5"));
    const url = new URL(fake.sent[0]!.url);
    expect(url.pathname).toBe("/api/projects/my%20project/studies");
    expect(url.searchParams.get("pid")).toBe("P1 P2");
    expect(url.searchParams.get("sort")).toBe("-sid");
  });

  it("returns undefined for 204", async () => {
    restore = answer(204, "").restore;
    await expect(auth.logout()).resolves.toBeUndefined();
  });

  it("throws ApiError with the server's detail on 401", async () => {
    restore = answer(401, JSON.stringify({ detail: "Invalid username or password" })).restore;
    const err = await auth.login("a", "b").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(401);
    expect((err as ApiError).detail).toBe("Invalid username or password");
  });

  it("joins FastAPI validation errors into one line", async () => {
    const body = { detail: [{ loc: ["query", "limit"], msg: "must be <= 5000" }, { loc: ["body"], msg: "bad" }] };
    restore = answer(422, JSON.stringify(body)).restore;
    const err = (await auth.me().catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(422);
    expect(err.detail).toBe("limit: must be <= 5000; bad");
  });

  it("uses a short text body or the status text when the error is not JSON", async () => {
    restore = answer(502, "Bad gateway from proxy").restore;
    expect(((await auth.me().catch((e: unknown) => e)) as ApiError).detail).toBe("Bad gateway from proxy");
    setFetch(restore);
    restore = answer(500, "<html>" + "x".repeat(400) + "</html>", "Internal Server Error").restore;
    expect(((await auth.me().catch((e: unknown) => e)) as ApiError).detail).toBe("Internal Server Error");
  });

  it("rejects a 200 answer that is not JSON", async () => {
    restore = answer(200, "<!doctype html>").restore;
    const err = (await auth.me().catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.detail).toMatch(/Could not read the server's answer/);
  });

  it("reports an unreachable server as status 0, naming the request", async () => {
    restore = setFetch(async () => {
      throw new TypeError("Failed to fetch");
    });
    const err = (await ok(api.GET("/api/projects")).catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(0);
    expect(err.detail).toMatch(/Cannot reach the server \(GET \/api\/projects\).*Failed to fetch/);
    expect(isAbort(err)).toBe(false);
  });

  it("marks aborted requests so callers can ignore them", async () => {
    restore = setFetch(async (request) => {
      request.signal.throwIfAborted();
      return new Response("{}");
    });
    const controller = new AbortController();
    controller.abort();
    const err = await ok(api.GET("/api/projects", { signal: controller.signal })).catch((e: unknown) => e);
    expect(isAbort(err)).toBe(true);
  });
});

describe("helpers", () => {
  it("seg encodes path segments", () => {
    expect(seg("a/b c")).toBe("a%2Fb%20c");
    expect(seg(12)).toBe("12");
  });

  it("errorMessage falls back for bodies without detail", () => {
    expect(errorMessage({ message: "x" }, "fallback")).toBe("fallback");
    expect(errorMessage({ detail: "" }, "fallback")).toBe("fallback");
    expect(errorMessage(undefined, "fallback")).toBe("fallback");
  });
});

describe("file bytes for the viewer", () => {
  it("returns the bytes, sending cookies same-origin", async () => {
    const sent: Request[] = [];
    restore = setFetch(async (request) => {
      sent.push(request);
      return new Response(new Uint8Array([1, 2, 3]), { status: 200 });
    });
    const bytes = await fetchBytes("/api/projects/P/files/7/content");
    expect([...new Uint8Array(bytes)]).toEqual([1, 2, 3]);
    expect(new URL(sent[0]!.url).pathname).toBe("/api/projects/P/files/7/content");
    expect(sent[0]!.credentials).toBe("same-origin");
  });

  it("fails as ok() does: the server's detail, a short text body, or the status text", async () => {
    restore = answer(404, JSON.stringify({ detail: "no such file" })).restore;
    let err = (await fetchBytes("/api/f").catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect([err.status, err.detail]).toEqual([404, "no such file"]);
    setFetch(restore);
    restore = answer(502, "Bad gateway from proxy").restore;
    err = (await fetchBytes("/api/f").catch((e: unknown) => e)) as ApiError;
    expect([err.status, err.detail]).toEqual([502, "Bad gateway from proxy"]);
    setFetch(restore);
    restore = answer(500, "<html>" + "x".repeat(400) + "</html>", "Internal Server Error").restore;
    err = (await fetchBytes("/api/f").catch((e: unknown) => e)) as ApiError;
    expect(err.detail).toBe("Internal Server Error");
  });

  it("reports an unreachable server naming the request, and an abort as an abort", async () => {
    restore = setFetch(async (request) => {
      if (request.signal.aborted) throw new DOMException("aborted", "AbortError");
      throw new TypeError("Failed to fetch");
    });
    const err = (await fetchBytes("/api/f").catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(0);
    expect(err.detail).toMatch(/Cannot reach the server \(GET \/api\/f\).*Failed to fetch/);
    const controller = new AbortController();
    controller.abort();
    expect(isAbort(await fetchBytes("/api/f", controller.signal).catch((e: unknown) => e))).toBe(true);
  });
});
