// Symbol view: the controls (symbol, timeframe, bars, indicators, layers, keyboard shortcuts)
// and the load of a selection into its panels, one module each: the chart (chart-panel.ts), the
// forecast, patterns, regime and scores (each failing, or being prepared, on its own), the
// models being prepared on a first start (panels/preparing.ts) and the watchlist.
import { cfg, selection, setSelection, symbols } from "../../config";
import { clear, field, fmtDuration, h, select } from "../../dom";
import { PreparingPanel } from "../../panels/preparing";
import { markReady, pageState, type Dispose } from "../../router";
import * as svc from "../../services";
import { ChartPanel } from "./chart-panel";
import type { Selection } from "./common";
import { forecastPanel, loadForecast } from "./forecast";
import { INDICATORS, levelsFor, loadPrefs, overlayLines, savePrefs, type Prefs } from "./indicators";
import { loadPatterns, patternsPanel } from "./patterns";
import { loadRegime, regimePanel } from "./regime";
import { loadScores, scoresPanel } from "./scores";
import { loadWatchlist, watchlistPanel } from "./watchlist";

/** A timeframe as the route spells it, any case ("d1" -> "D1"), or null when unknown. */
export function canonicalTimeframe(raw: string | undefined, known: string[]): string | null {
  if (!raw) return null;
  const up = raw.toUpperCase();
  return known.includes(up) ? up : null;
}

/** The timeframe to show: the one asked for when the symbol has it, else the default, else the
 * one with the most stored bars, else the first offered. */
function pickTimeframe(wanted: string | null, offered: svc.TimeframeAvailability[], fallback: string): string {
  const names: string[] = offered.map((t) => t.timeframe);
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

  // --- the controls -------------------------------------------------------------------------
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

  // --- the panels ---------------------------------------------------------------------------
  const chart = new ChartPanel([form, keysHint]);
  const chartPanel = chart.panel;
  const fcPanel = forecastPanel();
  const patPanel = patternsPanel();
  const regPanel = regimePanel();
  const scorePanel = scoresPanel();
  const modelPanels = [fcPanel, patPanel, regPanel, scorePanel];
  const watchPanel = watchlistPanel();
  const preparing = new PreparingPanel({ onJobs: (active) => pageState("preparingJobs", active.length) });
  root.append(
    h(
      "div",
      { class: "grid" },
      chartPanel.el,
      fcPanel.el,
      patPanel.el,
      regPanel.el,
      scorePanel.el,
      preparing.el,
      watchPanel.el,
    ),
  );
  void preparing.start();

  let controller = new AbortController();
  const viewCtl = new AbortController(); // the watchlist's requests: until the view closes
  symbols()
    .then((list) => {
      void loadWatchlist(watchPanel, list.filter((x) => x.favourite).map((x) => x.symbol), viewCtl.signal);
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
    savePrefs(next);
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

  const draw = () => chart.draw(symbol, timeframe);

  async function load(): Promise<void> {
    controller.abort();
    controller = new AbortController();
    const signal = controller.signal;
    pageState("ready", false);
    // the previous selection's answers go at once: nothing of it may stay on screen
    for (const p of modelPanels) p.reset("");
    chart.reset(symbol);
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
    const names: string[] = offered ? offered.map((t) => t.timeframe) : known;
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
    const subject = `${symbol} ${timeframe}`;
    for (const p of [chartPanel, ...modelPanels]) p.setSubject(subject);
    for (const p of modelPanels) p.info(`Waiting for the bars of ${subject} …`);
    pageState("subject", subject);
    chart.title(symbol, timeframe);
    chartPanel.info(`Loading ${subject} …`);
    const note = asked && asked !== timeframe ? `${symbol} has no ${asked} bars; showing ${timeframe}. ` : "";

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
    const model = chart.model;
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
      ...(bars.warnings ?? []),
    ].filter(Boolean);
    if (indicatorError) chartPanel.error(indicatorError, { what: "the indicators", symbol, timeframe });
    else chartPanel.ok(notes.join(" · "));
    chart.renderHeader(symbol, timeframe);
    draw();

    // each model panel loads on its own; one still being prepared asks again by itself
    const s: Selection = { symbol, timeframe, bars: prefs.bars, minConfidence: prefs.minConfidence, signal };
    const forecast = (): Promise<void> =>
      loadForecast(fcPanel, s, () => void forecast()).then((f) => {
        if (f) model.forecast = f;
        draw();
      });
    const patterns = (): Promise<void> =>
      loadPatterns(patPanel, s, () => void patterns()).then((p) => {
        model.patterns = p;
        draw();
      });
    const regime = (): Promise<void> =>
      loadRegime(regPanel, s, (segments) => {
        model.regimes = segments;
        draw();
      }).then((segments) => {
        model.regimes = segments;
        draw();
      });
    const scores = (): Promise<void> => loadScores(scorePanel, s, () => void scores());
    const jobs: Promise<unknown>[] = [];
    if (prefs.forecast) jobs.push(forecast());
    else fcPanel.info("Layer off.");
    if (prefs.patterns) jobs.push(patterns());
    else patPanel.info("Layer off.");
    if (prefs.regime) jobs.push(regime());
    else regPanel.info("Layer off.");
    jobs.push(scores());
    await Promise.allSettled(jobs);
    if (!signal.aborted) markReady();
  }

  function noData(): void {
    setTimeframeOptions([], "");
    for (const p of [chartPanel, ...modelPanels]) p.setSubject(symbol);
    pageState("subject", symbol);
    chartPanel.clearStatus();
    chartPanel.status.append(
      h(
        "div",
        { class: "nodata", role: "alert" },
        h(
          "span",
          { class: "error-text" },
          `${symbol} has no data yet: no bars were imported and no configured market-data provider serves it.`,
        ),
        h("span", { class: "fixes" }, h("a", { class: "fix", href: "#/manage" }, "Import bars from a CSV file")),
      ),
    );
    for (const p of modelPanels) p.info(`Nothing to show: ${symbol} has no bars.`);
    draw();
    markReady();
  }

  void load();
  return () => {
    viewCtl.abort();
    controller.abort();
    preparing.stop();
    document.removeEventListener("keydown", onKey);
    chart.destroy();
  };
}
