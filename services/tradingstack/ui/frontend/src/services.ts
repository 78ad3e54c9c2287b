// Typed calls to the model services through the gateway, and tolerant readers of their answers
// (patterns from tcn, regimes and scores from hmm) into what the chart draws.
import { ApiError, getJson, sendJson } from "./api";
import type { Bar, ForecastData, PatternSpan, RegimeSegment } from "./chart";
import { prefixOf } from "./config";

export interface OHLCV {
  symbol: string;
  timeframe: string;
  provider: string;
  stale: boolean;
  age_seconds: number;
  resampled_from: string | null;
  warnings: string[];
  bars: Bar[];
}

export interface Indicators {
  symbol: string;
  timeframe: string;
  indicators: { name: string; columns: string[]; params: Record<string, number> }[];
  times: string[];
  values: Record<string, (number | null)[]>;
}

export interface Forecast extends ForecastData {
  symbol: string;
  timeframe: string;
  horizon: number;
  model: {
    version: string;
    trained_at: string;
    age_seconds: number;
    mode: string;
    beats_naive: boolean | null;
  };
  provider: string;
}

export const data = (p: string) => `${prefixOf("data")}/api/v1${p}`;
export const nhits = (p: string) => `${prefixOf("nhits")}/api/v1${p}`;
export const tcn = (p: string) => `${prefixOf("tcn")}/api/v1${p}`;
export const hmm = (p: string) => `${prefixOf("hmm")}/api/v1${p}`;
export const rag = (p: string) => `${prefixOf("rag")}/api/v1${p}`;
export const llm = (p: string) => `${prefixOf("llm")}/api/v1${p}`;

export function ohlcv(symbol: string, timeframe: string, limit: number, signal?: AbortSignal) {
  return getJson<OHLCV>(data(`/ohlcv/${encodeURIComponent(symbol)}`), {
    query: { timeframe, limit },
    signal,
  });
}

export function indicators(
  symbol: string,
  timeframe: string,
  names: string[],
  limit: number,
  signal?: AbortSignal,
) {
  return getJson<Indicators>(data(`/indicators/${encodeURIComponent(symbol)}`), {
    query: { timeframe, names: names.join(","), limit },
    signal,
  });
}

export function forecast(symbol: string, timeframe: string, signal?: AbortSignal) {
  return getJson<Forecast>(nhits(`/forecast/${encodeURIComponent(symbol)}`), {
    query: { timeframe },
    signal,
  });
}

export interface Detection {
  pattern: string;
  description?: string;
  confidence: number;
  start_time: string;
  end_time: string;
  bars?: number;
}

export interface DetectResult {
  symbol: string;
  timeframe: string;
  min_confidence: number;
  bars_scanned: number;
  windows_scanned: number;
  candidates: number;
  detections: Detection[];
  model: { trained_at: string; age_seconds: number; device: string };
}

export function detect(
  symbol: string,
  timeframe: string,
  minConfidence: number,
  bars: number,
  signal?: AbortSignal,
) {
  return getJson<DetectResult>(tcn(`/detect/${encodeURIComponent(symbol)}`), {
    query: { timeframe, min_confidence: minConfidence, bars: Math.max(32, Math.min(bars, 5000)) },
    signal,
  });
}

export function patternSpans(r: unknown): PatternSpan[] {
  const obj = (r ?? {}) as Record<string, unknown>;
  const list = (Array.isArray(r) ? r : (obj.detections ?? obj.patterns ?? [])) as Record<string, unknown>[];
  return list
    .map((d) => ({
      name: String(d.pattern ?? d.name ?? d.type ?? "pattern"),
      start: String(d.start_time ?? d.start ?? ""),
      end: String(d.end_time ?? d.end ?? ""),
      confidence: typeof d.confidence === "number" ? d.confidence : undefined,
      direction: typeof d.direction === "string" ? d.direction : undefined,
    }))
    .filter((p) => p.start && p.end);
}

/** The hmm service's regime answer, read tolerantly: current label + per-bar (or segment) path. */
export interface RegimeView {
  current: string | null;
  probability: number | null;
  probabilities: Record<string, number>;
  durations: Record<string, string>;
  segments: RegimeSegment[];
  raw: Record<string, unknown>;
}

function label(v: Record<string, unknown>): string | null {
  const x = v.regime ?? v.label ?? v.name ?? v.state;
  return x === undefined || x === null ? null : String(x);
}

export function regimeView(r: unknown): RegimeView {
  const obj = (r ?? {}) as Record<string, unknown>;
  const cur = obj.current_regime ?? obj.current;
  let current: string | null = null;
  let probability: number | null = null;
  if (cur && typeof cur === "object") {
    current = label(cur as Record<string, unknown>);
    const p = (cur as Record<string, unknown>).probability;
    probability = typeof p === "number" ? p : null;
  } else if (typeof cur === "string") {
    current = cur;
  } else {
    current = label(obj);
  }
  if (probability === null && typeof obj.probability === "number") probability = obj.probability;
  const probabilities: Record<string, number> = {};
  if (obj.probabilities && typeof obj.probabilities === "object") {
    for (const [k, v] of Object.entries(obj.probabilities as Record<string, unknown>)) {
      if (typeof v === "number") probabilities[k] = v;
    }
  }
  if (probability === null && current && current in probabilities) probability = probabilities[current];
  const durations: Record<string, string> = {};
  if (obj.expected_duration && typeof obj.expected_duration === "object") {
    for (const [k, v] of Object.entries(obj.expected_duration as Record<string, unknown>)) {
      const human = (v as Record<string, unknown> | null)?.human;
      if (typeof human === "string") durations[k] = human;
    }
  }
  const segments: RegimeSegment[] = [];
  const segs = (obj.segments ?? obj.periods ?? obj.history) as Record<string, unknown>[] | undefined;
  if (Array.isArray(segs) && segs.some((x) => x && typeof x === "object" && ("end" in x || "end_time" in x))) {
    for (const s of segs) {
      const l = label(s);
      const start = s.start_time ?? s.start ?? s.from;
      const end = s.end_time ?? s.end ?? s.to;
      if (l && start && end) segments.push({ label: l, start: String(start), end: String(end) });
    }
  }
  const path = (obj.history ?? obj.path ?? obj.states ?? obj.series) as unknown;
  if (!segments.length && Array.isArray(path)) {
    for (const p of path as Record<string, unknown>[]) {
      if (!p || typeof p !== "object") continue;
      const l = label(p);
      const t = p.time ?? p.timestamp ?? p.start_time;
      if (!l || !t) continue;
      const last = segments[segments.length - 1];
      if (last && last.label === l) last.end = String(t);
      else segments.push({ label: l, start: String(t), end: String(t) });
    }
  } else if (!segments.length && path && typeof path === "object") {
    // {times: [...], regimes|labels|states: [...]}
    const p = path as Record<string, unknown>;
    const times = (p.times ?? p.time) as string[] | undefined;
    const labels = (p.regimes ?? p.labels ?? p.states) as unknown[] | undefined;
    if (Array.isArray(times) && Array.isArray(labels)) {
      times.forEach((t, i) => {
        const l = String(labels[i]);
        const last = segments[segments.length - 1];
        if (last && last.label === l) last.end = t;
        else segments.push({ label: l, start: t, end: t });
      });
    }
  }
  if (!segments.length && Array.isArray(obj.times) && Array.isArray(obj.regimes ?? obj.labels)) {
    const labels = (obj.regimes ?? obj.labels) as unknown[];
    (obj.times as string[]).forEach((t, i) => {
      const l = String(labels[i]);
      const last = segments[segments.length - 1];
      if (last && last.label === l) last.end = t;
      else segments.push({ label: l, start: t, end: t });
    });
  }
  return { current, probability, probabilities, durations, segments, raw: obj };
}

/** The regime from the saved model, or null when the hmm service has none for this symbol and
 * timeframe yet (a read never fits one: `fitRegime` does, with the token). */
export async function regime(symbol: string, timeframe: string, bars: number, signal?: AbortSignal) {
  try {
    return await getJson<unknown>(hmm(`/regime/${encodeURIComponent(symbol)}`), {
      query: { timeframe, bars },
      signal,
    });
  } catch (exc) {
    if (isNotTrained(exc)) return null;
    throw exc;
  }
}

export function fitRegime(symbol: string, timeframe: string) {
  return sendJson<unknown>("POST", hmm(`/regime/${encodeURIComponent(symbol)}/fit`), undefined, {
    query: { timeframe },
  });
}

/** A service's answer that the model it needs is not trained (or fitted) yet. */
export function isNotTrained(exc: unknown): boolean {
  return exc instanceof ApiError && exc.status === 404 && /model-not-trained$/.test(exc.problem.type ?? "");
}

export interface Score {
  direction: string;
  value: number | null; // 0-100
  probability: number | null;
  features: { feature: string; value: number; contribution: number }[];
  auc: number | null;
  raw: Record<string, unknown>;
}

export async function score(
  symbol: string,
  timeframe: string,
  direction: "long" | "short",
  signal?: AbortSignal,
): Promise<Score> {
  const raw = ((await sendJson<Record<string, unknown>>(
    "POST",
    hmm("/score"),
    { symbol, timeframe, direction },
    { signal },
  )) ?? {}) as Record<string, unknown>;
  const p = typeof raw.probability === "number" ? raw.probability : null;
  const v = typeof raw.score === "number" ? raw.score : p !== null ? p * 100 : null;
  const features = Array.isArray(raw.top_features) ? (raw.top_features as Score["features"]) : [];
  const model = (raw.model ?? {}) as Record<string, unknown>;
  const auc = typeof model.auc_valid === "number" ? model.auc_valid : null;
  return { direction, value: v, probability: p, features, auc, raw };
}

/** Which timeframes a symbol has data for (the data service's GET /symbols/{s}/timeframes). */
export interface TimeframeAvailability {
  timeframe: string;
  stored_bars: number;
  first: string | null;
  last: string | null;
  stored_from: string[];
  providers: string[];
  resampled_from: string | null;
}

export interface SymbolTimeframes {
  symbol: string;
  timeframes: TimeframeAvailability[];
  summary: string;
}

export function timeframes(symbol: string, signal?: AbortSignal) {
  return getJson<SymbolTimeframes>(data(`/symbols/${encodeURIComponent(symbol)}/timeframes`), { signal });
}

/** What a model's answers are worth on held-out data (core/schemas.py ModelQuality). */
export interface Quality {
  metric: string;
  value: number | null;
  ci_low: number | null;
  ci_high: number | null;
  baseline: number | null;
  has_edge: boolean;
  summary: string;
  evaluated_on: string;
}

/** The `quality` field of a model's answer, or null when it is absent or malformed (the
 * producers add it one by one; an answer without it is shown as before). */
export function readQuality(answer: unknown): Quality | null {
  if (!answer || typeof answer !== "object") return null;
  const obj = answer as Record<string, unknown>;
  const model = obj.model && typeof obj.model === "object" ? (obj.model as Record<string, unknown>) : {};
  const q = (obj.quality ?? model.quality) as Record<string, unknown> | undefined | null;
  if (!q || typeof q !== "object" || typeof q.has_edge !== "boolean") return null;
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  return {
    metric: typeof q.metric === "string" ? q.metric : "",
    value: num(q.value),
    ci_low: num(q.ci_low),
    ci_high: num(q.ci_high),
    baseline: num(q.baseline),
    has_edge: q.has_edge,
    summary: typeof q.summary === "string" ? q.summary : q.has_edge ? "has an edge" : "no demonstrated edge",
    evaluated_on: typeof q.evaluated_on === "string" ? q.evaluated_on : "",
  };
}

/** True when the forecast is the naive one (the model has no edge, or the service says so). */
export function servedAsNaive(fc: unknown): boolean {
  const obj = (fc ?? {}) as Record<string, unknown>;
  const model = (obj.model ?? {}) as Record<string, unknown>;
  for (const v of [obj.served, obj.served_as, obj.source, obj.method, model.served, model.kind, model.version]) {
    if (typeof v === "string" && /naive/i.test(v)) return true;
  }
  return obj.naive === true || model.naive === true;
}

/** The last analysis of a symbol and timeframe (the Analysis view keeps it for the chart). */
export interface AnalysisLevels {
  symbol: string;
  timeframe: string;
  direction: string;
  entry: number | null;
  stop_loss: number | null;
  take_profits: number[];
  at: string;
}

const LEVELS_KEY = "tradingstack.analysisLevels";

export function saveAnalysisLevels(a: AnalysisLevels): void {
  try {
    const all = JSON.parse(sessionStorage.getItem(LEVELS_KEY) ?? "{}") as Record<string, AnalysisLevels>;
    all[`${a.symbol}/${a.timeframe}`] = a;
    sessionStorage.setItem(LEVELS_KEY, JSON.stringify(all));
  } catch {
    /* storage off: the chart just has no levels */
  }
}

export function analysisLevels(symbol: string, timeframe: string): AnalysisLevels | null {
  try {
    const all = JSON.parse(sessionStorage.getItem(LEVELS_KEY) ?? "{}") as Record<string, AnalysisLevels>;
    return all[`${symbol}/${timeframe}`] ?? null;
  } catch {
    return null;
  }
}
