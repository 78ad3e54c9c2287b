// Training: start NHITS (per symbol and timeframe) and TCN (pattern model) training, follow the
// jobs' progress bars with ETA (polled), and read model ages and evaluation numbers.
import { ApiError, getJson, sendJson } from "../api";
import { cfg, selection, symbols } from "../config";
import { clear, field, fmtDuration, fmtNumber, h, Panel, progressBar, select, table } from "../dom";
import type { Dispose } from "../main";
import * as svc from "../services";

interface NhitsJob {
  job_id: string;
  symbol: string;
  timeframe: string;
  mode: string;
  reason: string;
  status: string;
  percent: number;
  step: number;
  max_steps: number;
  loss: number | null;
  eta_seconds: number | null;
  error: string | null;
  model_version: string | null;
}

interface NhitsModel {
  symbol: string;
  timeframe: string;
  status: string;
  version?: string;
  trained_at?: string;
  age_seconds?: number;
  mode?: string;
  horizon?: number;
  input_size?: number;
  beats_naive?: boolean | null;
  mase?: number | null;
  error?: string;
}

interface TcnJob {
  id: string;
  status: string;
  phase: string;
  percent: number;
  step: number;
  total_steps: number;
  epoch: number | null;
  epochs: number | null;
  loss: number | null;
  eta_seconds: number | null;
  error: string | null;
}

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

interface ScoringModel {
  symbol: string;
  timeframe: string;
  direction: string;
  trained_at: string;
  auc_valid: number | null;
  base_rate_valid: number;
  n_train: number;
  n_valid: number;
  horizon_bars: number;
  train_seconds: number;
}

const ACTIVE = new Set(["queued", "running", "pending", "started"]);

export function trainingView(root: HTMLElement): Dispose {
  const controller = new AbortController();
  const sel = selection();
  let timer: number | undefined;

  // --- NHITS ------------------------------------------------------------------------------
  const nhitsStart = new Panel("Train a forecast model (NHITS)", { id: "nhits-train" });
  const symbolSelect = select([sel.symbol], sel.symbol, { name: "symbol" });
  const tfSelect = select(cfg().timeframes, sel.timeframe, { name: "timeframe" });
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
  nhitsStart.body.append(form);
  symbols()
    .then((list) => {
      clear(symbolSelect, list.map((s) => h("option", { value: s.symbol }, `${s.symbol} · ${s.name}`)));
      symbolSelect.value = list.some((s) => s.symbol === sel.symbol) ? sel.symbol : list[0]?.symbol ?? "";
    })
    .catch((exc) => nhitsStart.error(exc, "Symbols"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void nhitsStart.run(async () => {
      const job = await sendJson<NhitsJob>(
        "POST",
        svc.nhits(`/forecast/${encodeURIComponent(symbolSelect.value)}/train`),
        undefined,
        { query: { timeframe: tfSelect.value, mode: mode.value, max_steps: steps.value || undefined } },
      );
      nhitsStart.ok(`Started job ${job?.job_id} for ${job?.symbol} ${job?.timeframe}.`);
      void poll();
    }, "Start");
  });

  const nhitsJobs = new Panel("Forecast training jobs", { id: "nhits-jobs" });
  const nhitsModels = new Panel("Forecast models", {
    id: "nhits-models",
    wide: true,
    actions: [h("button", { type: "button", onclick: () => void loadModels() }, "Refresh")],
  });
  const evaluation = h("div", { class: "evaluation", "aria-live": "polite" });

  // --- TCN --------------------------------------------------------------------------------
  const tcnPanel = new Panel("Pattern model (TCN)", { id: "tcn-train" });
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
  const standardFields = h(
    "div",
    { class: "row" },
    field("Epochs", epochs),
    field("Synthetic examples per pattern", perClass),
  );
  standardFields.hidden = true;
  size.addEventListener("change", () => (standardFields.hidden = size.value !== "standard"));
  const tcnForm = h(
    "form",
    { class: "controls" },
    field("Size", size),
    standardFields,
    h("button", { type: "submit", class: "primary" }, "Train pattern model"),
  );
  const tcnModel = h("div", {});
  const tcnJobs = h("div", {});
  tcnPanel.body.append(tcnForm, tcnModel, tcnJobs);
  tcnForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void tcnPanel.run(async () => {
      const body =
        size.value === "quick"
          ? { ...TCN_QUICK, real_sources: [{ symbol: symbolSelect.value || "BTCUSD", timeframe: tfSelect.value }] }
          : { epochs: Number(epochs.value), synthetic_per_class: Number(perClass.value) };
      const job = await sendJson<TcnJob>("POST", svc.tcn("/train"), body);
      tcnPanel.ok(`Started job ${job?.id}.`);
      void poll();
    }, "Start");
  });

  // --- HMM: regime fit and LightGBM scoring models ----------------------------------------
  const hmmPanel = new Panel("Regimes and signal scoring (HMM)", {
    id: "hmm-models",
    wide: true,
    actions: [h("button", { type: "button", onclick: () => void loadScoring() }, "Refresh")],
  });
  const hmmTf = select(cfg().timeframes, sel.timeframe, { name: "hmm_timeframe" });
  const hmmSymbol = h("input", { type: "text", name: "hmm_symbol", value: sel.symbol, autocomplete: "off" });
  const retrain = h("button", { type: "button", class: "primary" }, "Retrain scoring models");
  const refit = h("button", { type: "button" }, "Refit regime model");
  const hmmList = h("div", {});
  hmmPanel.body.append(
    h("div", { class: "controls" }, field("Symbol", hmmSymbol), field("Timeframe", hmmTf), retrain, refit),
    hmmList,
  );
  retrain.addEventListener("click", () =>
    void hmmPanel.run(async () => {
      hmmPanel.info("Training the long and short scoring models …");
      const body = (direction: string) => ({ symbol: hmmSymbol.value.trim().toUpperCase(), timeframe: hmmTf.value, direction });
      const [l, sh] = await Promise.all(
        ["long", "short"].map((d) =>
          sendJson<{ score: number; model: { auc_valid: number | null } }>("POST", svc.hmm("/score"), body(d), {
            query: { retrain: true },
          }),
        ),
      );
      hmmPanel.ok(`Retrained: long score ${fmtNumber(l?.score, 1)}, short score ${fmtNumber(sh?.score, 1)}.`);
      await loadScoring();
    }, "Scoring"),
  );
  refit.addEventListener("click", () =>
    void hmmPanel.run(async () => {
      hmmPanel.info("Fitting the regime HMM …");
      const r = await sendJson<{ current_regime: string; model: { converged: boolean; fit_seconds: number; n_obs: number } }>(
        "POST",
        svc.hmm(`/regime/${encodeURIComponent(hmmSymbol.value.trim().toUpperCase())}/fit`),
        undefined,
        { query: { timeframe: hmmTf.value } },
      );
      if (!r) throw new Error("The regime fit answered nothing.");
      hmmPanel.ok(
        `Regime model fitted on ${r.model.n_obs} bars in ${fmtNumber(r.model.fit_seconds, 2)} s (${r.model.converged ? "converged" : "not converged"}); current regime ${r.current_regime.replace(/_/g, " ")}.`,
      );
    }, "Regime"),
  );

  async function loadScoring(): Promise<void> {
    try {
      const r = await getJson<{ models: ScoringModel[] }>(svc.hmm("/scoring/models"), { signal: controller.signal });
      clear(
        hmmList,
        r.models.length
          ? table(
              ["Scoring model", "Trained", "Hold-out AUC", "Base rate", "Train / hold-out rows", "Horizon"],
              r.models.map((m) => [
                h("strong", {}, `${m.symbol} ${m.timeframe} ${m.direction}`),
                `${fmtDuration((Date.now() - Date.parse(m.trained_at)) / 1000)} ago (${fmtNumber(m.train_seconds, 1)} s)`,
                fmtNumber(m.auc_valid, 3),
                fmtNumber(m.base_rate_valid, 3),
                `${m.n_train} / ${m.n_valid}`,
                `${m.horizon_bars} bars`,
              ]),
            )
          : h("p", { class: "muted" }, "No scoring model yet: the first score of a symbol trains one (or press Retrain)."),
      );
    } catch (exc) {
      if (!controller.signal.aborted) hmmPanel.error(exc, "Scoring models");
    }
  }

  root.append(
    h("div", { class: "grid two" }, nhitsStart.el, nhitsJobs.el, tcnPanel.el, nhitsModels.el, hmmPanel.el),
  );

  function jobRow(label: string, percent: number, detail: string, status: string, error: string | null, cancel?: () => void) {
    return h(
      "div",
      { class: `job status-${status}`, "data-status": status },
      h("p", {}, h("strong", {}, label), ` ${status} · ${detail}`),
      progressBar(percent, `${label} progress`),
      error ? h("p", { class: "error-text" }, error) : null,
      cancel ? h("button", { type: "button", onclick: cancel }, `Cancel ${label}`) : null,
    );
  }

  async function pollNhits(): Promise<boolean> {
    let active = false;
    await nhitsJobs.run(async () => {
      const r = await getJson<{ training_in_progress: boolean; jobs: NhitsJob[] }>(svc.nhits("/training/progress"), {
        signal: controller.signal,
      });
      active = r.jobs.some((j) => ACTIVE.has(j.status));
      nhitsJobs.clearStatus();
      clear(
        nhitsJobs.body,
        r.jobs.length
          ? r.jobs.slice(0, 8).map((j) =>
              jobRow(
                `${j.symbol} ${j.timeframe}`,
                j.percent,
                `${fmtNumber(j.percent, 1)} %, step ${j.step}/${j.max_steps}, loss ${fmtNumber(j.loss, 4)}, ETA ${j.eta_seconds === null ? "–" : fmtDuration(j.eta_seconds)} (${j.mode}, ${j.reason})`,
                j.status,
                j.error,
                ACTIVE.has(j.status)
                  ? () =>
                      void nhitsJobs.run(async () => {
                        await sendJson("DELETE", svc.nhits(`/training/jobs/${j.job_id}`));
                        void poll();
                      }, "Cancel")
                  : undefined,
              ),
            )
          : h("p", { class: "muted" }, "No training job since the service started."),
      );
    }, "Forecast jobs");
    return active;
  }

  async function pollTcn(): Promise<boolean> {
    let active = false;
    const r = await getJson<{ in_progress: boolean; jobs: TcnJob[] }>(svc.tcn("/training/progress"), {
      signal: controller.signal,
    }).catch((exc) => {
      if (!controller.signal.aborted) tcnPanel.error(exc, "Pattern model");
      return null;
    });
    if (!r) return false;
    active = r.in_progress;
    clear(
      tcnJobs,
      r.jobs.slice(0, 4).map((j) =>
        jobRow(
          `pattern model ${j.id.slice(0, 8)}`,
          j.percent,
          `${j.phase}; ${fmtNumber(j.percent, 1)} %, step ${j.step}/${j.total_steps}${j.epochs ? `, epoch ${j.epoch ?? 0}/${j.epochs}` : ""}, loss ${fmtNumber(j.loss, 4)}, ETA ${j.eta_seconds === null ? "–" : fmtDuration(j.eta_seconds)}`,
          j.status,
          j.error,
        ),
      ),
    );
    return active;
  }

  async function loadTcnModel(): Promise<void> {
    try {
      const m = await getJson<Record<string, unknown>>(svc.tcn("/model"), { signal: controller.signal });
      const metrics = (m.metrics ?? {}) as Record<string, Record<string, number>>;
      clear(
        tcnModel,
        h(
          "dl",
          { class: "facts" },
          h("dt", {}, "Trained"),
          h("dd", {}, `${String(m.trained_at ?? "–").slice(0, 19).replace("T", " ")} on ${String(m.device ?? "–")}`),
          h("dt", {}, "Macro-F1 (synthetic)"),
          h("dd", {}, fmtNumber(metrics.synthetic_validation?.macro_f1, 3)),
          h("dt", {}, "Macro-F1 (real bars)"),
          h("dd", {}, fmtNumber(metrics.real_validation?.macro_f1, 3)),
        ),
      );
    } catch (exc) {
      if (controller.signal.aborted) return;
      // "no model yet" is worth saying here; any other error is in the panel's status already
      clear(tcnModel, exc instanceof ApiError && exc.status === 404 ? h("p", { class: "muted" }, exc.message) : null);
    }
  }

  async function loadModels(): Promise<void> {
    await nhitsModels.run(async () => {
      const r = await getJson<{ items: NhitsModel[] }>(svc.nhits("/models"), { signal: controller.signal });
      nhitsModels.clearStatus();
      clear(
        nhitsModels.body,
        r.items.length
          ? table(
              ["Model", "Version", "Age", "Mode", "Horizon", "MASE", "Beats naive", ""],
              r.items.map((m) => [
                h("strong", {}, `${m.symbol} ${m.timeframe}`),
                m.status === "ok" ? m.version ?? "–" : h("span", { class: "error-text" }, `${m.status}: ${m.error ?? ""}`),
                fmtDuration(m.age_seconds),
                m.mode ?? "–",
                m.horizon !== undefined ? `${m.horizon} bars` : "–",
                fmtNumber(m.mase, 3),
                m.beats_naive === null || m.beats_naive === undefined ? "–" : m.beats_naive ? "yes" : "no",
                m.status === "ok"
                  ? h("button", { type: "button", onclick: () => void evaluate(m.symbol, m.timeframe) }, `Evaluate ${m.symbol} ${m.timeframe}`)
                  : "",
              ]),
            )
          : h("p", { class: "muted" }, "No forecast model yet: start a training above."),
        evaluation,
      );
    }, "Forecast models");
  }

  async function evaluate(symbol: string, timeframe: string): Promise<void> {
    clear(evaluation, h("p", { class: "info" }, `Evaluating ${symbol} ${timeframe} …`));
    try {
      const ev = await getJson<Record<string, unknown>>(svc.nhits(`/forecast/${encodeURIComponent(symbol)}/evaluation`), {
        query: { timeframe },
        signal: controller.signal,
      });
      const holdout = (ev.holdout ?? {}) as Record<string, unknown>;
      const rolling = ev.rolling as Record<string, unknown> | null;
      const numbers = (obj: Record<string, unknown>) =>
        Object.entries(obj)
          .filter(([, v]) => typeof v === "number" || typeof v === "boolean" || typeof v === "string")
          .map(([k, v]) => [k.replace(/_/g, " "), typeof v === "number" ? fmtNumber(v, 4) : String(v)]);
      clear(
        evaluation,
        h("h3", {}, `Evaluation of ${symbol} ${timeframe} (${String(ev.model_version ?? "")})`),
        h("p", { class: "muted" }, `Verdict: ${String(ev.verdict ?? "–")}; beats naive: ${String(ev.beats_naive ?? "–")}`),
        table(["Hold-out metric", "Value"], numbers(holdout)),
        rolling ? table(["On bars after training", "Value"], numbers(rolling)) : h("p", { class: "muted" }, "No new bars since training (no rolling score yet)."),
      );
    } catch (exc) {
      if (!controller.signal.aborted) clear(evaluation, h("p", { class: "error", role: "alert" }, `Evaluation: ${(exc as Error).message}`));
    }
  }

  let lastActive = false;
  async function poll(): Promise<void> {
    window.clearTimeout(timer);
    const [a, b] = await Promise.all([pollNhits(), pollTcn()]);
    const active = a || b;
    if (lastActive && !active) {
      void loadModels();
      void loadTcnModel();
    }
    lastActive = active;
    if (window.__tradingstack) window.__tradingstack.trainingActive = active;
    if (!controller.signal.aborted) timer = window.setTimeout(() => void poll(), active ? 1000 : 5000);
  }

  void Promise.all([poll(), loadModels(), loadTcnModel(), loadScoring()]).then(() => {
    if (window.__tradingstack) window.__tradingstack.ready = true;
  });
  return () => {
    controller.abort();
    window.clearTimeout(timer);
  };
}
