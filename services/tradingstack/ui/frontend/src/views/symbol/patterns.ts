// The patterns panel: the TCN's detections above the chosen confidence (only the patterns whose
// calibrated rule beats chance are served), with the model's measured quality.
import type { PatternSpan } from "../../chart";
import { clear, h, Panel, table } from "../../dom";
import * as svc from "../../services";
import { qualityLine, runModel, shortTime, type Selection } from "./common";

export function patternsPanel(): Panel {
  return new Panel("Patterns (TCN)", { id: "patterns" });
}

export async function loadPatterns(panel: Panel, sel: Selection, again: () => void): Promise<PatternSpan[]> {
  const { symbol, timeframe, signal } = sel;
  panel.info("Loading …");
  const r = await runModel(
    panel,
    () => svc.detect(symbol, timeframe, sel.minConfidence, sel.bars, signal),
    { what: "the patterns", symbol, timeframe },
    sel,
    again,
  );
  if (signal.aborted || !r) return [];
  panel.clearStatus();
  clear(
    panel.body,
    h(
      "p",
      { class: "muted" },
      `${r.windows_scanned} windows over ${r.bars_scanned} bars, ${r.candidates} candidates, threshold ${r.min_confidence}`,
    ),
    r.detections.length
      ? table(
          ["Pattern", "Confidence", "From", "To"],
          r.detections.map((d) => [
            h("span", { title: d.description }, d.pattern.replace(/_/g, " ")),
            `${(d.confidence * 100).toFixed(0)} %`,
            shortTime(d.start_time),
            shortTime(d.end_time),
          ]),
        )
      : h("p", {}, `No pattern above the threshold in ${symbol} ${timeframe}.`),
    qualityLine(r.quality),
  );
  return svc.patternSpans(r);
}
