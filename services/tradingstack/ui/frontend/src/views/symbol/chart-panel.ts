// The chart panel: the header (symbol, timeframe, last price and change), the crosshair readout
// (O/H/L/C and the indicators' values), the price chart and its legend with the regime key.
import {
  PriceChart,
  regimeColour,
  type ChartModel,
  type ChartStats,
  type CrosshairInfo,
} from "../../chart";
import { clear, fmtNumber, h, Panel } from "../../dom";
import { pageState } from "../../router";
import { shortTime, solid } from "./common";

export function emptyModel(): ChartModel {
  return { bars: [], overlays: [], forecast: null, patterns: [], regimes: [] };
}

export class ChartPanel {
  readonly panel = new Panel("Chart", { id: "chart", wide: true });
  readonly header = h("div", { class: "chart-header", "data-testid": "chart-header" });
  private readonly readout = h("div", { class: "readout", "data-testid": "readout", "aria-live": "off" });
  private readonly host = h("div", { class: "chart", id: "price-chart", role: "img", "aria-label": "Price chart" });
  private readonly legend = h("div", { class: "legend", "aria-live": "polite" });
  private readonly chart: PriceChart;
  model: ChartModel = emptyModel();
  /** "SYMBOL/TF" of the bars drawn ("" when none): the browser tests read it. */
  private of = "";

  constructor(controls: HTMLElement[]) {
    this.panel.body.append(...controls, this.header, this.readout, this.host, this.legend);
    this.chart = new PriceChart(this.host, (info) => this.renderReadout(info));
  }

  /** A new selection: nothing of the previous one stays on screen. */
  reset(symbol: string, timeframe = ""): void {
    this.model = emptyModel();
    this.panel.setSubject(timeframe ? `${symbol} ${timeframe}` : symbol);
    this.title(symbol, timeframe);
    clear(this.readout);
    this.draw(symbol, timeframe);
  }

  title(symbol: string, timeframe: string): void {
    clear(this.header, h("strong", { class: "hdr-symbol" }, symbol), timeframe ? h("span", { class: "hdr-tf" }, timeframe) : null);
  }

  draw(symbol: string, timeframe: string): ChartStats {
    this.host.classList.toggle("empty", !this.model.bars.length);
    const stats = this.chart.render(this.model);
    this.of = this.model.bars.length ? `${symbol}/${timeframe}` : "";
    pageState("chart", stats);
    pageState("chartOf", this.of);
    this.renderLegend();
    this.renderReadout(null);
    return stats;
  }

  renderHeader(symbol: string, timeframe: string): void {
    const bars = this.model.bars;
    const last = bars[bars.length - 1];
    const prev = bars[bars.length - 2];
    if (!last) return;
    const change = prev ? last.close - prev.close : null;
    const pct = prev && prev.close && change !== null ? (change / prev.close) * 100 : null;
    const cls = change === null ? "" : change >= 0 ? "up" : "down";
    clear(
      this.header,
      h("strong", { class: "hdr-symbol" }, symbol),
      h("span", { class: "hdr-tf" }, timeframe),
      h("span", { class: "hdr-price", "data-testid": "last-price" }, fmtNumber(last.close, 4)),
      change !== null && pct !== null
        ? h(
            "span",
            { class: `hdr-change ${cls}`, "data-testid": "last-change" },
            `${change >= 0 ? "+" : ""}${fmtNumber(change, 4)} (${pct >= 0 ? "+" : ""}${pct.toFixed(2)} %)`,
          )
        : null,
      h("span", { class: "muted" }, `last bar ${shortTime(last.time)} UTC, change vs the bar before`),
    );
  }

  private renderReadout(info: CrosshairInfo | null): void {
    const bars = this.model.bars;
    const bar = info ? info.bar : bars[bars.length - 1];
    if (!bar) {
      clear(this.readout);
      return;
    }
    const values =
      info?.values ??
      this.model.overlays
        .map((o) => {
          const k = o.times.lastIndexOf(bar.time);
          const v = k >= 0 ? o.values[k] : null;
          return v === null || v === undefined ? null : { name: o.name ?? o.key, color: o.color, value: v };
        })
        .filter((v): v is { name: string; color: string; value: number } => v !== null);
    const ohlc = (k: string, v: number) => h("span", { class: "ro" }, h("b", {}, k), ` ${fmtNumber(v, 4)}`);
    clear(
      this.readout,
      h("span", { class: "ro-time" }, shortTime(bar.time)),
      ohlc("O", bar.open),
      ohlc("H", bar.high),
      ohlc("L", bar.low),
      ohlc("C", bar.close),
      values.map((v) => h("span", { class: "ro" }, h("b", { style: `color:${v.color}` }, v.name), ` ${fmtNumber(v.value, 4)}`)),
    );
  }

  private renderLegend(): void {
    const s = this.chart.getStats();
    const m = this.model;
    const labels = [...new Set(m.regimes.map((r) => r.label))];
    clear(
      this.legend,
      h("span", {}, `${s.bars} bars`),
      m.overlays
        .filter((o, i, all) => all.findIndex((x) => x.name === o.name) === i)
        .map((o) => h("span", { class: "lg-line" }, h("span", { class: "line-key", style: `background:${o.color}` }), o.name ?? o.key)),
      s.forecastPoints
        ? h("span", { class: "lg-forecast" }, `${m.forecast?.title ?? "forecast"} ${s.forecastPoints} bars (80 % and 95 % bands)`)
        : null,
      s.patterns ? h("span", { class: "lg-pattern" }, `${s.patterns} patterns`) : null,
      s.levels ? h("span", { class: "lg-levels" }, `analysis levels (${s.levels})`) : null,
      labels.length
        ? h(
            "span",
            { class: "regime-key", "aria-label": "Regime colours" },
            "Regimes: ",
            labels.map((l, i) =>
              h(
                "span",
                { class: "key-item" },
                h("span", { class: "swatch", style: `background:${solid(regimeColour(l, i))}` }),
                l.replace(/_/g, " "),
              ),
            ),
          )
        : null,
    );
  }

  destroy(): void {
    this.chart.destroy();
  }
}
