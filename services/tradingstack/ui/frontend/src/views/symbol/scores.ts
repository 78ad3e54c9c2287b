// The scores panel: the LightGBM model's long and short scores (0-100), shown as scores only
// when the model has a measured edge, with the hold-out AUC and the top features.
import { clear, fmtNumber, h, Panel, table } from "../../dom";
import * as svc from "../../services";
import { labelled, qualityLine, runModel, type Selection } from "./common";

export function scoresPanel(): Panel {
  return new Panel("Long and short scores", { id: "scores" });
}

export async function loadScores(panel: Panel, sel: Selection, again: () => void): Promise<void> {
  const { symbol, timeframe, signal } = sel;
  panel.info("Loading …");
  const pair = await runModel(
    panel,
    () => Promise.all([svc.score(symbol, timeframe, "long", signal), svc.score(symbol, timeframe, "short", signal)]),
    { what: "the scores", symbol, timeframe },
    sel,
    again,
  );
  if (signal.aborted || !pair) return;
  const [long, short] = pair;
  panel.clearStatus();
  const row = (s: svc.ScoreResult) => {
    const edge = s.quality.has_edge;
    return h(
      "div",
      { class: `score ${s.direction}${edge ? "" : " no-edge"}` },
      h("span", {}, s.direction),
      edge
        ? h("meter", { min: 0, max: 100, low: 40, high: 60, optimum: 100, value: s.score, "aria-label": `${s.direction} score` })
        : null,
      h(
        "strong",
        {
          "data-testid": `score-${s.direction}`,
          title: edge ? "" : `model output ${fmtNumber(s.score, 1)}, not shown as a score: ${s.quality.summary}`,
        },
        edge ? fmtNumber(s.score, 1) : "no demonstrated edge",
      ),
    );
  };
  const auc = (s: svc.ScoreResult) => s.model.auc_valid;
  clear(
    panel.body,
    [long, short].map(row),
    h(
      "p",
      { class: "muted" },
      "0-100: the LightGBM model's probability that the move pays off",
      auc(long) !== null ? ` (hold-out AUC ${fmtNumber(auc(long), 3)} long` : "",
      auc(short) !== null ? `, ${fmtNumber(auc(short), 3)} short)` : auc(long) !== null ? ")" : "",
      ".",
    ),
    labelled("Long", qualityLine(long.quality)),
    labelled("Short", qualityLine(short.quality)),
    long.top_features.length
      ? table(
          ["Top features (long)", "Value", "Contribution"],
          long.top_features.slice(0, 5).map((f) => [f.feature, fmtNumber(f.value, 4), fmtNumber(f.contribution, 3)]),
        )
      : null,
  );
}
