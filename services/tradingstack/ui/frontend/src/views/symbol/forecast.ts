// The forecast panel: the NHITS (or naive) forecast's median and intervals at the horizon, the
// model and its measured quality; the chart draws the returned line and bands.
import type { ForecastData } from "../../chart";
import { clear, fmtDuration, fmtNumber, h, Panel } from "../../dom";
import * as svc from "../../services";
import { qualityLine, runModel, type Selection } from "./common";

export function forecastPanel(): Panel {
  return new Panel("Forecast (NHITS)", { id: "forecast" });
}

export async function loadForecast(panel: Panel, sel: Selection, again: () => void): Promise<ForecastData | null> {
  const { symbol, timeframe, signal } = sel;
  panel.info("Loading …");
  const fc = await runModel(panel, () => svc.forecast(symbol, timeframe, signal), { what: "the forecast", symbol, timeframe }, sel, again);
  if (signal.aborted || !fc) return null;
  const naive = svc.servedAsNaive(fc);
  panel.clearStatus();
  const last = fc.median[fc.median.length - 1];
  const i80 = fc.intervals.find((i) => i.level === 80);
  const i95 = fc.intervals.find((i) => i.level === 95);
  const n = fc.median.length - 1;
  const m = fc.model;
  clear(
    panel.body,
    naive
      ? h(
          "p",
          { class: "naive-label", "data-testid": "forecast-naive" },
          "Naive forecast (no change): the trained model did not beat it on held-out bars.",
        )
      : null,
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, `Median in ${fc.horizon} bars`),
      h("dd", { "data-testid": "forecast-median" }, fmtNumber(last)),
      i80 ? [h("dt", {}, "80 % interval"), h("dd", {}, `${fmtNumber(i80.lower[n])} – ${fmtNumber(i80.upper[n])}`)] : null,
      i95 ? [h("dt", {}, "95 % interval"), h("dd", {}, `${fmtNumber(i95.lower[n])} – ${fmtNumber(i95.upper[n])}`)] : null,
      h("dt", {}, "Model"),
      h(
        "dd",
        {},
        naive
          ? "naive (last close carried forward)"
          : `${m.version}, ${fmtDuration(m.age_seconds)} old${m.mode ? ` (${m.mode})` : ""}${m.served === "blend" ? `, blended with naive (α ${fmtNumber(m.alpha, 2)})` : ""}`,
      ),
    ),
    qualityLine(fc.quality),
  );
  return { ...fc, title: naive ? "naive forecast" : "NHITS" };
}
