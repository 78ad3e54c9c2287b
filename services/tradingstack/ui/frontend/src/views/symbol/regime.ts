// The regime panel: the HMM's current regime with its probability, each regime's probability
// now and expected duration, and the history the chart colours. A read never fits a model: when
// there is none yet, the panel offers the fit (a few seconds).
import { regimeColour, type RegimeSegment } from "../../chart";
import { clear, h, Panel, table } from "../../dom";
import * as svc from "../../services";
import { qualityLine, runModel, solid, type Selection } from "./common";

export function regimePanel(): Panel {
  return new Panel("Regime (HMM)", { id: "regime" });
}

/** `redraw`: the panel loaded again on its own (after a fit, or once a model was prepared). */
export async function loadRegime(
  panel: Panel,
  sel: Selection,
  redraw: (segments: RegimeSegment[]) => void,
): Promise<RegimeSegment[]> {
  const { symbol, timeframe, signal } = sel;
  const again = () => void loadRegime(panel, sel, redraw).then(redraw);
  panel.info("Loading …");
  const answer = await runModel(
    panel,
    async () => ({ r: await svc.regime(symbol, timeframe, sel.bars, signal) }),
    { what: "the regime", symbol, timeframe },
    sel,
    again,
  );
  if (signal.aborted || !answer) return [];
  const r = answer.r;
  if (r === null) {
    panel.clearStatus();
    const fit: HTMLButtonElement = h(
      "button",
      {
        type: "button",
        onclick: async () => {
          fit.disabled = true;
          panel.info(`Fitting the regime model for ${symbol} ${timeframe} …`);
          const done = await panel.run(() => svc.fitRegime(symbol, timeframe), { what: "the regime fit", symbol, timeframe }, signal);
          if (done !== undefined && !signal.aborted) again();
          fit.disabled = false;
        },
      },
      "Fit the regime model",
    );
    clear(panel.body, h("p", {}, `No regime model for ${symbol} ${timeframe} yet. A fit takes a few seconds.`), fit);
    return [];
  }
  const segments = svc.regimeSegments(r);
  panel.clearStatus();
  const labels = [...new Set(segments.map((s) => s.label))];
  const now = r.probabilities[r.current_regime];
  clear(
    panel.body,
    h(
      "p",
      { class: "regime-now" },
      "Current: ",
      h("strong", { "data-testid": "regime-current" }, r.current_regime.replace(/_/g, " ")),
      now !== undefined ? ` (${(now * 100).toFixed(0)} %)` : "",
    ),
    table(
      ["Regime", "Probability now", "Expected duration"],
      Object.entries(r.probabilities).map(([name, p]) => [
        h(
          "span",
          {},
          h("span", { class: "swatch", style: `background:${solid(regimeColour(name, labels.indexOf(name)))}` }),
          name.replace(/_/g, " "),
        ),
        `${(p * 100).toFixed(1)} %`,
        r.expected_duration[name]?.human ?? "–",
      ]),
    ),
    h("p", { class: "muted" }, `${segments.length} segments in the regime history; those in view are the coloured background.`),
    qualityLine(r.quality),
  );
  return segments;
}
