// Symbol view: candlesticks with volume, timeframe selector, indicator overlays, the NHITS
// forecast with its intervals, TCN patterns over the bars they span, the HMM regime as a
// coloured band, and the long/short scores. Each source fails on its own, in its own panel.
import {
  PriceChart,
  regimeColour,
  type ChartModel,
  type CrosshairInfo,
  type OverlayLine,
  type PriceLevel,
} from "../chart";
import { cfg, selection, setSelection, symbols } from "../config";
import { clear, field, fmtDuration, fmtNumber, h, Panel, select, table } from "../dom";
import type { Dispose } from "../main";
import * as svc from "../services";

interface IndicatorChoice {
  spec: string;
  label: string;
  pane: "price" | "own";
  colours: Record<string, string>; // column suffix -> colour
  histogram?: string[]; // column suffixes drawn as histograms
  dashed?: string[];
  short?: string; // its name in the crosshair readout and the legend, e.g. "BB upper"
}

const INDICATORS: IndicatorChoice[] = [
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

interface Prefs {
  indicators: string[];
  forecast: boolean;
  patterns: boolean;
  regime: boolean;
  bars: number;
  minConfidence: number;
}

function loadPrefs(): Prefs {
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

/** A timeframe as the route spells it, any case ("d1" -> "D1"), or null when unknown. */
export function canonicalTimeframe(raw: string | undefined, known: string[]): string | null {
  if (!raw) return null;
  const up = raw.toUpperCase();
  return known.includes(up) ? up : null;
}

/** The timeframe to show: the one asked for when the symbol has it, else the default, else the
 * one with the most stored bars, else the first offered. */
function pickTimeframe(wanted: string | null, offered: svc.TimeframeAvailability[], fallback: string): string {
  const names = offered.map((t) => t.timeframe);
  if (wanted && names.includes(wanted)) return wanted;
  if (names.includes(fallback)) return fallback;
  const stored = [...offered].sort((a, b) => b.stored_bars - a.stored_bars)[0];
  return stored && stored.stored_bars > 0 ? stored.timeframe : names[0];
}

export function symbolView(root: HTMLElement, args: string[]): Dispose {
  const sel = selection();
  const known = cfg().timeframes;
  let symbol = (args[0] || sel.symbol).toUpperCase();
  // the timeframe in the route is a wish: the symbol's own timeframes decide (see load())
  let wanted: string | null = canonicalTimeframe(args[1], known);
  let timeframe = wanted ?? canonicalTimeframe(sel.timeframe, known) ?? cfg().default_timeframe;
  let offered: svc.TimeframeAvailability[] | null = null;
  let availability: unknown = null; // the timeframes request's error, if it failed
  let symbolNames: string[] = [symbol];
  const prefs = loadPrefs();

  const symbolSelect = select([symbol], symbol, { name: "symbol", "aria-keyshortcuts": "/" });
  const tfSelect = select([timeframe], timeframe, { name: "timeframe" });
  const barsSelect = select(["200", "500", "1000", "2000"], String(prefs.bars), { name: "bars" });
  const confSelect = select(
    ["0.3", "0.5", "0.6", "0.8"].map((v) => [v, `${Number(v) * 100} %`] as [string, string]),
    String(prefs.minConfidence),
    { name: "min_confidence" },
  );
  const boxes = INDICATORS.map((ind) => {
    const box = h("input", { type: "checkbox", value: ind.spec, name: "indicator" });
    box.checked = prefs.indicators.includes(ind.spec);
    return { ind, box };
  });
  const layer = (name: string, text: string, checked: boolean) => {
    const box = h("input", { type: "checkbox", name });
    box.checked = checked;
    return { box, el: h("label", { class: "check" }, box, text) };
  };
  const fcBox = layer("forecast", "NHITS forecast", prefs.forecast);
  const patBox = layer("patterns", "TCN patterns", prefs.patterns);
  const regBox = layer("regime", "HMM regime", prefs.regime);

  const form = h(
    "form",
    { class: "controls", "aria-label": "Chart settings" },
    field("Symbol", symbolSelect),
    field("Timeframe", tfSelect),
    field("Bars", barsSelect),
    h(
      "fieldset",
      { class: "checks" },
      h("legend", {}, "Indicators"),
      boxes.map(({ ind, box }) => h("label", { class: "check" }, box, ind.label)),
    ),
    h("fieldset", { class: "checks" }, h("legend", {}, "Layers"), fcBox.el, patBox.el, regBox.el),
    field("Pattern confidence ≥", confSelect),
    h("button", { type: "submit", class: "primary" }, "Update chart"),
  );
  const keysHint = h(
    "p",
    { class: "muted keys", id: "chart-keys" },
    "Keys: / symbol · [ and ] previous/next symbol · 1–5 timeframe",
  );

  const chartPanel = new Panel("Chart", { id: "chart", wide: true });
  const header = h("div", { class: "chart-header", "data-testid": "chart-header" });
  const readout = h("div", { class: "readout", "data-testid": "readout", "aria-live": "off" });
  const chartHost = h("div", { class: "chart", id: "price-chart", role: "img", "aria-label": "Price chart" });
  const legend = h("div", { class: "legend", "aria-live": "polite" });
  chartPanel.body.append(form, keysHint, header, readout, chartHost, legend);
  const fcPanel = new Panel("Forecast (NHITS)", { id: "forecast" });
  const patPanel = new Panel("Patterns (TCN)", { id: "patterns" });
  const regPanel = new Panel("Regime (HMM)", { id: "regime" });
  const scorePanel = new Panel("Long and short scores", { id: "scores" });
  const modelPanels = [fcPanel, patPanel, regPanel, scorePanel];
  const watchPanel = new Panel("Watchlist", { id: "watchlist" });
  root.append(
    h(
      "div",
      { class: "grid" },
      chartPanel.el,
      fcPanel.el,
      patPanel.el,
      regPanel.el,
      scorePanel.el,
      watchPanel.el,
    ),
  );

  let model: ChartModel = { bars: [], overlays: [], forecast: null, patterns: [], regimes: [] };
  const chart = new PriceChart(chartHost, (info) => renderReadout(info));
  let controller = new AbortController();

  const viewCtl = new AbortController(); // the watchlist's requests: until the view closes
  symbols()
    .then((list) => {
      void loadWatchlist(list.filter((x) => x.favourite).map((x) => x.symbol), viewCtl.signal);
      clear(symbolSelect);
      const names = list.map((s) => s.symbol);
      if (!names.includes(symbol)) names.unshift(symbol);
      symbolNames = names;
      for (const s of names) {
        const info = list.find((x) => x.symbol === s);
        const o = h("option", { value: s }, info ? `${s} · ${info.name}` : s);
        if (s === symbol) o.selected = true;
        symbolSelect.append(o);
      }
    })
    .catch((exc) => chartPanel.error(exc, { what: "the list of symbols" }));

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const symbolChanged = symbolSelect.value !== symbol;
    symbol = symbolSelect.value;
    // a new symbol keeps the timeframe when it has it (load() decides)
    wanted = tfSelect.value || timeframe;
    if (symbolChanged) offered = null;
    const next: Prefs = {
      indicators: boxes.filter((b) => b.box.checked).map((b) => b.ind.spec),
      forecast: fcBox.box.checked,
      patterns: patBox.box.checked,
      regime: regBox.box.checked,
      bars: Number(barsSelect.value),
      minConfidence: Number(confSelect.value),
    };
    localStorage.setItem(PREFS_KEY, JSON.stringify(next));
    Object.assign(prefs, next);
    void load();
  });
  // changing symbol or timeframe redraws at once (keyboard users can also press the button)
  for (const el of [symbolSelect, tfSelect]) el.addEventListener("change", () => form.requestSubmit());

  // keyboard shortcuts (not while typing in a field): / symbol, [ ] symbols, 1-5 timeframes
  const onKey = (ev: KeyboardEvent) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const t = ev.target as HTMLElement | null;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    if (ev.key === "/") {
      ev.preventDefault();
      symbolSelect.focus();
    } else if (ev.key === "[" || ev.key === "]") {
      const i = symbolNames.indexOf(symbol);
      const n = symbolNames.length;
      if (n < 2) return;
      symbolSelect.value = symbolNames[(i + (ev.key === "]" ? 1 : n - 1)) % n];
      form.requestSubmit();
    } else if (/^[1-9]$/.test(ev.key)) {
      const opt = tfSelect.options[Number(ev.key) - 1];
      if (!opt || opt.disabled || opt.value === tfSelect.value) return;
      tfSelect.value = opt.value;
      form.requestSubmit();
    }
  };
  document.addEventListener("keydown", onKey);

  function setTimeframeOptions(list: string[], value: string): void {
    clear(
      tfSelect,
      list.map((tf) => {
        const o = h("option", { value: tf }, tf);
        if (tf === value) o.selected = true;
        return o;
      }),
    );
    tfSelect.disabled = list.length === 0;
  }

  function subjectText(): string {
    return `${symbol} ${timeframe}`;
  }

  async function load(): Promise<void> {
    controller.abort();
    controller = new AbortController();
    const signal = controller.signal;
    const state = window.__tradingstack;
    if (state) state.ready = false;
    // the previous selection's answers go at once: nothing of it may stay on screen
    model = { bars: [], overlays: [], forecast: null, patterns: [], regimes: [] };
    for (const p of modelPanels) p.reset("");
    chartPanel.setSubject(symbol);
    clear(header, h("strong", { class: "hdr-symbol" }, symbol));
    clear(readout);
    draw();
    chartPanel.info(`Loading ${symbol} …`);

    // which timeframes has this symbol? (one request per symbol; the select offers only those)
    if (offered === null) {
      try {
        offered = (await svc.timeframes(symbol, signal)).timeframes;
        availability = null;
      } catch (exc) {
        if (signal.aborted) return;
        offered = null;
        availability = exc;
      }
      if (signal.aborted) return;
    }
    const names = offered ? offered.map((t) => t.timeframe) : known;
    if (offered && !offered.length) {
      noData();
      return;
    }
    const asked = wanted;
    timeframe = offered ? pickTimeframe(wanted, offered, cfg().default_timeframe) : (wanted ?? timeframe);
    wanted = null;
    setTimeframeOptions(names, timeframe);
    setSelection(symbol, timeframe);
    const hash = `#/symbol/${encodeURIComponent(symbol)}/${timeframe}`;
    if (location.hash !== hash) history.replaceState(null, "", hash);
    const subject = subjectText();
    for (const p of [chartPanel, ...modelPanels]) p.setSubject(subject);
    for (const p of modelPanels) p.info(`Waiting for the bars of ${subject} …`);
    if (window.__tradingstack) window.__tradingstack.subject = subject;
    clear(header, h("strong", { class: "hdr-symbol" }, symbol), h("span", { class: "hdr-tf" }, timeframe));
    chartPanel.info(`Loading ${subject} …`);
    const note =
      asked && asked !== timeframe ? `${symbol} has no ${asked} bars; showing ${timeframe}. ` : "";

    const specs = boxes.filter((b) => b.box.checked).map((b) => b.ind);
    // indicators run beside the bars, but their error is only said once the bars are there
    let indicatorError: unknown = null;
    const indicatorsP = specs.length
      ? svc.indicators(symbol, timeframe, specs.map((s) => s.spec), prefs.bars, signal).catch((exc) => {
          indicatorError = exc;
          return null;
        })
      : Promise.resolve(null);
    const bars = await chartPanel.run(
      () => svc.ohlcv(symbol, timeframe, prefs.bars, signal),
      { what: "the bars", symbol, timeframe },
      signal,
    );
    if (signal.aborted) return;
    if (!bars) {
      for (const p of modelPanels) p.info(`Not shown: the bars of ${subject} could not be loaded.`);
      draw();
      markReady();
      return;
    }
    model.bars = bars.bars;
    const ind = await indicatorsP;
    if (signal.aborted) return;
    if (ind) model.overlays = overlayLines(ind, specs);
    model.levels = levelsFor(symbol, timeframe);
    const notes = [
      note,
      availability ? "(every timeframe offered: the data service did not say which have data)" : "",
      `${bars.bars.length} bars from ${bars.provider === "import" ? "your import" : bars.provider}`,
      bars.resampled_from ? `resampled from ${bars.resampled_from}` : "",
      bars.stale ? "not refreshed: no provider answered, these are the stored bars" : "",
      `newest bar closed ${fmtDuration(bars.age_seconds)} ago`,
      ...bars.warnings,
    ].filter(Boolean);
    if (indicatorError) chartPanel.error(indicatorError, { what: "the indicators", symbol, timeframe });
    else chartPanel.ok(notes.join(" · "));
    renderHeader();
    draw();

    const jobs: Promise<unknown>[] = [];
    if (prefs.forecast) jobs.push(loadForecast(signal).then(draw));
    else fcPanel.info("Layer off.");
    if (prefs.patterns) jobs.push(loadPatterns(signal).then(draw));
    else patPanel.info("Layer off.");
    if (prefs.regime) jobs.push(loadRegime(signal).then(draw));
    else regPanel.info("Layer off.");
    jobs.push(loadScores(signal));
    await Promise.allSettled(jobs);
    if (!signal.aborted) markReady();
  }

  function noData(): void {
    setTimeframeOptions([], "");
    const subject = symbol;
    for (const p of [chartPanel, ...modelPanels]) p.setSubject(subject);
    if (window.__tradingstack) window.__tradingstack.subject = subject;
    chartPanel.clearStatus();
    chartPanel.status.append(
      h(
        "div",
        { class: "nodata", role: "alert" },
        h("span", { class: "error-text" }, `${symbol} has no data yet: no bars were imported and no configured market-data provider serves it.`),
        h("span", { class: "fixes" }, h("a", { class: "fix", href: "#/manage" }, "Import bars from a CSV file")),
      ),
    );
    for (const p of modelPanels) p.info(`Nothing to show: ${symbol} has no bars.`);
    draw();
    markReady();
  }

  function draw(): void {
    chartHost.classList.toggle("empty", !model.bars.length);
    const stats = chart.render(model);
    if (window.__tradingstack) {
      window.__tradingstack.chart = stats;
      window.__tradingstack.chartOf = model.bars.length ? `${symbol}/${timeframe}` : "";
    }
    renderLegend();
    renderReadout(null);
  }

  function markReady(): void {
    if (window.__tradingstack) window.__tradingstack.ready = true;
  }

  function renderHeader(): void {
    const bars = model.bars;
    const last = bars[bars.length - 1];
    const prev = bars[bars.length - 2];
    if (!last) return;
    const change = prev ? last.close - prev.close : null;
    const pct = prev && prev.close ? (change! / prev.close) * 100 : null;
    const cls = change === null ? "" : change >= 0 ? "up" : "down";
    clear(
      header,
      h("strong", { class: "hdr-symbol" }, symbol),
      h("span", { class: "hdr-tf" }, timeframe),
      h("span", { class: "hdr-price", "data-testid": "last-price" }, fmtNumber(last.close, 4)),
      change !== null
        ? h(
            "span",
            { class: `hdr-change ${cls}`, "data-testid": "last-change" },
            `${change >= 0 ? "+" : ""}${fmtNumber(change, 4)} (${pct! >= 0 ? "+" : ""}${pct!.toFixed(2)} %)`,
          )
        : null,
      h("span", { class: "muted" }, `last bar ${shortTime(last.time)} UTC, change vs the bar before`),
    );
  }

  function renderReadout(info: CrosshairInfo | null): void {
    const bars = model.bars;
    const i = info ? info.index : bars.length - 1;
    const bar = info ? info.bar : bars[i];
    if (!bar) {
      clear(readout);
      return;
    }
    const values =
      info?.values ??
      model.overlays
        .map((o) => {
          const k = o.times.lastIndexOf(bar.time);
          const v = k >= 0 ? o.values[k] : null;
          return v === null || v === undefined ? null : { name: o.name ?? o.key, color: o.color, value: v };
        })
        .filter((v): v is { name: string; color: string; value: number } => v !== null);
    const ohlc = (k: string, v: number) => h("span", { class: "ro" }, h("b", {}, k), ` ${fmtNumber(v, 4)}`);
    clear(
      readout,
      h("span", { class: "ro-time" }, shortTime(bar.time)),
      ohlc("O", bar.open),
      ohlc("H", bar.high),
      ohlc("L", bar.low),
      ohlc("C", bar.close),
      values.map((v) =>
        h("span", { class: "ro" }, h("b", { style: `color:${v.color}` }, v.name), ` ${fmtNumber(v.value, 4)}`),
      ),
    );
  }

  function renderLegend(): void {
    const s = chart.getStats();
    const labels = [...new Set(model.regimes.map((r) => r.label))];
    clear(
      legend,
      h("span", {}, `${s.bars} bars`),
      model.overlays
        .filter((o, i, all) => all.findIndex((x) => x.name === o.name) === i)
        .map((o) => h("span", { class: "lg-line" }, h("span", { class: "line-key", style: `background:${o.color}` }), o.name ?? o.key)),
      s.forecastPoints
        ? h(
            "span",
            { class: "lg-forecast" },
            `${model.forecast?.title ?? "forecast"} ${s.forecastPoints} bars (80 % and 95 % bands)`,
          )
        : null,
      s.patterns ? h("span", { class: "lg-pattern" }, `${s.patterns} patterns`) : null,
      s.levels ? h("span", { class: "lg-levels" }, `analysis levels (${s.levels})`) : null,
      labels.length
        ? h(
            "span",
            { class: "regime-key", "aria-label": "Regime colours" },
            "Regimes: ",
            labels.map((l, i) =>
              h("span", { class: "key-item" }, h("span", { class: "swatch", style: `background:${solid(regimeColour(l, i))}` }), l.replace(/_/g, " ")),
            ),
          )
        : null,
    );
  }

  function qualityLine(q: svc.Quality | null): HTMLElement {
    if (!q) return h("p", { class: "muted quality", "data-testid": "quality" }, "Measured quality: not reported by the service.");
    // the summary may already start with its verdict ("no demonstrated edge: out-of-fold AUC ...")
    const m = /^(no demonstrated edge|measured edge|has an edge)\s*[:,-]?\s*/i.exec(q.summary);
    const rest = m ? q.summary.slice(m[0].length) : q.summary;
    return h(
      "p",
      { class: `quality ${q.has_edge ? "edge" : "no-edge"}`, "data-testid": "quality", title: q.evaluated_on },
      h("strong", {}, q.has_edge ? "Measured edge" : "No demonstrated edge"),
      rest ? `: ${rest}` : "",
    );
  }

  async function loadForecast(signal: AbortSignal): Promise<void> {
    const ctx = { what: "the forecast", symbol, timeframe };
    fcPanel.info("Loading …");
    const fc = await fcPanel.run(async () => svc.forecast(symbol, timeframe, signal), ctx, signal);
    if (signal.aborted || !fc) return;
    const quality = svc.readQuality(fc);
    const naive = svc.servedAsNaive(fc);
    fc.title = naive ? "naive forecast" : "NHITS";
    model.forecast = fc;
    fcPanel.clearStatus();
    const last = fc.median[fc.median.length - 1];
    const i80 = fc.intervals.find((i) => i.level === 80);
    const i95 = fc.intervals.find((i) => i.level === 95);
    const n = fc.median.length - 1;
    clear(
      fcPanel.body,
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
        h("dd", {}, naive ? "naive (last close carried forward)" : `${fc.model.version}, ${fmtDuration(fc.model.age_seconds)} old${fc.model.mode ? ` (${fc.model.mode})` : ""}`),
        quality
          ? null
          : [h("dt", {}, "Beats naive"), h("dd", {}, fc.model.beats_naive === null ? "not measured" : fc.model.beats_naive ? "yes" : "no")],
      ),
      qualityLine(quality),
    );
  }

  async function loadPatterns(signal: AbortSignal): Promise<void> {
    const ctx = { what: "the patterns", symbol, timeframe };
    patPanel.info("Loading …");
    const r = await patPanel.run(() => svc.detect(symbol, timeframe, prefs.minConfidence, prefs.bars, signal), ctx, signal);
    if (signal.aborted || !r) return;
    model.patterns = svc.patternSpans(r);
    patPanel.clearStatus();
    clear(
      patPanel.body,
      h("p", { class: "muted" }, `${r.windows_scanned} windows over ${r.bars_scanned} bars, ${r.candidates} candidates, threshold ${r.min_confidence}`),
      r.detections.length
        ? table(
            ["Pattern", "Confidence", "From", "To"],
            r.detections.map((d) => [
              h("span", { title: d.description ?? "" }, d.pattern.replace(/_/g, " ")),
              `${(d.confidence * 100).toFixed(0)} %`,
              shortTime(d.start_time),
              shortTime(d.end_time),
            ]),
          )
        : h("p", {}, `No pattern above the threshold in ${symbol} ${timeframe}.`),
      qualityLine(svc.readQuality(r)),
    );
  }

  async function loadRegime(signal: AbortSignal): Promise<void> {
    const ctx = { what: "the regime", symbol, timeframe };
    const sym = symbol;
    const tf = timeframe;
    regPanel.info("Loading …");
    const answer = await regPanel.run(async () => ({ a: await svc.regime(sym, tf, prefs.bars, signal) }), ctx, signal);
    if (signal.aborted || !answer) return;
    if (answer.a === null) {
      regPanel.clearStatus();
      const fit: HTMLButtonElement = h(
        "button",
        {
          type: "button",
          onclick: async () => {
            fit.disabled = true;
            regPanel.info(`Fitting the regime model for ${sym} ${tf} …`);
            const done = await regPanel.run(() => svc.fitRegime(sym, tf), { what: "the regime fit", symbol: sym, timeframe: tf }, signal);
            if (done !== undefined && !signal.aborted) await loadRegime(signal).then(draw);
            fit.disabled = false;
          },
        },
        "Fit the regime model",
      );
      clear(regPanel.body, h("p", {}, `No regime model for ${sym} ${tf} yet. A fit takes a few seconds.`), fit);
      return;
    }
    const r = svc.regimeView(answer.a);
    model.regimes = r.segments;
    regPanel.clearStatus();
    const labels = [...new Set(r.segments.map((s) => s.label))];
    clear(
      regPanel.body,
      h(
        "p",
        { class: "regime-now" },
        "Current: ",
        h("strong", { "data-testid": "regime-current" }, r.current?.replace(/_/g, " ") ?? "–"),
        r.probability !== null ? ` (${(r.probability * 100).toFixed(0)} %)` : "",
      ),
      Object.keys(r.probabilities).length
        ? table(
            ["Regime", "Probability now", "Expected duration"],
            Object.entries(r.probabilities).map(([name, p]) => [
              h(
                "span",
                {},
                h("span", { class: "swatch", style: `background:${solid(regimeColour(name, labels.indexOf(name)))}` }),
                name.replace(/_/g, " "),
              ),
              `${(p * 100).toFixed(1)} %`,
              r.durations[name] ?? "–",
            ]),
          )
        : labels.length
          ? h(
              "ul",
              { class: "swatches", "aria-label": "Regime colours" },
              labels.map((l, i) =>
                h("li", {}, h("span", { class: "swatch", style: `background:${solid(regimeColour(l, i))}` }), l.replace(/_/g, " ")),
              ),
            )
          : null,
      h("p", { class: "muted" }, `${r.segments.length} segments in the regime history; those in view are the coloured background.`),
      qualityLine(svc.readQuality(answer.a)),
    );
  }

  async function loadScores(signal: AbortSignal): Promise<void> {
    const ctx = { what: "the scores", symbol, timeframe };
    scorePanel.info("Loading …");
    const pair = await scorePanel.run(
      () => Promise.all([svc.score(symbol, timeframe, "long", signal), svc.score(symbol, timeframe, "short", signal)]),
      ctx,
      signal,
    );
    if (signal.aborted || !pair) return;
    const [long, short] = pair;
    scorePanel.clearStatus();
    const row = (s: svc.Score) => {
      const q = svc.readQuality(s.raw);
      const shown = q && !q.has_edge ? null : s.value;
      return h(
        "div",
        { class: `score ${s.direction}${q && !q.has_edge ? " no-edge" : ""}` },
        h("span", {}, s.direction),
        shown === null
          ? null
          : h("meter", { min: 0, max: 100, low: 40, high: 60, optimum: 100, value: shown ?? 0, "aria-label": `${s.direction} score` }),
        h(
          "strong",
          { "data-testid": `score-${s.direction}`, title: q && !q.has_edge && s.value !== null ? `model output ${fmtNumber(s.value, 1)}, not shown as a score: ${q.summary}` : "" },
          q && !q.has_edge ? "no demonstrated edge" : s.value === null ? "–" : fmtNumber(s.value, 1),
        ),
      );
    };
    const qLong = svc.readQuality(long.raw);
    const qShort = svc.readQuality(short.raw);
    clear(
      scorePanel.body,
      [long, short].map(row),
      h(
        "p",
        { class: "muted" },
        "0-100: the LightGBM model's probability that the move pays off",
        long.auc !== null ? ` (hold-out AUC ${fmtNumber(long.auc, 3)} long` : "",
        short.auc !== null ? `, ${fmtNumber(short.auc, 3)} short)` : long.auc !== null ? ")" : "",
        ".",
      ),
      qLong || qShort
        ? [qLong ? labelled("Long", qualityLine(qLong)) : null, qShort ? labelled("Short", qualityLine(qShort)) : null]
        : qualityLine(null),
      long.features.length
        ? table(
            ["Top features (long)", "Value", "Contribution"],
            long.features.slice(0, 5).map((f) => [f.feature, fmtNumber(f.value, 4), fmtNumber(f.contribution, 3)]),
          )
        : null,
    );
  }

  /** Favourites with their last price and change (their coarsest timeframe with data). */
  async function loadWatchlist(favs: string[], signal: AbortSignal): Promise<void> {
    if (!favs.length) {
      clear(
        watchPanel.body,
        h("p", { class: "muted" }, "No favourites yet. ", h("a", { href: "#/manage" }, "Star symbols in Symbols & strategies"), "."),
      );
      return;
    }
    watchPanel.info(`Loading ${favs.length} favourites …`);
    const rows = await Promise.all(
      favs.map(async (sym) => {
        try {
          const tfs = (await svc.timeframes(sym, signal)).timeframes.map((t) => t.timeframe);
          const tf = tfs.includes("D1") ? "D1" : tfs[tfs.length - 1];
          if (!tf) return { sym, tf: "", text: "no data" };
          const b = (await svc.ohlcv(sym, tf, 2, signal)).bars;
          const last = b[b.length - 1];
          const prev = b[b.length - 2];
          const pct = prev && prev.close ? ((last.close - prev.close) / prev.close) * 100 : null;
          return { sym, tf, last: last.close, pct };
        } catch (exc) {
          if (signal.aborted) return null;
          return { sym, tf: "", text: "unavailable" };
        }
      }),
    );
    if (signal.aborted) return;
    watchPanel.clearStatus();
    clear(
      watchPanel.body,
      table(
        ["Symbol", "Last", "Change", "Bars"],
        rows
          .filter((r): r is NonNullable<typeof r> => r !== null)
          .map((r) => [
            h("a", { href: `#/symbol/${encodeURIComponent(r.sym)}${r.tf ? `/${r.tf}` : ""}` }, h("strong", {}, r.sym)),
            "last" in r ? fmtNumber(r.last, 4) : (r.text ?? "–"),
            "pct" in r && r.pct !== null && r.pct !== undefined
              ? h("span", { class: r.pct >= 0 ? "up" : "down" }, `${r.pct >= 0 ? "+" : ""}${r.pct.toFixed(2)} %`)
              : "–",
            r.tf || "–",
          ]),
      ),
    );
  }

  void load();
  return () => {
    viewCtl.abort();
    controller.abort();
    document.removeEventListener("keydown", onKey);
    chart.destroy();
  };
}

function labelled(prefix: string, el: HTMLElement): HTMLElement {
  el.prepend(`${prefix}: `);
  return el;
}

/** The last analysis' entry, stop and targets for this symbol and timeframe, as chart lines. */
function levelsFor(symbol: string, timeframe: string): PriceLevel[] {
  const a = svc.analysisLevels(symbol, timeframe);
  if (!a) return [];
  const out: PriceLevel[] = [];
  if (a.entry !== null) out.push({ price: a.entry, label: `entry (${a.direction})`, color: "#42a5f5" });
  if (a.stop_loss !== null) out.push({ price: a.stop_loss, label: "stop", color: "#ef5350", dashed: true });
  a.take_profits.forEach((t, i) => out.push({ price: t, label: `target ${i + 1}`, color: "#26a69a", dashed: true }));
  return out;
}

function overlayLines(ind: svc.Indicators, specs: IndicatorChoice[]): OverlayLine[] {
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

function shortTime(iso: string): string {
  // "2021-12-08T18:00:00Z" -> "12-08 18:00" (daily bars: "2021-12-08")
  const t = iso.slice(11, 16);
  return t && t !== "00:00" ? `${iso.slice(5, 10)} ${t}` : iso.slice(0, 10);
}

function solid(rgba: string): string {
  return rgba.replace(/[\d.]+\)$/, "0.85)");
}

function matches(params: Record<string, number>, spec: string): boolean {
  const wanted = spec.split(":").slice(1).map(Number);
  const have = Object.values(params);
  return wanted.every((w, i) => have[i] === w);
}
