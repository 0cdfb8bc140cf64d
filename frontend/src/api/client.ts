/**
 * The one place that talks HTTP to the backend: `request()` sends JSON, parses JSON, and turns every
 * failure (HTTP 4xx/5xx, unreachable server, non-JSON answer) into an `ApiError` with a message fit to
 * show to the user.
 */

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

export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  query?: Record<string, QueryValue> | URLSearchParams;
  body?: unknown;
  signal?: AbortSignal;
}

/** Function used to send requests; replaced in unit tests. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

let fetchImpl: FetchLike = (input, init) => fetch(input, init);

/** Swap the transport (tests only); returns the previous one. */
export function setFetch(impl: FetchLike): FetchLike {
  const previous = fetchImpl;
  fetchImpl = impl;
  return previous;
}

/** Encode query parameters, leaving out null/undefined/empty-string values. */
export function buildQuery(query: RequestOptions["query"]): string {
  if (query === undefined) return "";
  const params =
    query instanceof URLSearchParams ? query : new URLSearchParams();
  if (!(query instanceof URLSearchParams)) {
    for (const [key, value] of Object.entries(query)) {
      if (value === null || value === undefined || value === "") continue;
      params.set(key, String(value));
    }
  }
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
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

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Send one request to `API_BASE + path` and return the parsed JSON (undefined for 204 or an empty body).
 * Throws `ApiError` for every failure; never returns an error body as data.
 */
export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const init: RequestInit = { method, headers, credentials: "same-origin" };
  if (options.signal !== undefined) init.signal = options.signal;
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  const url = `${API_BASE}${path}${buildQuery(options.query)}`;

  let response: Response;
  try {
    response = await fetchImpl(url, init);
  } catch (err) {
    if (isAbortException(err)) throw new ApiError(0, ABORTED);
    const reason = err instanceof Error ? err.message : String(err);
    throw new ApiError(0, `Cannot reach the server (${method} ${url}): ${reason}`);
  }

  let body: unknown;
  try {
    body = await readBody(response);
  } catch (err) {
    if (isAbortException(err)) throw new ApiError(0, ABORTED);
    const reason = err instanceof Error ? err.message : String(err);
    throw new ApiError(response.status, `Could not read the server's answer: ${reason}`);
  }

  if (!response.ok) {
    const fallback = typeof body === "string" && body.trim() !== "" && body.length < 300
      ? body.trim()
      : response.statusText || `Request failed: ${method} ${path}`;
    throw new ApiError(response.status, errorMessage(body, fallback));
  }
  if (typeof body === "string") {
    throw new ApiError(response.status, `The server answered ${method} ${path} with non-JSON content`);
  }
  return body as T;
}

/** True for the error that an aborted request produces (a superseded query, not a real failure). */
export function isAbort(err: unknown): boolean {
  return err instanceof ApiError && err.status === 0 && err.detail === ABORTED;
}
