// Symbol view: candlesticks with volume, timeframe selector, indicator overlays, the NHITS
// forecast with its intervals, TCN patterns over the bars they span, the HMM regime as a
// coloured band, and the long/short scores. Each source fails on its own, in its own panel.
import { PriceChart, regimeColour, type ChartModel, type OverlayLine } from "../chart";
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
}

const INDICATORS: IndicatorChoice[] = [
  { spec: "sma:20", label: "SMA 20", pane: "price", colours: { "": "#ffb74d" } },
  { spec: "sma:50", label: "SMA 50", pane: "price", colours: { "": "#ba68c8" } },
  { spec: "ema:20", label: "EMA 20", pane: "price", colours: { "": "#4dd0e1" } },
  {
    spec: "bbands:20:2",
    label: "Bollinger 20/2",
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

export function symbolView(root: HTMLElement, args: string[]): Dispose {
  const sel = selection();
  let symbol = (args[0] || sel.symbol).toUpperCase();
  let timeframe = args[1] || sel.timeframe;
  const prefs = loadPrefs();

  const symbolSelect = select([symbol], symbol, { name: "symbol" });
  const tfSelect = select(cfg().timeframes, timeframe, { name: "timeframe" });
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

  const chartPanel = new Panel("Chart", { id: "chart", wide: true });
  const chartHost = h("div", { class: "chart", id: "price-chart", role: "img", "aria-label": "Price chart" });
  const legend = h("div", { class: "legend", "aria-live": "polite" });
  chartPanel.body.append(form, chartHost, legend);
  const fcPanel = new Panel("Forecast (NHITS)", { id: "forecast" });
  const patPanel = new Panel("Patterns (TCN)", { id: "patterns" });
  const regPanel = new Panel("Regime (HMM)", { id: "regime" });
  const scorePanel = new Panel("Long and short scores", { id: "scores" });
  root.append(
    h("div", { class: "grid" }, chartPanel.el, fcPanel.el, patPanel.el, regPanel.el, scorePanel.el),
  );

  const chart = new PriceChart(chartHost);
  let controller = new AbortController();

  symbols()
    .then((list) => {
      clear(symbolSelect);
      const names = list.map((s) => s.symbol);
      if (!names.includes(symbol)) names.unshift(symbol);
      for (const s of names) {
        const info = list.find((x) => x.symbol === s);
        const o = h("option", { value: s }, info ? `${s} · ${info.name}` : s);
        if (s === symbol) o.selected = true;
        symbolSelect.append(o);
      }
    })
    .catch((exc) => chartPanel.error(exc, "Symbols"));

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    symbol = symbolSelect.value;
    timeframe = tfSelect.value;
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
    setSelection(symbol, timeframe);
    const hash = `#/symbol/${encodeURIComponent(symbol)}/${timeframe}`;
    if (location.hash !== hash) history.replaceState(null, "", hash);
    void load();
  });
  // changing symbol or timeframe redraws at once (keyboard users can also press the button)
  for (const el of [symbolSelect, tfSelect]) el.addEventListener("change", () => form.requestSubmit());

  async function load(): Promise<void> {
    controller.abort();
    controller = new AbortController();
    const signal = controller.signal;
    const state = window.__tradingstack;
    if (state) state.ready = false;
    const model: ChartModel = { bars: [], overlays: [], forecast: null, patterns: [], regimes: [] };
    const draw = () => {
      const stats = chart.render(model);
      if (window.__tradingstack) {
        window.__tradingstack.chart = stats;
        window.__tradingstack.chartOf = `${symbol}/${timeframe}`;
      }
      renderLegend();
    };
    chartPanel.info(`Loading ${symbol} ${timeframe} …`);
    const specs = boxes.filter((b) => b.box.checked).map((b) => b.ind);
    const ok = await chartPanel.run(async () => {
      const [bars, ind] = await Promise.all([
        svc.ohlcv(symbol, timeframe, prefs.bars, signal),
        specs.length
          ? svc.indicators(symbol, timeframe, specs.map((s) => s.spec), prefs.bars, signal).catch((exc) => {
              if (!signal.aborted) chartPanel.error(exc, "Indicators");
              return null;
            })
          : Promise.resolve(null),
      ]);
      model.bars = bars.bars;
      if (ind) model.overlays = overlayLines(ind, specs);
      const notes = [
        `${bars.bars.length} bars from ${bars.provider}`,
        bars.resampled_from ? `resampled from ${bars.resampled_from}` : "",
        bars.stale ? "STALE (every provider failed; cached bars)" : "",
        `newest bar closed ${fmtDuration(bars.age_seconds)} ago`,
        ...bars.warnings,
      ].filter(Boolean);
      if (!chartPanel.status.querySelector(".error")) chartPanel.ok(notes.join(" · "));
      draw();
      return true;
    }, `Bars of ${symbol} ${timeframe}`);
    if (!ok) {
      draw();
      markReady();
      return;
    }
    const jobs: Promise<unknown>[] = [];
    if (prefs.forecast) jobs.push(loadForecast(model, signal).then(draw));
    else fcPanel.info("Layer off.");
    if (prefs.patterns) jobs.push(loadPatterns(model, signal).then(draw));
    else patPanel.info("Layer off.");
    if (prefs.regime) jobs.push(loadRegime(model, signal, draw).then(draw));
    else regPanel.info("Layer off.");
    jobs.push(loadScores(signal));
    await Promise.allSettled(jobs);
    if (!signal.aborted) markReady();
  }

  function markReady(): void {
    if (window.__tradingstack) window.__tradingstack.ready = true;
  }

  function renderLegend(): void {
    const s = chart.getStats();
    clear(
      legend,
      h("span", {}, `${s.bars} bars`),
      s.overlays ? h("span", {}, `${s.overlays} indicator lines`) : null,
      s.forecastPoints ? h("span", { class: "lg-forecast" }, `forecast ${s.forecastPoints} bars (80 % and 95 % bands)`) : null,
      s.patterns ? h("span", { class: "lg-pattern" }, `${s.patterns} patterns`) : null,
      s.regimes ? h("span", {}, `${s.regimes} regime segments`) : null,
    );
  }

  async function loadForecast(model: ChartModel, signal: AbortSignal): Promise<void> {
    clear(fcPanel.body);
    fcPanel.info("Loading …");
    await fcPanel.run(async () => {
      const fc = await svc.forecast(symbol, timeframe, signal);
      model.forecast = fc;
      fcPanel.clearStatus();
      const last = fc.median[fc.median.length - 1];
      const i80 = fc.intervals.find((i) => i.level === 80);
      const i95 = fc.intervals.find((i) => i.level === 95);
      const n = fc.median.length - 1;
      clear(
        fcPanel.body,
        h(
          "dl",
          { class: "facts" },
          h("dt", {}, `Median in ${fc.horizon} bars`),
          h("dd", { "data-testid": "forecast-median" }, fmtNumber(last)),
          i80 ? [h("dt", {}, "80 % interval"), h("dd", {}, `${fmtNumber(i80.lower[n])} – ${fmtNumber(i80.upper[n])}`)] : null,
          i95 ? [h("dt", {}, "95 % interval"), h("dd", {}, `${fmtNumber(i95.lower[n])} – ${fmtNumber(i95.upper[n])}`)] : null,
          h("dt", {}, "Model"),
          h("dd", {}, `${fc.model.version}, ${fmtDuration(fc.model.age_seconds)} old (${fc.model.mode})`),
          h("dt", {}, "Beats naive"),
          h("dd", {}, fc.model.beats_naive === null ? "–" : fc.model.beats_naive ? "yes" : "no"),
        ),
      );
    }, "Forecast");
    if (!model.forecast && !signal.aborted) {
      fcPanel.body.append(
        h("p", {}, h("a", { href: "#/training" }, "Train a model in the Training view")),
      );
    }
  }

  async function loadPatterns(model: ChartModel, signal: AbortSignal): Promise<void> {
    clear(patPanel.body);
    patPanel.info("Loading …");
    await patPanel.run(async () => {
      const r = await svc.detect(symbol, timeframe, prefs.minConfidence, prefs.bars, signal);
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
          : h("p", {}, "No pattern above the threshold."),
      );
    }, "Patterns");
  }

  async function loadRegime(model: ChartModel, signal: AbortSignal, redraw: () => void): Promise<void> {
    clear(regPanel.body);
    regPanel.info("Loading …");
    await regPanel.run(async () => {
      const answer = await svc.regime(symbol, timeframe, prefs.bars, signal);
      if (answer === null) {
        regPanel.clearStatus();
        const fit: HTMLButtonElement = h(
          "button",
          {
            type: "button",
            onclick: async () => {
              fit.disabled = true;
              regPanel.info("Fitting …");
              const done = await regPanel.run(() => svc.fitRegime(symbol, timeframe), "Fit");
              if (done !== undefined && !signal.aborted) await loadRegime(model, signal, redraw).then(redraw);
              fit.disabled = false;
            },
          },
          "Fit the regime model",
        );
        clear(
          regPanel.body,
          h("p", {}, `No regime model for ${symbol} ${timeframe} yet. A fit takes a few seconds.`),
          fit,
        );
        return;
      }
      const r = svc.regimeView(answer);
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
      );
    }, "Regime");
  }

  async function loadScores(signal: AbortSignal): Promise<void> {
    clear(scorePanel.body);
    scorePanel.info("Loading …");
    await scorePanel.run(async () => {
      const [long, short] = await Promise.all([
        svc.score(symbol, timeframe, "long", signal),
        svc.score(symbol, timeframe, "short", signal),
      ]);
      scorePanel.clearStatus();
      clear(
        scorePanel.body,
        [long, short].map((s) =>
          h(
            "div",
            { class: `score ${s.direction}` },
            h("span", {}, s.direction),
            h("meter", { min: 0, max: 100, low: 40, high: 60, optimum: 100, value: s.value ?? 0, "aria-label": `${s.direction} score` }),
            h("strong", { "data-testid": `score-${s.direction}` }, s.value === null ? "–" : fmtNumber(s.value, 1)),
          ),
        ),
        h(
          "p",
          { class: "muted" },
          "0-100: the LightGBM model's probability that the move pays off",
          long.auc !== null ? ` (hold-out AUC ${fmtNumber(long.auc, 3)} long` : "",
          short.auc !== null ? `, ${fmtNumber(short.auc, 3)} short)` : long.auc !== null ? ")" : "",
          ".",
        ),
        long.features.length
          ? table(
              ["Top features (long)", "Value", "Contribution"],
              long.features.slice(0, 5).map((f) => [f.feature, fmtNumber(f.value, 4), fmtNumber(f.contribution, 3)]),
            )
          : null,
      );
    }, "Scores");
  }

  void load();
  return () => {
    controller.abort();
    chart.destroy();
  };
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
