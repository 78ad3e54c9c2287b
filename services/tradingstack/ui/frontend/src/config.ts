// The page's configuration, from the ui service's /config.json (TS_UI_STATUS_URL etc.), and
// the bits of state shared between views (symbols, the chosen symbol and timeframe).
import { getJson } from "./api";

export interface WorkloadInfo {
  name: string;
  prefix: string | null; // null: cluster-internal (no path through the gateway)
  description: string;
  gpu: boolean;
  implemented: boolean;
  local: boolean; // false: a third-party server that runs only in a cluster (ollama)
  critical: boolean;
}

export interface UiConfig {
  service: string;
  version: string;
  status_url: string;
  status_source: string;
  timeframes: string[];
  default_symbol: string;
  default_timeframe: string;
  workloads: WorkloadInfo[];
}

const FALLBACK: UiConfig = {
  service: "ui",
  version: "?",
  status_url: "/_status",
  status_source: "local health loop",
  timeframes: ["M5", "M15", "H1", "H4", "D1"],
  default_symbol: "BTCUSD",
  default_timeframe: "H1",
  workloads: [],
};

let config: UiConfig = FALLBACK;
let configError: string | null = null;

export async function loadConfig(): Promise<void> {
  try {
    config = { ...FALLBACK, ...(await getJson<Partial<UiConfig>>("config.json")) };
    configError = null;
  } catch (exc) {
    configError = String(exc);
  }
}

export function cfg(): UiConfig {
  return config;
}

export function cfgError(): string | null {
  return configError;
}

export function prefixOf(name: string): string {
  const w = config.workloads.find((x) => x.name === name);
  if (w && w.prefix !== null) return w.prefix;
  return `/${name}`;
}

export interface SymbolInfo {
  symbol: string;
  name: string;
  category: string;
  description: string;
  favourite: boolean;
  provider_symbols: Record<string, string>;
  provider_order: string[] | null;
}

let symbolsCache: Promise<SymbolInfo[]> | null = null;

export function symbols(refresh = false): Promise<SymbolInfo[]> {
  if (refresh || !symbolsCache) {
    symbolsCache = getJson<{ items: SymbolInfo[] }>(`${prefixOf("data")}/api/v1/symbols`).then(
      (r) => r.items,
    );
    symbolsCache.catch(() => (symbolsCache = null));
  }
  return symbolsCache;
}

const SEL_KEY = "tradingstack.selection";

export function selection(): { symbol: string; timeframe: string } {
  try {
    const raw = JSON.parse(localStorage.getItem(SEL_KEY) ?? "{}") as Record<string, string>;
    return {
      symbol: raw.symbol || config.default_symbol,
      timeframe: raw.timeframe || config.default_timeframe,
    };
  } catch {
    return { symbol: config.default_symbol, timeframe: config.default_timeframe };
  }
}

export function setSelection(symbol: string, timeframe: string): void {
  localStorage.setItem(SEL_KEY, JSON.stringify({ symbol, timeframe }));
}
