// "Models being prepared": while nhits, tcn or hmm has a job queued or running (the first-start
// preparation above all), which model for which symbol and timeframe, its percent, step and ETA.
// Each service answers GET /<service>/api/v1/jobs with core.jobs.JobList; the panel polls them
// (every 2 s while something runs, every 15 s otherwise) and hides itself when nothing does.
import { clear, fmtDuration, fmtNumber, h, Panel, progressBar } from "../dom";
import * as svc from "../services";

const MODEL_OF: Record<svc.JobService, string> = {
  nhits: "forecast (NHITS)",
  tcn: "pattern model (TCN)",
  hmm: "regime and score models (HMM)",
};

export interface PreparingOptions {
  /** Say "nothing is being prepared" instead of hiding the panel when no job is active. */
  alwaysShown?: boolean;
  /** Called after each poll with the active jobs (the page state for the tests, a view's use). */
  onJobs?: (active: svc.Job[]) => void;
}

export class PreparingPanel {
  readonly panel = new Panel("Models being prepared", { id: "preparing", wide: true });
  private timer: number | undefined;
  private readonly ctl = new AbortController();
  private stopped = false;

  constructor(private readonly opts: PreparingOptions = {}) {
    this.panel.el.hidden = !opts.alwaysShown;
  }

  get el(): HTMLElement {
    return this.panel.el;
  }

  /** Poll until `stop()`; resolves after the first answer. */
  start(): Promise<void> {
    return this.poll();
  }

  stop(): void {
    this.stopped = true;
    this.ctl.abort();
    window.clearTimeout(this.timer);
  }

  private async poll(): Promise<void> {
    window.clearTimeout(this.timer);
    const signal = this.ctl.signal;
    const answers = await Promise.all(
      svc.JOB_SERVICES.map(async (service) => {
        try {
          return { service, list: await svc.jobs(service, signal) };
        } catch {
          return { service, list: null }; // not running, or no job route: it prepares nothing
        }
      }),
    );
    if (this.stopped) return;
    const active = answers
      .flatMap((a) => (a.list ? a.list.jobs : []))
      .filter((j) => j.state === "queued" || j.state === "running")
      .sort((a, b) => rank(a) - rank(b) || a.created_at.localeCompare(b.created_at));
    this.render(active);
    this.opts.onJobs?.(active);
    this.timer = window.setTimeout(() => void this.poll(), active.length ? 2000 : 15000);
  }

  private render(active: svc.Job[]): void {
    this.panel.el.hidden = !active.length && !this.opts.alwaysShown;
    if (!active.length) {
      clear(this.panel.body, h("p", { class: "muted" }, "No model is being prepared: every model there is, is ready."));
      return;
    }
    const first = active.filter((j) => j.reason === "first-start").length;
    clear(
      this.panel.body,
      h(
        "p",
        {},
        first
          ? `First start: the stack trains small models for the default symbols, one at a time (${first} to go). Each panel fills in as its model is ready.`
          : `${active.length} model job${active.length > 1 ? "s" : ""} queued or running.`,
      ),
      h(
        "ul",
        { class: "prep-list" },
        active.map((j) => {
          const p = j.progress;
          const percent = p?.percent ?? 0;
          const subject = [j.symbol, j.timeframe].filter(Boolean).join(" ") || "every symbol";
          const model = MODEL_OF[j.service as svc.JobService] ?? j.service;
          const eta = p?.eta_seconds;
          return h(
            "li",
            { class: `prep-job state-${j.state}`, "data-job": j.id, "data-state": j.state },
            h(
              "p",
              {},
              h("strong", {}, `${cap(model)} · ${subject}`),
              ` ${j.state === "queued" ? "queued" : `${fmtNumber(percent, 0)} %`}`,
              j.reason !== "user" ? h("span", { class: "muted" }, ` (${j.reason})`) : null,
            ),
            progressBar(percent, `${model} for ${subject}`),
            h(
              "p",
              { class: "muted" },
              [p?.step === j.state ? "" : p?.step, p?.message, eta ? `ETA ${fmtDuration(eta)}` : j.state === "running" ? "ETA –" : ""]
                .filter(Boolean)
                .join(" · "),
            ),
          );
        }),
      ),
    );
  }
}

function rank(j: svc.Job): number {
  return j.state === "running" ? 0 : 1;
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
