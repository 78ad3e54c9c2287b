// The watchlist panel: favourites with their last price and change (their coarsest timeframe
// with data, D1 when they have it), each a link to its chart.
import { clear, fmtNumber, h, Panel, table } from "../../dom";
import * as svc from "../../services";

export function watchlistPanel(): Panel {
  return new Panel("Watchlist", { id: "watchlist" });
}

interface Row {
  sym: string;
  tf: string;
  last?: number;
  pct?: number | null;
  text?: string;
}

export async function loadWatchlist(panel: Panel, favs: string[], signal: AbortSignal): Promise<void> {
  if (!favs.length) {
    clear(
      panel.body,
      h("p", { class: "muted" }, "No favourites yet. ", h("a", { href: "#/manage" }, "Star symbols in Symbols & strategies"), "."),
    );
    return;
  }
  panel.info(`Loading ${favs.length} favourites …`);
  const rows = await Promise.all(
    favs.map(async (sym): Promise<Row | null> => {
      try {
        const tfs = (await svc.timeframes(sym, signal)).timeframes.map((t) => t.timeframe);
        const tf = tfs.includes("D1") ? "D1" : tfs[tfs.length - 1];
        if (!tf) return { sym, tf: "", text: "no data" };
        const b = (await svc.ohlcv(sym, tf, 2, signal)).bars;
        const last = b[b.length - 1];
        const prev = b[b.length - 2];
        const pct = prev && prev.close ? ((last.close - prev.close) / prev.close) * 100 : null;
        return { sym, tf, last: last.close, pct };
      } catch {
        if (signal.aborted) return null;
        return { sym, tf: "", text: "unavailable" };
      }
    }),
  );
  if (signal.aborted) return;
  panel.clearStatus();
  clear(
    panel.body,
    table(
      ["Symbol", "Last", "Change", "Bars"],
      rows
        .filter((r): r is Row => r !== null)
        .map((r) => [
          h("a", { href: `#/symbol/${encodeURIComponent(r.sym)}${r.tf ? `/${r.tf}` : ""}` }, h("strong", {}, r.sym)),
          r.last !== undefined ? fmtNumber(r.last, 4) : (r.text ?? "–"),
          r.pct !== null && r.pct !== undefined
            ? h("span", { class: r.pct >= 0 ? "up" : "down" }, `${r.pct >= 0 ? "+" : ""}${r.pct.toFixed(2)} %`)
            : "–",
          r.tf || "–",
        ]),
    ),
  );
}
