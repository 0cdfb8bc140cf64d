import { afterEach, describe, expect, it } from "vitest";
import { ApiError, buildQuery, errorMessage, isAbort, request, seg, setFetch, type FetchLike } from "../src/api/client";

interface Sent {
  url: string;
  init: RequestInit;
}

function answer(status: number, body: string, statusText = ""): { sent: Sent[]; restore: FetchLike } {
  const sent: Sent[] = [];
  const restore = setFetch(async (url, init) => {
    sent.push({ url, init });
    return new Response(status === 204 ? null : body, { status, statusText });
  });
  return { sent, restore };
}

let restore: FetchLike | null = null;
afterEach(() => {
  if (restore) setFetch(restore);
  restore = null;
});

describe("request", () => {
  it("returns parsed JSON and sends cookies same-origin under /api", async () => {
    const fake = answer(200, JSON.stringify({ username: "ann", is_admin: false }));
    restore = fake.restore;
    const me = await request<{ username: string }>("GET", "/auth/me");
    expect(me.username).toBe("ann");
    expect(fake.sent[0]?.url).toBe("/api/auth/me");
    expect(fake.sent[0]?.init.credentials).toBe("same-origin");
  });

  it("sends a JSON body with a content type", async () => {
    const fake = answer(200, "{}");
    restore = fake.restore;
    await request("POST", "/auth/login", { body: { username: "a", password: "b" } });
    const init = fake.sent[0]?.init;
    expect(init?.body).toBe('{"username":"a","password":"b"}');
    expect((init?.headers as Record<string, string>)["Content-Type"]).toBe("application/json");
  });

  it("returns undefined for 204", async () => {
    restore = answer(204, "").restore;
    await expect(request("POST", "/auth/logout")).resolves.toBeUndefined();
  });

  it("throws ApiError with the server's detail on 401", async () => {
    restore = answer(401, JSON.stringify({ detail: "Invalid username or password" })).restore;
    const err = await request("POST", "/auth/login").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(401);
    expect((err as ApiError).detail).toBe("Invalid username or password");
  });

  it("joins FastAPI validation errors into one line", async () => {
    const body = { detail: [{ loc: ["query", "limit"], msg: "must be <= 5000" }, { loc: ["body"], msg: "bad" }] };
    restore = answer(422, JSON.stringify(body)).restore;
    const err = (await request("GET", "/x").catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(422);
    expect(err.detail).toBe("limit: must be <= 5000; bad");
  });

  it("uses a short text body or the status text when the error is not JSON", async () => {
    restore = answer(502, "Bad gateway from proxy").restore;
    expect(((await request("GET", "/x").catch((e: unknown) => e)) as ApiError).detail).toBe("Bad gateway from proxy");
    setFetch(restore);
    restore = answer(500, "<html>" + "x".repeat(400) + "</html>", "Internal Server Error").restore;
    expect(((await request("GET", "/x").catch((e: unknown) => e)) as ApiError).detail).toBe("Internal Server Error");
  });

  it("rejects a 200 answer that is not JSON", async () => {
    restore = answer(200, "<!doctype html>").restore;
    const err = (await request("GET", "/projects").catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.detail).toMatch(/non-JSON/);
  });

  it("reports an unreachable server as status 0", async () => {
    restore = setFetch(async () => {
      throw new TypeError("Failed to fetch");
    });
    const err = (await request("GET", "/projects").catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(0);
    expect(err.detail).toMatch(/Cannot reach the server.*Failed to fetch/);
    expect(isAbort(err)).toBe(false);
  });

  it("marks aborted requests so callers can ignore them", async () => {
    restore = setFetch(async (_url, init) => {
      init.signal?.throwIfAborted();
      return new Response("{}");
    });
    const controller = new AbortController();
    controller.abort();
    const err = await request("GET", "/projects", { signal: controller.signal }).catch((e: unknown) => e);
    expect(isAbort(err)).toBe(true);
  });
});

describe("helpers", () => {
  it("buildQuery drops empty values and encodes the rest", () => {
    expect(buildQuery({ a: "x y", b: "", c: null, d: undefined, e: 0 })).toBe("?a=x+y&e=0");
    expect(buildQuery({})).toBe("");
    expect(buildQuery(undefined)).toBe("");
  });

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
