// The chart's indicator choices and preferences, and the data service's indicator series turned
// into the chart's named, coloured lines.
import type { OverlayLine, PriceLevel } from "../../chart";
import * as svc from "../../services";

export interface IndicatorChoice {
  spec: string;
  label: string;
  pane: "price" | "own";
  colours: Record<string, string>; // column suffix -> colour
  histogram?: string[]; // column suffixes drawn as histograms
  dashed?: string[];
  short?: string; // its name in the crosshair readout and the legend, e.g. "BB upper"
}

export const INDICATORS: IndicatorChoice[] = [
  { spec: "sma:20", label: "SMA 20", pane: "price", colours: { "": "#ffb74d" } },
  { spec: "sma:50", label: "SMA 50", pane: "price", colours: { "": "#ba68c8" } },
  { spec: "ema:20", label: "EMA 20", pane: "price", colours: { "": "#4dd0e1" } },
  {
    spec: "bbands:20:2",
    label: "Bollinger 20/2",
    short: "BB",
    pane: "price",
    colours: { upper: "#90a4ae", middle: "#78909c", lower: "#90a4ae" },
    dashed: ["upper", "lower"],
  },
  { spec: "rsi:14", label: "RSI 14", pane: "own", colours: { "": "#ce93d8" } },
  {
    spec: "macd:12:26:9",
    label: "MACD 12/26/9",
    pane: "own",
    colours: { "": "#42a5f5", signal: "#ffa726", hist: "rgba(120,144,156,0.6)" },
    histogram: ["hist"],
  },
  { spec: "atr:14", label: "ATR 14", pane: "own", colours: { "": "#a1887f" } },
];

const PREFS_KEY = "tradingstack.chartPrefs";

export interface Prefs {
  indicators: string[];
  forecast: boolean;
  patterns: boolean;
  regime: boolean;
  bars: number;
  minConfidence: number;
}

export function loadPrefs(): Prefs {
  const defaults: Prefs = {
    indicators: ["sma:20", "bbands:20:2", "rsi:14"],
    forecast: true,
    patterns: true,
    regime: true,
    bars: 500,
    minConfidence: 0.6,
  };
  try {
    return { ...defaults, ...(JSON.parse(localStorage.getItem(PREFS_KEY) ?? "{}") as Partial<Prefs>) };
  } catch {
    return defaults;
  }
}

export function savePrefs(prefs: Prefs): void {
  localStorage.setItem(PREFS_KEY, JSON.stringify(prefs));
}

/** The last analysis' entry, stop and targets for this symbol and timeframe, as chart lines. */
export function levelsFor(symbol: string, timeframe: string): PriceLevel[] {
  const a = svc.analysisLevels(symbol, timeframe);
  if (!a) return [];
  const out: PriceLevel[] = [];
  if (a.entry !== null) out.push({ price: a.entry, label: `entry (${a.direction})`, color: "#42a5f5" });
  if (a.stop_loss !== null) out.push({ price: a.stop_loss, label: "stop", color: "#ef5350", dashed: true });
  a.take_profits.forEach((t, i) => out.push({ price: t, label: `target ${i + 1}`, color: "#26a69a", dashed: true }));
  return out;
}

export function overlayLines(ind: svc.Indicators, specs: IndicatorChoice[]): OverlayLine[] {
  const out: OverlayLine[] = [];
  let pane = 0;
  for (const spec of specs) {
    const name = spec.spec.split(":")[0];
    const series = ind.indicators.find(
      (i) => i.name === name && i.columns.some((c) => c in ind.values) && matches(i.params, spec.spec),
    );
    if (!series) continue;
    const key = series.columns[0];
    const paneIndex = spec.pane === "price" ? 0 : ++pane;
    for (const col of series.columns) {
      const suffix = col === key && !col.match(/_(upper|middle|lower|signal|hist|k|d)$/) ? "" : col.split("_").pop()!;
      out.push({
        key: col,
        label: spec.pane === "price" ? "" : suffix ? `${spec.label} ${suffix}` : spec.label,
        times: ind.times,
        values: ind.values[col] ?? [],
        color: spec.colours[suffix] ?? "#90caf9",
        pane: paneIndex,
        dashed: spec.dashed?.includes(suffix),
        histogram: spec.histogram?.includes(suffix),
        name: suffix ? `${spec.short ?? spec.label} ${suffix}` : (spec.short ?? spec.label),
        guides: name === "rsi" && col === key ? [30, 70] : undefined,
      });
    }
  }
  return out;
}

function matches(params: Record<string, number>, spec: string): boolean {
  const wanted = spec.split(":").slice(1).map(Number);
  const have = Object.values(params);
  return wanted.every((w, i) => have[i] === w);
}
