// What the symbol view's panels share: the selection a panel loads for, the quality line, the
// "being prepared" state of a model that is still training, and small formatters.
import type { ErrorContext } from "../../explain";
import { clear, fmtDuration, h, Panel, progressBar } from "../../dom";
import * as svc from "../../services";

/** The selection a panel loads for; `signal` aborts when the selection changes. */
export interface Selection {
  symbol: string;
  timeframe: string;
  bars: number;
  minConfidence: number;
  signal: AbortSignal;
}

export function qualityLine(q: svc.Quality | null): HTMLElement {
  if (!q) return h("p", { class: "muted quality", "data-testid": "quality" }, "Measured quality: not reported by the service.");
  // the summary may already start with its verdict ("no demonstrated edge: out-of-fold AUC ...")
  const m = /^(no demonstrated edge|measured edge|has an edge)\s*[:,-]?\s*/i.exec(q.summary);
  const rest = m ? q.summary.slice(m[0].length) : q.summary;
  return h(
    "p",
    { class: `quality ${q.has_edge ? "edge" : "no-edge"}`, "data-testid": "quality", title: q.evaluated_on },
    h("strong", {}, q.has_edge ? "Measured edge" : "No demonstrated edge"),
    rest ? `: ${rest}` : "",
  );
}

/** Run a model panel's request. A 503 model-being-prepared answer is no error: the panel says
 * "being prepared (NN %)" with the job's step and ETA, and asks again after Retry-After (until
 * the selection changes). Any other error is said in place, for people. */
export async function runModel<T>(
  panel: Panel,
  work: () => Promise<T>,
  ctx: ErrorContext & { what: string },
  sel: Selection,
  again: () => void,
): Promise<T | undefined> {
  const out = await panel.run(
    async () => {
      try {
        return { value: await work() };
      } catch (exc) {
        const prep = svc.preparingJob(exc);
        if (!prep) throw exc;
        return { preparing: prep };
      }
    },
    ctx,
    sel.signal,
  );
  if (!out || sel.signal.aborted) return undefined;
  if ("preparing" in out && out.preparing) {
    showPreparing(panel, ctx.what, `${sel.symbol} ${sel.timeframe}`, out.preparing.job);
    const wait = Math.min(Math.max(out.preparing.retryAfter, 2), 30);
    const timer = window.setTimeout(() => {
      if (!sel.signal.aborted) again();
    }, wait * 1000);
    sel.signal.addEventListener("abort", () => window.clearTimeout(timer), { once: true });
    return undefined;
  }
  return out.value;
}

export function showPreparing(panel: Panel, what: string, subject: string, job: svc.Job | null): void {
  const p = job?.progress;
  const percent = p?.percent ?? 0;
  const eta = p?.eta_seconds;
  const detail = [
    job?.reason === "first-start" ? "first start" : "",
    p?.step ?? "",
    eta !== undefined && eta !== null && eta > 0 ? `about ${fmtDuration(eta)} left` : "",
  ].filter(Boolean);
  panel.clearStatus();
  clear(
    panel.body,
    h(
      "div",
      { class: "preparing", "data-testid": "preparing", role: "status" },
      h("p", {}, `${cap(what)} for ${subject} is `, h("strong", {}, `being prepared (${Math.round(percent)} %)`), "."),
      progressBar(percent, `${what} for ${subject} being prepared`),
      detail.length ? h("p", { class: "muted" }, detail.join(" · ")) : null,
      h("p", { class: "muted" }, "It shows here when it is ready; nothing to do."),
    ),
  );
}

function cap(s: string): string {
  const t = s.replace(/^the /, "");
  return t.charAt(0).toUpperCase() + t.slice(1);
}

export function labelled(prefix: string, el: HTMLElement): HTMLElement {
  el.prepend(`${prefix}: `);
  return el;
}

export function shortTime(iso: string): string {
  // "2021-12-08T18:00:00Z" -> "12-08 18:00" (daily bars: "2021-12-08")
  const t = iso.slice(11, 16);
  return t && t !== "00:00" ? `${iso.slice(5, 10)} ${t}` : iso.slice(0, 10);
}

export function solid(rgba: string): string {
  return rgba.replace(/[\d.]+\)$/, "0.85)");
}
