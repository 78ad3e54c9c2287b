// Talks only to the gateway paths (/data, /nhits, ...): the same behind `make up` and the Ingress.
// Every non-2xx answer becomes an ApiError carrying the service's problem+json detail, so a view
// can show it in place ("The tcn service is not running ...") while the rest keeps working.

const TOKEN_KEY = "tradingstack.apiToken";

export function getToken(): string {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? "";
  } catch {
    return "";
  }
}

export function setToken(token: string): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  service?: string;
  [key: string]: unknown;
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  readonly url: string;
  /** Seconds to wait before asking again (the answer's Retry-After), when it said. */
  readonly retryAfter: number | null;

  constructor(status: number, problem: Problem, url: string, retryAfter: number | null = null) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.url = url;
    this.retryAfter = retryAfter;
  }

  /** One line a person can act on: "Service unavailable (503): The tcn service is ...". */
  get summary(): string {
    const title = this.problem.title || (this.status ? `HTTP ${this.status}` : "Network error");
    const status = this.status ? ` (${this.status})` : "";
    return this.problem.detail ? `${title}${status}: ${this.problem.detail}` : `${title}${status}`;
  }
}

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export interface RequestOptions {
  method?: string;
  query?: Record<string, string | number | boolean | undefined | null | string[]>;
  json?: unknown;
  body?: BodyInit;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

export function buildUrl(path: string, query?: RequestOptions["query"]): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) value.forEach((v) => params.append(key, v));
    else params.append(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** fetch() with the bearer token on mutating requests and problem+json errors as ApiError. */
export async function request(path: string, opts: RequestOptions = {}): Promise<Response> {
  const method = (opts.method ?? (opts.json !== undefined ? "POST" : "GET")).toUpperCase();
  const headers: Record<string, string> = { Accept: "application/json", ...(opts.headers ?? {}) };
  let body = opts.body;
  if (opts.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.json);
  }
  const token = getToken();
  if (token && MUTATING.has(method)) headers["Authorization"] = `Bearer ${token}`;
  const url = buildUrl(path, opts.query);
  let resp: Response;
  try {
    resp = await fetch(url, { method, headers, body, signal: opts.signal });
  } catch (exc) {
    if (exc instanceof DOMException && exc.name === "AbortError") throw exc;
    throw new ApiError(0, { title: "Network error", detail: `${url} did not answer (${exc})` }, url);
  }
  if (!resp.ok) {
    const wait = Number(resp.headers.get("Retry-After") ?? "");
    throw new ApiError(resp.status, await readProblem(resp), url, Number.isFinite(wait) && wait > 0 ? wait : null);
  }
  return resp;
}

async function readProblem(resp: Response): Promise<Problem> {
  const text = await resp.text();
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === "object") {
      const p = parsed as Problem;
      // FastAPI's own {"detail": [...]} shape, just in case a route answers it
      if (typeof p.detail !== "string" && p.detail !== undefined) p.detail = JSON.stringify(p.detail);
      return { status: resp.status, title: resp.statusText || undefined, ...p };
    }
  } catch {
    /* not JSON */
  }
  return {
    status: resp.status,
    title: resp.statusText || `HTTP ${resp.status}`,
    detail: text.slice(0, 300) || undefined,
  };
}

export async function getJson<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const resp = await request(path, opts);
  return (await resp.json()) as T;
}

export async function sendJson<T>(
  method: string,
  path: string,
  json?: unknown,
  opts: RequestOptions = {},
): Promise<T | null> {
  const resp = await request(path, { ...opts, method, json });
  if (resp.status === 204) return null;
  const text = await resp.text();
  return text ? (JSON.parse(text) as T) : null;
}

export function errorText(exc: unknown): string {
  if (exc instanceof ApiError) return exc.summary;
  if (exc instanceof Error) return exc.message;
  return String(exc);
}

/** Server-sent events over a POST (EventSource only does GET): yields {event, data}. */
export async function* postEvents(
  path: string,
  json: unknown,
  signal?: AbortSignal,
): AsyncGenerator<{ event: string; data: string }> {
  const resp = await request(path, {
    method: "POST",
    json,
    signal,
    headers: { Accept: "text/event-stream" },
  });
  if (!resp.body) throw new ApiError(resp.status, { title: "Empty stream" }, path);
  const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value.replace(/\r\n/g, "\n");
    let cut: number;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) yield { event, data: data.join("\n") };
    }
  }
}
