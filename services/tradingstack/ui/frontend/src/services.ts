// Typed calls to the services through the gateway, with the answers' types generated from each
// service's OpenAPI (src/generated/), and the few readers that turn them into what the chart
// draws (pattern spans, regime segments).
import { ApiError } from "./api";
import type { PatternSpan, RegimeSegment } from "./chart";
import { prefixOf } from "./config";
import {
  dataClient,
  hmmClient,
  nhitsClient,
  tcnClient,
  type dataApi,
  type hmmApi,
  type nhitsApi,
  type tcnApi,
} from "./contracts";

export type OHLCV = dataApi.Ohlcv;
export type Indicators = dataApi.Indicators;
export type SymbolTimeframes = dataApi.SymbolTimeframes;
export type TimeframeAvailability = dataApi.TimeframeAvailability;
export type Forecast = nhitsApi.Forecast;
export type DetectResult = tcnApi.DetectResult;
export type Detection = tcnApi.DetectionOut;
export type RegimeResult = hmmApi.RegimeResult;
export type ScoreResult = hmmApi.ScoreResult;
/** What a model's answers are worth on held-out data (core/schemas.py ModelQuality): the same
 * model in every producer's document. */
export type Quality = hmmApi.ModelQuality | nhitsApi.ModelQuality | tcnApi.ModelQuality;
/** A background job (core/jobs.py Job): training, fitting, first-start preparation. */
export type Job = nhitsApi.Job;
export type JobList = nhitsApi.JobList;

// untyped path builders, for the views that are not on the typed clients yet
export const data = (p: string) => `${prefixOf("data")}/api/v1${p}`;
export const nhits = (p: string) => `${prefixOf("nhits")}/api/v1${p}`;
export const tcn = (p: string) => `${prefixOf("tcn")}/api/v1${p}`;
export const hmm = (p: string) => `${prefixOf("hmm")}/api/v1${p}`;
export const rag = (p: string) => `${prefixOf("rag")}/api/v1${p}`;
export const llm = (p: string) => `${prefixOf("llm")}/api/v1${p}`;

export function ohlcv(symbol: string, timeframe: string, limit: number, signal?: AbortSignal) {
  return dataClient.get("/api/v1/ohlcv/{symbol}", { params: { symbol }, query: { timeframe, limit }, signal });
}

export function indicators(symbol: string, timeframe: string, names: string[], limit: number, signal?: AbortSignal) {
  return dataClient.get("/api/v1/indicators/{symbol}", {
    params: { symbol },
    query: { timeframe, names: names.join(","), limit },
    signal,
  });
}

/** Which timeframes a symbol has data for (the data service's GET /symbols/{s}/timeframes). */
export function timeframes(symbol: string, signal?: AbortSignal) {
  return dataClient.get("/api/v1/symbols/{symbol}/timeframes", { params: { symbol }, signal });
}

export function forecast(symbol: string, timeframe: string, signal?: AbortSignal) {
  return nhitsClient.get("/api/v1/forecast/{symbol}", { params: { symbol }, query: { timeframe }, signal });
}

export function detect(symbol: string, timeframe: string, minConfidence: number, bars: number, signal?: AbortSignal) {
  return tcnClient.get("/api/v1/detect/{symbol}", {
    params: { symbol },
    query: { timeframe, min_confidence: minConfidence, bars: Math.max(32, Math.min(bars, 5000)) },
    signal,
  });
}

export function patternSpans(r: DetectResult): PatternSpan[] {
  return r.detections.map((d) => ({ name: d.pattern, start: d.start_time, end: d.end_time, confidence: d.confidence }));
}

/** The regime history as the chart's coloured segments. */
export function regimeSegments(r: RegimeResult): RegimeSegment[] {
  return r.history.map((s) => ({ label: s.regime, start: s.start, end: s.end }));
}

/** The regime from the saved model, or null when the hmm service has none for this symbol and
 * timeframe yet (a read never fits one: `fitRegime` does, with the token). */
export async function regime(symbol: string, timeframe: string, bars: number, signal?: AbortSignal) {
  try {
    return await hmmClient.get("/api/v1/regime/{symbol}", { params: { symbol }, query: { timeframe, bars }, signal });
  } catch (exc) {
    if (isNotTrained(exc)) return null;
    throw exc;
  }
}

export function fitRegime(symbol: string, timeframe: string) {
  return hmmClient.post("/api/v1/regime/{symbol}/fit", undefined, { params: { symbol }, query: { timeframe } });
}

export function score(symbol: string, timeframe: string, direction: "long" | "short", signal?: AbortSignal) {
  return hmmClient.post("/api/v1/score", { symbol, timeframe: timeframe as hmmApi.Timeframe, direction }, { signal });
}

/** A service's answer that the model it needs is not trained (or fitted) yet. */
export function isNotTrained(exc: unknown): boolean {
  return exc instanceof ApiError && exc.status === 404 && /model-not-trained$/.test(exc.problem.type ?? "");
}

export const MODEL_PREPARING = "urn:tradingstack:problem:model-being-prepared";

/** The job preparing the model when a service answered 503 model-being-prepared, else null. */
export function preparingJob(exc: unknown): { job: Job | null; retryAfter: number } | null {
  if (!(exc instanceof ApiError) || exc.status !== 503 || exc.problem.type !== MODEL_PREPARING) return null;
  const job = exc.problem.job;
  const ok = job && typeof job === "object" && typeof (job as Job).id === "string";
  return { job: ok ? (job as Job) : null, retryAfter: exc.retryAfter ?? 10 };
}

/** The job already queued or running when a service answered 409 conflict with its `job` (a
 * second training of the same model), else null. */
export function conflictJob(exc: unknown): Job | null {
  if (!(exc instanceof ApiError) || exc.status !== 409) return null;
  const job = exc.problem.job;
  return job && typeof job === "object" && typeof (job as Job).id === "string" ? (job as Job) : null;
}

/** The jobs of the services that prepare models (nhits, tcn, hmm): GET /<service>/api/v1/jobs,
 * each answering core.jobs.JobList. A service that is down or has no job route is left out. */
export const JOB_SERVICES = ["nhits", "tcn", "hmm"] as const;
export type JobService = (typeof JOB_SERVICES)[number];

export async function jobs(service: JobService, signal?: AbortSignal): Promise<JobList> {
  if (service === "nhits") return nhitsClient.get("/api/v1/jobs", { signal });
  if (service === "tcn") return tcnClient.get("/api/v1/jobs", { signal });
  return hmmClient.get("/api/v1/jobs", { signal });
}

/** True when the forecast is the naive one (the model has no edge on held-out bars). */
export function servedAsNaive(fc: Forecast): boolean {
  return fc.model.served === "naive";
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
