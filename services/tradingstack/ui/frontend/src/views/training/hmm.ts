// The regimes and scoring (HMM) panel of the training view: refit a regime model, retrain the
// long and short scoring models, and list the scoring models with their hold-out numbers.
import { cfg, selection } from "../../config";
import { hmmClient, type hmmApi } from "../../contracts";
import { clear, field, fmtDuration, fmtNumber, h, Panel, select, table } from "../../dom";
import * as svc from "../../services";

export class HmmPanel {
  readonly panel: Panel;
  private readonly list = h("div", {});

  constructor(
    private readonly signal: AbortSignal,
    onJob: () => void,
  ) {
    const sel = selection();
    this.panel = new Panel("Regimes and signal scoring (HMM)", {
      id: "hmm-models",
      wide: true,
      actions: [h("button", { type: "button", onclick: () => void this.loadScoring() }, "Refresh")],
    });
    const tf = select(cfg().timeframes, sel.timeframe, { name: "hmm_timeframe" });
    const symbol = h("input", { type: "text", name: "hmm_symbol", value: sel.symbol, autocomplete: "off" });
    const retrain = h("button", { type: "button", class: "primary" }, "Retrain scoring models");
    const refit = h("button", { type: "button" }, "Refit regime model");
    this.panel.body.append(h("div", { class: "controls" }, field("Symbol", symbol), field("Timeframe", tf), retrain, refit), this.list);
    const sym = () => symbol.value.trim().toUpperCase();
    // both answer with the job that fits (a retrain: the 503 model-being-prepared holding it);
    // the "Models being prepared" panel above follows it, and the list is re-read
    retrain.addEventListener("click", () =>
      void this.panel.run(async () => {
        const body = (direction: "long" | "short"): hmmApi.ScoreRequest => ({
          symbol: sym(),
          timeframe: tf.value as hmmApi.Timeframe,
          direction,
        });
        const started = await Promise.all(
          (["long", "short"] as const).map(async (d) => {
            try {
              const r = await hmmClient.post("/api/v1/score", body(d), { query: { retrain: true } });
              return `${d} score ${fmtNumber(r.score, 1)}`;
            } catch (exc) {
              const prep = svc.preparingJob(exc);
              if (!prep) throw exc;
              return `${d}: job ${prep.job?.id ?? "?"}`;
            }
          }),
        );
        this.panel.ok(`Retraining the scoring models of ${sym()} ${tf.value} (${started.join(", ")}).`);
        onJob();
      }, "Scoring"),
    );
    refit.addEventListener("click", () =>
      void this.panel.run(async () => {
        const job = await hmmClient.post("/api/v1/regime/{symbol}/fit", undefined, {
          params: { symbol: sym() },
          query: { timeframe: tf.value },
        });
        this.panel.ok(`Fitting the regime model of ${job.symbol ?? sym()} ${job.timeframe ?? tf.value}: job ${job.id} ${job.state}.`);
        onJob();
      }, "Regime"),
    );
  }

  async loadScoring(): Promise<void> {
    try {
      const r = await hmmClient.get("/api/v1/scoring/models", { signal: this.signal });
      clear(
        this.list,
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
      if (!this.signal.aborted) this.panel.error(exc, "Scoring models");
    }
  }
}
