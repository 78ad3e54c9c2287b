// The price chart: TradingView's lightweight-charts with candlesticks, volume, indicator
// overlays and panes, the NHITS forecast (median line + filled interval bands), detected patterns
// (shaded ranges over the bars they span, with markers) and the regime as a coloured background.
import {
  CandlestickSeries,
  ColorType,
  createChart,
  createSeriesMarkers,
  CrosshairMode,
  HistogramSeries,
  LineSeries,
  LineStyle,
  type IChartApi,
  type IPrimitivePaneRenderer,
  type IPrimitivePaneView,
  type ISeriesPrimitive,
  type SeriesAttachedParameter,
  type SeriesMarker,
  type Time,
  type UTCTimestamp,
} from "lightweight-charts";

export interface Bar {
  time: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export interface ForecastBand {
  level: number;
  lower: number[];
  upper: number[];
}

export interface ForecastData {
  timestamps: string[];
  median: number[];
  intervals: ForecastBand[];
  last_bar?: { time: string; close: number };
  title?: string; // the line's name on the chart ("NHITS", "naive forecast")
}

export interface PatternSpan {
  name: string;
  start: string;
  end: string;
  confidence?: number;
  direction?: string;
}

export interface RegimeSegment {
  label: string;
  start: string;
  end: string;
}

export interface OverlayLine {
  key: string;
  label: string;
  times: string[];
  values: (number | null)[];
  color: string;
  pane: number; // 0 = over the candles
  dashed?: boolean;
  histogram?: boolean;
  guides?: number[]; // horizontal guides in its pane (RSI 30/70)
  name?: string; // for the crosshair readout, e.g. "SMA 20"
}

/** A horizontal level over the candles (the analysis' entry, stop and targets). */
export interface PriceLevel {
  price: number;
  label: string;
  color: string;
  dashed?: boolean;
}

/** What the crosshair points at: the bar and each named line's value there. */
export interface CrosshairInfo {
  bar: Bar;
  index: number;
  values: { name: string; color: string; value: number }[];
}

export interface ChartModel {
  bars: Bar[];
  overlays: OverlayLine[];
  forecast: ForecastData | null;
  patterns: PatternSpan[];
  regimes: RegimeSegment[];
  levels?: PriceLevel[];
}

export interface ChartStats {
  bars: number;
  overlays: number;
  forecastPoints: number;
  patterns: number;
  regimes: number;
  panes: number;
  levels: number;
  guides: number;
}

type DrawTarget = Parameters<IPrimitivePaneRenderer["draw"]>[0];

export function toTs(iso: string): UTCTimestamp {
  return Math.floor(Date.parse(iso) / 1000) as UTCTimestamp;
}

const REGIME_COLOURS: [RegExp, string][] = [
  [/bear|down|crash|sell/i, "rgba(239, 83, 80, 0.13)"],
  [/bull|up|rally|buy/i, "rgba(38, 166, 154, 0.14)"],
  [/vol|turbul|chaos|stress/i, "rgba(255, 167, 38, 0.15)"],
  [/side|range|calm|flat|quiet|consol/i, "rgba(120, 144, 156, 0.16)"],
];
const FALLBACK_COLOURS = [
  "rgba(126, 87, 194, 0.14)",
  "rgba(66, 165, 245, 0.14)",
  "rgba(255, 202, 40, 0.14)",
  "rgba(236, 64, 122, 0.14)",
];

export function regimeColour(label: string, index = 0): string {
  for (const [re, colour] of REGIME_COLOURS) if (re.test(label)) return colour;
  return FALLBACK_COLOURS[index % FALLBACK_COLOURS.length];
}

// Bearish chart patterns (the tcn service's names); the others are bullish or neutral.
const BEARISH = new Set([
  "head_and_shoulders",
  "double_top",
  "triple_top",
  "descending_triangle",
  "bear_flag",
  "rising_wedge",
  "channel_down",
]);

export function isBearish(p: PatternSpan): boolean {
  if (p.direction) return /bear|short|down/i.test(p.direction);
  return BEARISH.has(p.name);
}

/** Index of the bar whose time is closest to `t` (bars sorted by time). */
function nearestIndex(times: number[], t: number): number {
  let lo = 0;
  let hi = times.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(times[lo - 1] - t) < Math.abs(times[lo] - t)) return lo - 1;
  return lo;
}

interface Rect {
  from: number; // bar index
  to: number; // bar index, inclusive
  fill: string;
  stroke?: string;
  top?: number; // price; full height when absent
  bottom?: number;
  label?: string;
}

/** A series primitive that paints on the chart's canvas: the attachment and the pane view. */
abstract class CanvasPrimitive implements ISeriesPrimitive<Time> {
  protected param: SeriesAttachedParameter<Time> | null = null;
  private readonly views: IPrimitivePaneView[];

  /** `inBackground`: paint behind the series' own drawing (lightweight-charts' drawBackground). */
  constructor(zOrder: "bottom" | "normal", inBackground: boolean) {
    const paint = (target: DrawTarget) => this.paint(target);
    const renderer: IPrimitivePaneRenderer = inBackground
      ? { draw: () => undefined, drawBackground: paint }
      : { draw: paint };
    this.views = [{ zOrder: () => zOrder, renderer: () => renderer }];
  }

  attached(param: SeriesAttachedParameter<Time>): void {
    this.param = param;
  }

  detached(): void {
    this.param = null;
  }

  paneViews(): readonly IPrimitivePaneView[] {
    return this.views;
  }

  protected abstract paint(target: DrawTarget): void;
}

/** Draws time-range rectangles (regimes in the background, patterns over the bars). */
class RangesPrimitive extends CanvasPrimitive {
  constructor(
    private readonly rects: Rect[],
    zOrder: "bottom" | "normal",
  ) {
    super(zOrder, zOrder === "bottom");
  }

  protected paint(target: DrawTarget): void {
    const param = this.param;
    if (!param) return;
    const ts = param.chart.timeScale();
    const spacing = ts.options().barSpacing;
    target.useMediaCoordinateSpace(({ context: ctx, mediaSize }) => {
      const placed: { left: number; right: number; y: number }[] = []; // labels drawn so far
      for (const r of this.rects) {
        const x1 = ts.logicalToCoordinate(r.from as never);
        const x2 = ts.logicalToCoordinate(r.to as never);
        if (x1 === null || x2 === null) continue;
        const left = x1 - spacing / 2;
        const right = x2 + spacing / 2;
        if (right < 0 || left > mediaSize.width) continue;
        let top = 0;
        let bottom = mediaSize.height;
        if (r.top !== undefined && r.bottom !== undefined) {
          const yt = param.series.priceToCoordinate(r.top);
          const yb = param.series.priceToCoordinate(r.bottom);
          if (yt === null || yb === null) continue;
          top = yt - 4;
          bottom = yb + 4;
        }
        ctx.fillStyle = r.fill;
        ctx.fillRect(left, top, right - left, bottom - top);
        if (r.stroke) {
          ctx.strokeStyle = r.stroke;
          ctx.lineWidth = 1;
          ctx.setLineDash([4, 3]);
          ctx.strokeRect(left, top, right - left, bottom - top);
          ctx.setLineDash([]);
        }
        if (r.label && right - left > 24) {
          ctx.fillStyle = r.stroke ?? "#cfd8dc";
          ctx.font = "11px system-ui, sans-serif";
          // labels of overlapping patterns stack upwards instead of printing over each other
          const width = Math.min(ctx.measureText(r.label).width, right - left);
          const lx = left + 3;
          let y = r.top !== undefined ? top - 3 : 13;
          const step = r.top !== undefined ? -13 : 13;
          for (let tries = 0; tries < 8; tries++) {
            const clash = placed.some((p) => lx < p.right && lx + width > p.left && Math.abs(p.y - y) < 12);
            if (!clash) break;
            y += step;
          }
          placed.push({ left: lx, right: lx + width, y });
          ctx.fillText(r.label, lx, y, right - left);
        }
      }
    });
  }
}

/** Fills the area between a lower and an upper line (a forecast interval). */
class BandPrimitive extends CanvasPrimitive {
  constructor(
    private readonly times: Time[],
    private readonly lower: number[],
    private readonly upper: number[],
    private readonly fill: string,
  ) {
    super("bottom", false);
  }

  protected paint(target: DrawTarget): void {
    const param = this.param;
    if (!param) return;
    const ts = param.chart.timeScale();
    const pts: [number, number, number][] = [];
    this.times.forEach((t, i) => {
      const x = ts.timeToCoordinate(t);
      const yl = param.series.priceToCoordinate(this.lower[i]);
      const yu = param.series.priceToCoordinate(this.upper[i]);
      if (x !== null && yl !== null && yu !== null) pts.push([x, yl, yu]);
    });
    if (pts.length < 2) return;
    target.useMediaCoordinateSpace(({ context: ctx }) => {
      ctx.beginPath();
      pts.forEach(([x, , yu], i) => (i ? ctx.lineTo(x, yu) : ctx.moveTo(x, yu)));
      for (let i = pts.length - 1; i >= 0; i--) ctx.lineTo(pts[i][0], pts[i][1]);
      ctx.closePath();
      ctx.fillStyle = this.fill;
      ctx.fill();
    });
  }
}

const BAND_FILLS: Record<number, string> = {
  80: "rgba(66, 165, 245, 0.30)",
  95: "rgba(66, 165, 245, 0.15)",
};

export class PriceChart {
  private chart: IChartApi | null = null;
  private stats: ChartStats = {
    bars: 0,
    overlays: 0,
    forecastPoints: 0,
    patterns: 0,
    regimes: 0,
    panes: 0,
    levels: 0,
    guides: 0,
  };

  /** `onCrosshair`: called with the bar under the crosshair (null when it leaves the bars). */
  constructor(
    private readonly host: HTMLElement,
    private readonly onCrosshair?: (info: CrosshairInfo | null) => void,
  ) {}

  destroy(): void {
    this.chart?.remove();
    this.chart = null;
  }

  getStats(): ChartStats {
    return { ...this.stats };
  }

  /** Draw `model` from scratch (cheap; keeps the code simple and the chart consistent). */
  render(model: ChartModel): ChartStats {
    this.destroy();
    const css = getComputedStyle(document.documentElement);
    const text = css.getPropertyValue("--text").trim() || "#d1d4dc";
    const grid = css.getPropertyValue("--grid").trim() || "#2a2e39";
    const bg = css.getPropertyValue("--chart-bg").trim() || "#131722";
    const chart = createChart(this.host, {
      autoSize: true,
      layout: {
        background: { type: ColorType.Solid, color: bg },
        textColor: text,
        fontFamily: "system-ui, sans-serif",
        panes: { separatorColor: grid, enableResize: true },
      },
      grid: { vertLines: { color: grid }, horzLines: { color: grid } },
      crosshair: { mode: CrosshairMode.Normal },
      timeScale: { timeVisible: true, secondsVisible: false, rightOffset: 4 },
      rightPriceScale: { borderColor: grid },
    });
    this.chart = chart;

    const bars = model.bars;
    const times = bars.map((b) => toTs(b.time));
    const candles = chart.addSeries(CandlestickSeries, {
      upColor: "#26a69a",
      downColor: "#ef5350",
      wickUpColor: "#26a69a",
      wickDownColor: "#ef5350",
      borderVisible: false,
    });
    candles.setData(
      bars.map((b, i) => ({ time: times[i], open: b.open, high: b.high, low: b.low, close: b.close })),
    );
    const volume = chart.addSeries(HistogramSeries, {
      priceFormat: { type: "volume" },
      priceScaleId: "volume",
      lastValueVisible: false,
      priceLineVisible: false,
    });
    volume.priceScale().applyOptions({ scaleMargins: { top: 0.82, bottom: 0 } });
    volume.setData(
      bars.map((b, i) => ({
        time: times[i],
        value: b.volume,
        color: b.close >= b.open ? "rgba(38, 166, 154, 0.45)" : "rgba(239, 83, 80, 0.45)",
      })),
    );

    // regimes: coloured background, one rectangle per run of equal labels
    const labels = [...new Set(model.regimes.map((r) => r.label))];
    const first = times[0] ?? 0;
    const lastTime = times[times.length - 1] ?? 0;
    const regimeRects: Rect[] = model.regimes
      .filter((seg) => toTs(seg.end) >= first && toTs(seg.start) <= lastTime)
      .map((seg) => ({
        from: nearestIndex(times, toTs(seg.start)),
        to: nearestIndex(times, toTs(seg.end)),
        fill: regimeColour(seg.label, labels.indexOf(seg.label)),
      }))
      .filter((r) => times.length > 0 && r.to >= r.from);
    if (regimeRects.length) candles.attachPrimitive(new RangesPrimitive(regimeRects, "bottom"));

    // patterns: a dashed box around the bars each one spans, and a marker at its last bar
    const patternRects: Rect[] = [];
    const markers: SeriesMarker<Time>[] = [];
    for (const p of model.patterns) {
      if (!times.length) break;
      if (toTs(p.end) < times[0] || toTs(p.start) > times[times.length - 1]) continue;
      const from = nearestIndex(times, toTs(p.start));
      const to = nearestIndex(times, toTs(p.end));
      if (to < from) continue;
      let hi = -Infinity;
      let lo = Infinity;
      for (let i = from; i <= to; i++) {
        hi = Math.max(hi, bars[i].high);
        lo = Math.min(lo, bars[i].low);
      }
      const bearish = isBearish(p);
      const colour = bearish ? "#ef9a9a" : "#ffd54f";
      const conf = p.confidence !== undefined ? ` ${(p.confidence * 100).toFixed(0)}%` : "";
      patternRects.push({
        from,
        to,
        top: hi,
        bottom: lo,
        fill: bearish ? "rgba(239, 83, 80, 0.10)" : "rgba(255, 213, 79, 0.10)",
        stroke: colour,
        label: `${p.name.replace(/_/g, " ")}${conf}`,
      });
      markers.push({
        time: times[to],
        position: bearish ? "aboveBar" : "belowBar",
        shape: bearish ? "arrowDown" : "arrowUp",
        color: colour,
        text: p.name.replace(/_/g, " "),
      });
    }
    if (patternRects.length) candles.attachPrimitive(new RangesPrimitive(patternRects, "normal"));
    markers.sort((a, b) => (a.time as number) - (b.time as number));
    if (markers.length) createSeriesMarkers(candles, markers);

    // indicator overlays (pane 0) and oscillators (own panes)
    let overlays = 0;
    let guides = 0;
    const named: { name: string; color: string; byTime: Map<number, number> }[] = [];
    for (const line of model.overlays) {
      const data = line.times
        .map((t, i) => ({ time: toTs(t), value: line.values[i] }))
        .filter((d): d is { time: UTCTimestamp; value: number } => d.value !== null);
      if (!data.length) continue;
      const opts = {
        color: line.color,
        lineWidth: 1 as const,
        lineStyle: line.dashed ? LineStyle.Dashed : LineStyle.Solid,
        priceLineVisible: false,
        lastValueVisible: line.pane > 0,
        title: line.label,
      };
      const series = line.histogram
        ? chart.addSeries(HistogramSeries, { color: line.color, priceLineVisible: false, title: line.label }, line.pane)
        : chart.addSeries(LineSeries, opts, line.pane);
      series.setData(data);
      for (const g of line.guides ?? []) {
        series.createPriceLine({
          price: g,
          color: "rgba(206, 147, 216, 0.6)",
          lineWidth: 1,
          lineStyle: LineStyle.Dashed,
          axisLabelVisible: true,
          title: "",
        });
        guides += 1;
      }
      named.push({
        name: line.name ?? line.label ?? line.key,
        color: line.color,
        byTime: new Map(data.map((d) => [d.time as number, d.value])),
      });
      overlays += 1;
    }

    // the forecast: median line continuing the last close, filled 95 % and 80 % bands
    let forecastPoints = 0;
    const fc = model.forecast;
    if (fc && fc.timestamps.length && bars.length) {
      const last = bars[bars.length - 1];
      const fTimes = [times[times.length - 1], ...fc.timestamps.map(toTs)] as Time[];
      const median = chart.addSeries(LineSeries, {
        color: "#42a5f5",
        lineWidth: 2,
        lineStyle: LineStyle.Solid,
        priceLineVisible: false,
        lastValueVisible: true,
        title: fc.title ?? "NHITS",
      });
      median.setData(fTimes.map((t, i) => ({ time: t, value: i ? fc.median[i - 1] : last.close })));
      const levels = [...fc.intervals].sort((a, b) => b.level - a.level);
      for (const band of levels) {
        const lower = [last.close, ...band.lower];
        const upper = [last.close, ...band.upper];
        median.attachPrimitive(
          new BandPrimitive(fTimes, lower, upper, BAND_FILLS[band.level] ?? "rgba(66,165,245,0.2)"),
        );
        // thin dashed edges, which also make the price scale include the band
        for (const edge of [lower, upper]) {
          chart
            .addSeries(LineSeries, {
              color: "rgba(66, 165, 245, 0.55)",
              lineWidth: 1,
              lineStyle: LineStyle.Dotted,
              priceLineVisible: false,
              lastValueVisible: false,
              crosshairMarkerVisible: false,
            })
            .setData(fTimes.map((t, i) => ({ time: t, value: edge[i] })));
        }
      }
      forecastPoints = fc.timestamps.length;
    }

    // the analysis' levels: entry, stop and targets as labelled horizontal lines
    let levels = 0;
    if (bars.length) {
      for (const lv of model.levels ?? []) {
        if (!Number.isFinite(lv.price)) continue;
        candles.createPriceLine({
          price: lv.price,
          color: lv.color,
          lineWidth: 1,
          lineStyle: lv.dashed ? LineStyle.Dashed : LineStyle.Solid,
          axisLabelVisible: true,
          title: lv.label,
        });
        levels += 1;
      }
    }

    // the crosshair readout: O/H/L/C and each named line's value at the bar pointed at
    if (this.onCrosshair) {
      const report = this.onCrosshair;
      const index = new Map(times.map((t, i) => [t as number, i]));
      chart.subscribeCrosshairMove((param) => {
        const i = param.time === undefined ? undefined : index.get(param.time as number);
        if (i === undefined) {
          report(null);
          return;
        }
        const values = named
          .map((n) => ({ name: n.name, color: n.color, value: n.byTime.get(times[i] as number) }))
          .filter((v): v is { name: string; color: string; value: number } => v.value !== undefined);
        report({ bar: bars[i], index: i, values });
      });
    }

    // show the newest ~200 bars (and the forecast) rather than squeezing thousands
    const visible = Math.min(bars.length, 200);
    if (bars.length) {
      chart.timeScale().setVisibleLogicalRange({
        from: bars.length - visible,
        to: bars.length + Math.max(4, forecastPoints + 2),
      });
    }

    this.stats = {
      bars: bars.length,
      overlays,
      forecastPoints,
      patterns: patternRects.length,
      regimes: regimeRects.length,
      panes: chart.panes().length,
      levels,
      guides,
    };
    return this.getStats();
  }
}
