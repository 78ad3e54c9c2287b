// The forecast (NHITS) panels of the training view: start a training, follow its jobs (core
// Job: state, percent, step, ETA) and cancel them, and list the models with their evaluation.
import { cfg, selection, symbols } from "../../config";
import { nhitsClient, type nhitsApi } from "../../contracts";
import { clear, field, fmtDuration, fmtNumber, h, Panel, select, table } from "../../dom";
import { conflictJob } from "../../services";
import { jobRow } from "./jobs";

export const ACTIVE = new Set(["queued", "running"]);

export class NhitsPanels {
  readonly start = new Panel("Train a forecast model (NHITS)", { id: "nhits-train" });
  readonly jobs = new Panel("Forecast training jobs", { id: "nhits-jobs" });
  readonly models: Panel;
  private readonly evaluation = h("div", { class: "evaluation", "aria-live": "polite" });
  readonly symbolSelect: HTMLSelectElement;
  readonly tfSelect: HTMLSelectElement;

  constructor(
    private readonly signal: AbortSignal,
    private readonly poll: () => void,
  ) {
    const sel = selection();
    this.models = new Panel("Forecast models", {
      id: "nhits-models",
      wide: true,
      actions: [h("button", { type: "button", onclick: () => void this.loadModels() }, "Refresh")],
    });
    const symbolSelect = (this.symbolSelect = select([sel.symbol], sel.symbol, { name: "symbol" }));
    const tfSelect = (this.tfSelect = select(cfg().timeframes, sel.timeframe, { name: "timeframe" }));
    const mode = select([["full", "full (from scratch)"], ["finetune", "fine-tune (newest bars)"]], "full", { name: "mode" });
    const steps = h("input", { type: "number", name: "max_steps", min: 1, max: 100000, placeholder: "service default" });
    const form = h(
      "form",
      { class: "controls" },
      field("Symbol", symbolSelect),
      field("Timeframe", tfSelect),
      field("Mode", mode),
      field("Steps", steps, "Empty: the service's default (TS_NHITS_MAX_STEPS)."),
      h("button", { type: "submit", class: "primary" }, "Start training"),
    );
    this.start.body.append(form);
    symbols()
      .then((list) => {
        clear(symbolSelect, list.map((s) => h("option", { value: s.symbol }, `${s.symbol} · ${s.name}`)));
        symbolSelect.value = list.some((s) => s.symbol === sel.symbol) ? sel.symbol : (list[0]?.symbol ?? "");
      })
      .catch((exc) => this.start.error(exc, "Symbols"));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      void this.start.run(async () => {
        try {
          const job = await nhitsClient.post("/api/v1/forecast/{symbol}/train", undefined, {
            params: { symbol: symbolSelect.value },
            query: { timeframe: tfSelect.value, mode: mode.value, max_steps: steps.value || undefined },
          });
          this.start.ok(`Started job ${job.id} for ${job.symbol} ${job.timeframe}.`);
        } catch (exc) {
          const running = conflictJob(exc);
          if (!running) throw exc;
          this.start.ok(`Job ${running.id} for ${running.symbol} ${running.timeframe} is ${running.state} already; its progress is below.`);
        }
        this.poll();
      }, "Start");
    });
  }

  /** The jobs, newest first; true while one is queued or running. */
  async pollJobs(): Promise<boolean> {
    let active = false;
    await this.jobs.run(async () => {
      const r = await nhitsClient.get("/api/v1/jobs", { signal: this.signal });
      active = r.jobs.some((j) => ACTIVE.has(j.state));
      this.jobs.clearStatus();
      clear(
        this.jobs.body,
        r.jobs.length
          ? r.jobs.slice(0, 8).map((j) => this.row(j))
          : h("p", { class: "muted" }, "No training job since the service started."),
      );
    }, "Forecast jobs");
    return active;
  }

  private row(j: nhitsApi.Job): HTMLElement {
    const p = j.progress;
    const detail = [
      `${fmtNumber(p?.percent ?? 0, 1)} %`,
      p?.step,
      p?.message,
      `ETA ${p?.eta_seconds === null || p?.eta_seconds === undefined ? "–" : fmtDuration(p.eta_seconds)}`,
      `(${j.kind}, ${j.reason})`,
    ].filter(Boolean);
    return jobRow(
      `${j.symbol ?? ""} ${j.timeframe ?? ""}`.trim() || j.kind,
      p?.percent ?? 0,
      detail.join(", "),
      j.state,
      j.error,
      ACTIVE.has(j.state)
        ? () =>
            void this.jobs.run(async () => {
              await nhitsClient.delete("/api/v1/jobs/{job_id}", { params: { job_id: j.id } });
              this.poll();
            }, "Cancel")
        : undefined,
    );
  }

  async loadModels(): Promise<void> {
    await this.models.run(async () => {
      const r = await nhitsClient.get("/api/v1/models", { signal: this.signal });
      this.models.clearStatus();
      clear(
        this.models.body,
        r.items.length
          ? table(
              ["Model", "Version", "Age", "Mode", "Horizon", "MASE", "Beats naive", ""],
              r.items.map((m) => [
                h("strong", {}, `${m.symbol} ${m.timeframe}`),
                m.status === "ok" ? (m.version ?? "–") : h("span", { class: "error-text" }, `${m.status}: ${m.error ?? ""}`),
                fmtDuration(m.age_seconds),
                m.mode ?? "–",
                m.horizon !== undefined && m.horizon !== null ? `${m.horizon} bars` : "–",
                fmtNumber(m.mase, 3),
                m.beats_naive === null || m.beats_naive === undefined ? "–" : m.beats_naive ? "yes" : "no",
                m.status === "ok"
                  ? h(
                      "button",
                      { type: "button", onclick: () => void this.evaluate(m.symbol, m.timeframe) },
                      `Evaluate ${m.symbol} ${m.timeframe}`,
                    )
                  : "",
              ]),
            )
          : h("p", { class: "muted" }, "No forecast model yet: start a training above."),
        this.evaluation,
      );
    }, "Forecast models");
  }

  private async evaluate(symbol: string, timeframe: string): Promise<void> {
    const out = this.evaluation;
    clear(out, h("p", { class: "info" }, `Evaluating ${symbol} ${timeframe} …`));
    try {
      const ev = await nhitsClient.get("/api/v1/forecast/{symbol}/evaluation", {
        params: { symbol },
        query: { timeframe },
        signal: this.signal,
      });
      const numbers = (obj: Record<string, unknown>) =>
        Object.entries(obj)
          .filter(([, v]) => typeof v === "number" || typeof v === "boolean" || typeof v === "string")
          .map(([k, v]) => [k.replace(/_/g, " "), typeof v === "number" ? fmtNumber(v, 4) : String(v)]);
      clear(
        out,
        h("h3", {}, `Evaluation of ${symbol} ${timeframe} (${ev.model_version})`),
        h("p", { class: "muted" }, `Verdict: ${ev.verdict ?? "–"}; beats naive: ${ev.beats_naive ?? "–"}; ${ev.quality.summary}`),
        table(["Hold-out metric", "Value"], numbers(ev.holdout)),
        ev.rolling
          ? table(["On bars after training", "Value"], numbers(ev.rolling))
          : h("p", { class: "muted" }, "No new bars since training (no rolling score yet)."),
      );
    } catch (exc) {
      if (!this.signal.aborted) clear(out, h("p", { class: "error", role: "alert" }, `Evaluation: ${(exc as Error).message}`));
    }
  }
}
