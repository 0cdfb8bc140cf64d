/**
 * The one place that talks HTTP to the backend: `api` is the openapi-fetch client typed by the generated
 * `paths` of schema.ts (routes, parameters, bodies and answers checked by the compiler), and `ok()` turns
 * every failure (HTTP 4xx/5xx, unreachable server, non-JSON answer) into an `ApiError` with a message fit
 * to show to the user. Requests send the session cookie (same origin) and ask for JSON.
 */
import createClient from "openapi-fetch";
import type { paths } from "./schema";

/** Prefix of every API route; the page and the API share one origin. */
export const API_BASE = "/api";

export class ApiError extends Error {
  /** HTTP status, or 0 when no HTTP answer arrived (network failure, aborted). */
  readonly status: number;
  /** The server's `detail` message (or our own description when there was none). */
  readonly detail: string;

  constructor(status: number, detail: string) {
    super(status === 0 ? detail : `${detail} (HTTP ${status})`);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
  }
}

/** Function used to send requests; replaced in unit tests. */
export type FetchLike = (request: Request) => Promise<Response>;

let fetchImpl: FetchLike = (request) => fetch(request);

/** Swap the transport (tests only); returns the previous one. */
export function setFetch(impl: FetchLike): FetchLike {
  const previous = fetchImpl;
  fetchImpl = impl;
  return previous;
}

/** Encode one path segment (patient and study ids may contain any character). */
export function seg(value: string | number): string {
  return encodeURIComponent(String(value));
}

/** Turn an error body into one readable line. */
export function errorMessage(body: unknown, fallback: string): string {
  if (body !== null && typeof body === "object" && "detail" in body) {
    const detail = (body as { detail: unknown }).detail;
    if (typeof detail === "string" && detail.trim() !== "") return detail;
    if (Array.isArray(detail)) {
      const parts = detail.map((item: unknown) => {
        if (item === null || typeof item !== "object") return String(item);
        const { loc, msg } = item as { loc?: unknown; msg?: unknown };
        const where = Array.isArray(loc) ? loc.filter((p) => p !== "body" && p !== "query").join(".") : "";
        const text = typeof msg === "string" ? msg : JSON.stringify(item);
        return where === "" ? text : `${where}: ${text}`;
      });
      if (parts.length > 0) return parts.join("; ");
    }
  }
  return fallback;
}

const ABORTED = "Request aborted";

function isAbortException(err: unknown): boolean {
  return err instanceof Error && err.name === "AbortError";
}

/** Where the page lives (absolute URLs are needed to build a Request; tests run without a page). */
function origin(): string {
  return typeof location === "undefined" ? "http://localhost" : location.origin;
}

/** What a request was, for messages: `GET /api/projects`. */
function describe(request: Request): string {
  const url = new URL(request.url);
  return `${request.method} ${url.pathname}${url.search}`;
}

/** The transport under `api`: a failure to get any answer becomes an ApiError naming the request. */
async function send(request: Request): Promise<Response> {
  try {
    return await fetchImpl(request);
  } catch (err) {
    if (isAbortException(err)) throw new ApiError(0, ABORTED);
    const reason = err instanceof Error ? err.message : String(err);
    throw new ApiError(0, `Cannot reach the server (${describe(request)}): ${reason}`);
  }
}

/** The typed client: `api.GET("/api/projects/{project}", { params: { path: { project } } })`. */
export const api = createClient<paths>({
  baseUrl: origin(),
  fetch: send,
  credentials: "same-origin",
  headers: { Accept: "application/json" },
});

interface Answer<D> {
  data?: D;
  error?: unknown;
  response: Response;
}

/**
 * The data of an openapi-fetch answer, or an ApiError: the server's `detail` for an HTTP error, a
 * description when the answer could not be read or was not JSON. Answers without a body give undefined.
 */
export async function ok<D>(call: Promise<Answer<D>>): Promise<D> {
  let answer: Answer<D>;
  try {
    answer = await call;
  } catch (err) {
    if (err instanceof ApiError) throw err;
    if (isAbortException(err)) throw new ApiError(0, ABORTED);
    const reason = err instanceof Error ? err.message : String(err);
    throw new ApiError(0, `Could not read the server's answer: ${reason}`);
  }
  const { response } = answer;
  if (!response.ok) throw failure(response, answer.error);
  return answer.data as D;
}

/** The ApiError of an HTTP error answer whose body (parsed JSON, text or undefined) is `body`. */
function failure(response: Response, body: unknown): ApiError {
  const fallback =
    typeof body === "string" && body.trim() !== "" && body.length < 300
      ? body.trim()
      : response.statusText || `Request failed: ${response.url ? new URL(response.url).pathname : "the server"}`;
  return new ApiError(response.status, errorMessage(body, fallback));
}

/**
 * The bytes at `url` (a file the viewer streams), through the same transport and with the same errors
 * as `ok()`: a failed answer becomes an ApiError with the server's reason, an aborted one `isAbort()`.
 */
export async function fetchBytes(url: string, signal?: AbortSignal): Promise<ArrayBuffer> {
  const init: RequestInit = { credentials: "same-origin", ...(signal ? { signal } : {}) };
  const response = await send(new Request(new URL(url, origin()), init));
  if (!response.ok) {
    const text = await response.text().catch(() => "");
    let body: unknown = text === "" ? undefined : text;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      /* not JSON: the text itself (or the status text) is the message */
    }
    throw failure(response, body);
  }
  return response.arrayBuffer();
}

/** True for the error that an aborted request produces (a superseded query, not a real failure). */
export function isAbort(err: unknown): boolean {
  return err instanceof ApiError && err.status === 0 && err.detail === ABORTED;
}
