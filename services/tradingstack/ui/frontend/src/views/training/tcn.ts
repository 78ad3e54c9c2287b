// The pattern model (TCN) panel of the training view: train a quick model of one series or the
// standard one, follow its jobs, and read the trained model's macro-F1.
import { ApiError } from "../../api";
import { tcnClient, type tcnApi } from "../../contracts";
import { clear, field, fmtDuration, fmtNumber, h, Panel, select } from "../../dom";
import { conflictJob } from "../../services";
import { jobRow } from "./jobs";

// A small model of one series: ~15 s on 2 CPU cores (synthetic macro-F1 ~0.85 measured),
// much better than the service's on-demand TINY preset, which mostly answers "none".
const TCN_QUICK = {
  synthetic_per_class: 60,
  real_bars: 1500,
  epochs: 6,
  batch_size: 32,
  learning_rate: 0.005,
  channels: 16,
  levels: 4,
  window_length: 48,
};

export class TcnPanel {
  readonly panel = new Panel("Pattern model (TCN)", { id: "tcn-train" });
  private readonly model = h("div", {});
  private readonly jobs = h("div", {});

  constructor(
    private readonly signal: AbortSignal,
    source: () => { symbol: string; timeframe: string },
    poll: () => void,
  ) {
    const size = select(
      [
        ["quick", "quick (small model of this symbol, ~15 s on a CPU)"],
        ["standard", "standard (every bundled series)"],
      ],
      "quick",
      { name: "tcn_size" },
    );
    const epochs = h("input", { type: "number", name: "epochs", min: 1, max: 500, value: 12 });
    const perClass = h("input", { type: "number", name: "synthetic_per_class", min: 2, max: 20000, value: 250 });
    const standardFields = h("div", { class: "row" }, field("Epochs", epochs), field("Synthetic examples per pattern", perClass));
    standardFields.hidden = true;
    size.addEventListener("change", () => (standardFields.hidden = size.value !== "standard"));
    const form = h(
      "form",
      { class: "controls" },
      field("Size", size),
      standardFields,
      h("button", { type: "submit", class: "primary" }, "Train pattern model"),
    );
    this.panel.body.append(form, this.model, this.jobs);
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      void this.panel.run(async () => {
        const { symbol, timeframe } = source();
        const body: tcnApi.TrainConfig =
          size.value === "quick"
            ? ({ ...TCN_QUICK, real_sources: [{ symbol: symbol || "BTCUSD", timeframe }] } as tcnApi.TrainConfig)
            : ({ epochs: Number(epochs.value), synthetic_per_class: Number(perClass.value) } as tcnApi.TrainConfig);
        try {
          const job = await tcnClient.post("/api/v1/train", body);
          this.panel.ok(`Started job ${job.id}.`);
        } catch (exc) {
          const running = conflictJob(exc);
          if (!running) throw exc;
          this.panel.ok(`Job ${running.id} is ${running.state} already; its progress is below.`);
        }
        poll();
      }, "Start");
    });
  }

  /** True while a training runs (core Job: queued or running). */
  async pollJobs(): Promise<boolean> {
    const r = await tcnClient.get("/api/v1/jobs", { signal: this.signal }).catch((exc) => {
      if (!this.signal.aborted) this.panel.error(exc, "Pattern model");
      return null;
    });
    if (!r) return false;
    clear(
      this.jobs,
      r.jobs.slice(0, 4).map((j) => {
        const p = j.progress;
        const detail = [
          `${fmtNumber(p?.percent ?? 0, 1)} %`,
          p?.step,
          p?.message,
          `ETA ${p?.eta_seconds === null || p?.eta_seconds === undefined ? "–" : fmtDuration(p.eta_seconds)}`,
          j.reason !== "user" ? `(${j.reason})` : "",
        ].filter(Boolean);
        return jobRow(`pattern model ${j.id.slice(0, 8)}`, p?.percent ?? 0, detail.join(", "), j.state, j.error);
      }),
    );
    return r.in_progress;
  }

  async loadModel(): Promise<void> {
    try {
      const m = await tcnClient.get("/api/v1/model", { signal: this.signal });
      const metrics = (m.metrics ?? {}) as Record<string, { macro_f1?: number } | undefined>;
      clear(
        this.model,
        h(
          "dl",
          { class: "facts" },
          h("dt", {}, "Trained"),
          h("dd", {}, `${m.trained_at.slice(0, 19).replace("T", " ")} on ${m.device}`),
          h("dt", {}, "Macro-F1 (synthetic)"),
          h("dd", {}, fmtNumber(metrics.synthetic_validation?.macro_f1, 3)),
          h("dt", {}, "Macro-F1 (real bars)"),
          h("dd", {}, fmtNumber(metrics.real_validation?.macro_f1, 3)),
          m.quality ? [h("dt", {}, "Measured quality"), h("dd", {}, m.quality.summary)] : null,
        ),
      );
    } catch (exc) {
      if (this.signal.aborted) return;
      // "no model yet" is worth saying here; any other error is in the panel's status already
      clear(this.model, exc instanceof ApiError && exc.status === 404 ? h("p", { class: "muted" }, exc.message) : null);
    }
  }
}
