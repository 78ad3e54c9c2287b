// Errors for people: what happened, in words, and the link or button that fixes it. The
// services' problem+json details are written for API clients ("Train one with POST /api/v1/..."),
// so the sentences that name an HTTP method and path are left out here, and the status code and
// URL go to a collapsed "Technical details" line instead of the message.
import { ApiError } from "./api";

export interface FixAction {
  label: string;
  href?: string; // a link (another view)
  run?: () => void; // a button
}

export interface Explained {
  text: string;
  actions: FixAction[];
  technical: string | null;
}

/** What the failed request was for, so the message can name it ("the forecast for BTCUSD H1"). */
export interface ErrorContext {
  what?: string; // "the bars", "the forecast", ...
  symbol?: string;
  timeframe?: string;
}

const API_SENTENCE = /[^.;]*\b(GET|POST|PUT|PATCH|DELETE)\s+\/[^.;]*[.;]?\s*/g;
const SERVICE_NAMES: Record<string, string> = {
  data: "market-data",
  nhits: "forecast (NHITS)",
  tcn: "pattern (TCN)",
  hmm: "regime and scoring (HMM)",
  llm: "analysis (LLM)",
  rag: "knowledge (RAG)",
  embedder: "embedding",
};

/** A service's detail without the sentences meant for API clients, and without "HTTP 404". */
export function peopleText(detail: string): string {
  return detail
    .replace(API_SENTENCE, "")
    .replace(/\bHTTP \d{3}:?\s*/g, "")
    .replace(/\s+/g, " ")
    .trim();
}

function serviceOf(exc: ApiError): string | null {
  if (typeof exc.problem.service === "string") return exc.problem.service;
  const m = /^(?:https?:\/\/[^/]+)?\/([a-z]+)\//.exec(exc.url);
  return m ? m[1] : null;
}

function subject(ctx: ErrorContext): string {
  return [ctx.symbol, ctx.timeframe].filter(Boolean).join(" ");
}

export function explain(exc: unknown, ctx: ErrorContext = {}): Explained {
  if (!(exc instanceof ApiError)) {
    const text = exc instanceof Error ? exc.message : String(exc);
    return { text, actions: [], technical: null };
  }
  const type = (exc.problem.type ?? "").split(":").pop() ?? "";
  const svc = serviceOf(exc);
  const svcName = svc ? (SERVICE_NAMES[svc] ?? svc) : "a";
  const what = ctx.what ?? "this";
  const subj = subject(ctx);
  const detail = peopleText(exc.problem.detail ?? "");
  const technical = `${exc.status ? `${exc.status} ` : ""}${exc.problem.title ?? ""} · ${exc.url}${
    exc.problem.detail ? ` · ${exc.problem.detail}` : ""
  }`;
  const health: FixAction = { label: "See which services run (Overview)", href: "#/overview" };
  let text: string;
  let actions: FixAction[] = [];
  if (exc.status === 0) {
    text = `The dashboard could not reach the server for ${what}. Is the stack still running?`;
    actions = [{ label: "Try again", run: () => location.reload() }];
  } else if (exc.status === 401 || exc.status === 403) {
    text = `This change needs the API token, and ${exc.status === 401 ? "none was sent" : "the one sent was refused"}.`;
    actions = [{ label: "Enter the token in Settings", href: "#/settings" }];
  } else if (type === "unknown-symbol") {
    text = `There is no symbol ${ctx.symbol ?? ""} here.`.replace("  ", " ");
    actions = [{ label: "Add it in Symbols & strategies", href: "#/manage" }];
  } else if (type === "no-data") {
    text = `There are no ${subj ? `${subj} ` : ""}bars: no configured provider has them and none were imported.`;
    actions = [{ label: "Import bars from a CSV file", href: "#/manage" }];
  } else if (type === "model-not-trained") {
    text = `No model for ${what}${subj ? ` of ${subj}` : ""} is trained yet.`;
    actions = [{ label: "Train one in the Training view", href: "#/training" }];
  } else if (exc.status === 502 || exc.status === 503 || exc.status === 504) {
    if (svc === "data" && type === "upstream-unavailable") {
      text = `No market-data provider answered for ${subj || "these bars"}, and none are stored.`;
      actions = [{ label: "Import bars from a CSV file", href: "#/manage" }, health];
    } else {
      text = `The ${svcName} service is not answering, so ${what} cannot be shown. The rest of the page works.`;
      actions = [health];
    }
  } else if ((exc.status === 422 || exc.status === 400) && ctx.what) {
    // a model that cannot answer for these bars (too few, too flat): say it plainly
    const cap = ctx.what.charAt(0).toUpperCase() + ctx.what.slice(1);
    text = `${cap}${subj ? ` for ${subj}` : ""} cannot be shown: ${detail || exc.problem.title || "the service refused"}`;
  } else if (exc.status === 422 || exc.status === 400) {
    text = `That was refused: ${detail || exc.problem.title || "the input is not valid"}`;
  } else if (exc.status === 404) {
    text = detail || `Not found: ${what}.`;
  } else if (exc.status === 409) {
    text = detail || "That exists already.";
  } else {
    text = `The ${svcName} service failed on ${what}${detail ? `: ${detail}` : "."}`;
    actions = [health];
  }
  return { text: text.trim(), actions, technical };
}
