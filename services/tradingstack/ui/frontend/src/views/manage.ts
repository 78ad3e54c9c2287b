// Symbols and strategies: list, add, favourite, delete; import OHLCV bars from CSV; providers.
import { request, sendJson } from "../api";
import { cfg, symbols } from "../config";
import { clear, confirmButton, field, h, Panel, select, table } from "../dom";
import { dataClient, type dataApi } from "../contracts";
import type { Dispose } from "../router";
import * as svc from "../services";

type Strategy = dataApi.StrategyOut;

const CATEGORIES = ["forex", "crypto", "stock", "index", "commodity", "etf"];

const STRATEGY_TEMPLATE = {
  id: "my-strategy",
  name: "My strategy",
  description: "",
  type: "momentum",
  risk_level: "medium",
  indicator_weights: { rsi: 0.5, macd: 0.5 },
  thresholds: { rsi_overbought: 70, rsi_oversold: 30 },
  sl_atr_multiplier: 1.5,
  tp_atr_multipliers: [2.0, 3.0],
  preferred_timeframe: "H1",
};

export function manageView(root: HTMLElement): Dispose {
  const controller = new AbortController();
  const symPanel = new Panel("Symbols", {
    id: "symbols",
    wide: true,
    actions: [h("button", { type: "button", onclick: () => void loadSymbols() }, "Refresh")],
  });
  const addSym = new Panel("Add a symbol", { id: "add-symbol" });
  const importPanel = new Panel("Import bars from CSV", { id: "import" });
  const stratPanel = new Panel("Strategies", { id: "strategies", wide: true });
  const addStrat = new Panel("Add a strategy", { id: "add-strategy" });
  const provPanel = new Panel("Providers", { id: "providers" });
  root.append(
    h("div", { class: "grid two" }, symPanel.el, addSym.el, importPanel.el, stratPanel.el, addStrat.el, provPanel.el),
  );

  const importSymbol = select([], undefined, { name: "import_symbol" });

  async function loadSymbols(refresh = true): Promise<void> {
    await symPanel.run(async () => {
      const list = await symbols(refresh);
      symPanel.clearStatus();
      clear(
        symPanel.body,
        table(
          ["Symbol", "Name", "Category", "Providers", "Favourite", ""],
          list.map((s) => {
            const fav = h(
              "button",
              { type: "button", "aria-pressed": s.favourite ? "true" : "false", class: "toggle" },
              s.favourite ? "★ favourite" : "☆ mark",
            );
            fav.setAttribute("aria-label", `Favourite ${s.symbol}`);
            fav.addEventListener("click", () =>
              void symPanel.run(async () => {
                await sendJson(s.favourite ? "DELETE" : "PUT", svc.data(`/symbols/${encodeURIComponent(s.symbol)}/favourite`));
                await loadSymbols();
              }, "Favourite"),
            );
            return [
              h("a", { href: `#/symbol/${encodeURIComponent(s.symbol)}` }, h("strong", {}, s.symbol)),
              s.name,
              s.category,
              Object.keys(s.provider_symbols).join(", ") || "embedded",
              fav,
              confirmButton(`Delete ${s.symbol}`, () =>
                void symPanel.run(async () => {
                  await sendJson("DELETE", svc.data(`/symbols/${encodeURIComponent(s.symbol)}`));
                  await loadSymbols();
                  symPanel.ok(`Deleted ${s.symbol}.`);
                }, "Delete"),
              ),
            ];
          }),
        ),
      );
      const current = importSymbol.value;
      clear(importSymbol, list.map((s) => h("option", { value: s.symbol }, s.symbol)));
      if (current) importSymbol.value = current;
    }, "Symbols");
  }

  // add symbol
  const symInput = h("input", { type: "text", name: "symbol", required: true, pattern: "[A-Za-z0-9][A-Za-z0-9._\\-]{0,31}", autocomplete: "off" });
  const nameInput = h("input", { type: "text", name: "name", required: true, autocomplete: "off" });
  const catSelect = select(CATEGORIES, "stock", { name: "category" });
  const descInput = h("input", { type: "text", name: "description", autocomplete: "off" });
  const yahooInput = h("input", { type: "text", name: "yahoo", placeholder: "optional, e.g. AAPL", autocomplete: "off" });
  const symForm = h(
    "form",
    { class: "stack" },
    field("Symbol", symInput, "Upper-case letters, digits, . _ -"),
    field("Name", nameInput),
    field("Category", catSelect),
    field("Description", descInput),
    field("Yahoo spelling", yahooInput),
    h("button", { type: "submit", class: "primary" }, "Add symbol"),
  );
  addSym.body.append(symForm);
  symForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void addSym.run(async () => {
      const provider_symbols: Record<string, string> = {};
      if (yahooInput.value.trim()) provider_symbols.yahoo = yahooInput.value.trim();
      const out = await sendJson<{ symbol: string }>("POST", svc.data("/symbols"), {
        symbol: symInput.value.trim().toUpperCase(),
        name: nameInput.value.trim(),
        category: catSelect.value,
        description: descInput.value.trim(),
        provider_symbols,
      });
      addSym.ok(`Added ${out?.symbol}.`);
      symForm.reset();
      await loadSymbols();
    }, "Add symbol");
  });

  // import CSV
  const tfSelect = select(cfg().timeframes, "D1", { name: "import_timeframe" });
  const file = h("input", { type: "file", name: "file", accept: ".csv,text/csv", required: true });
  const importForm = h(
    "form",
    { class: "stack" },
    field("Symbol", importSymbol),
    field("Timeframe", tfSelect),
    field("CSV file", file, "Columns time (or date), open, high, low, close, volume; all or nothing."),
    h("button", { type: "submit", class: "primary" }, "Import"),
  );
  importPanel.body.append(importForm);
  importForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = file.files?.[0];
    if (!f) {
      importPanel.error(new Error("Choose a CSV file first."));
      return;
    }
    void importPanel.run(async () => {
      const body = new FormData();
      body.append("file", f, f.name);
      const resp = await request(svc.data(`/ohlcv/${encodeURIComponent(importSymbol.value)}/import`), {
        method: "POST",
        query: { timeframe: tfSelect.value },
        body,
      });
      const r = (await resp.json()) as dataApi.ImportResult;
      importPanel.ok(`Imported ${r.rows} ${r.timeframe} bars of ${r.symbol} (${r.first.slice(0, 10)} – ${r.last.slice(0, 10)}; ${r.replaced} replaced).`);
    }, "Import");
  });

  // strategies
  async function loadStrategies(): Promise<void> {
    await stratPanel.run(async () => {
      const list = await dataClient.get("/api/v1/strategies", { signal: controller.signal });
      stratPanel.clearStatus();
      clear(
        stratPanel.body,
        table(
          ["Strategy", "Type", "Risk", "Timeframe", "Weights", "Stop / targets (ATR)", ""],
          list.map((s) => [
            h("span", { title: s.description }, h("strong", {}, s.name), h("small", {}, ` ${s.id}`)),
            s.type.replace(/_/g, " "),
            s.risk_level,
            s.preferred_timeframe,
            Object.entries(s.indicator_weights)
              .map(([k, v]) => `${k} ${v}`)
              .join(", "),
            `${s.sl_atr_multiplier} / ${s.tp_atr_multipliers.join(", ")}`,
            confirmButton(`Delete ${s.id}`, () =>
              void stratPanel.run(async () => {
                await sendJson("DELETE", svc.data(`/strategies/${encodeURIComponent(s.id)}`));
                await loadStrategies();
                stratPanel.ok(`Deleted ${s.id}.`);
              }, "Delete"),
            ),
          ]),
        ),
      );
    }, "Strategies");
  }

  const json = h("textarea", { rows: 14, name: "strategy", spellcheck: "false", class: "mono" });
  json.value = JSON.stringify(STRATEGY_TEMPLATE, null, 2);
  const stratForm = h(
    "form",
    { class: "stack" },
    field("Strategy (JSON)", json, "Weights of known indicators summing to 1; targets ascending."),
    h("button", { type: "submit", class: "primary" }, "Add strategy"),
  );
  addStrat.body.append(stratForm);
  stratForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    let body: unknown;
    try {
      body = JSON.parse(json.value);
    } catch (exc) {
      addStrat.error(new Error(`Not valid JSON: ${(exc as Error).message}`));
      return;
    }
    void addStrat.run(async () => {
      const out = await sendJson<Strategy>("POST", svc.data("/strategies"), body);
      addStrat.ok(`Added ${out?.id}.`);
      await loadStrategies();
    }, "Add strategy");
  });

  async function loadProviders(): Promise<void> {
    await provPanel.run(async () => {
      const list = await dataClient.get("/api/v1/providers", { signal: controller.signal });
      clear(
        provPanel.body,
        table(
          ["Provider", "State", "Order", "Last error"],
          list.map((p) => [
            h("strong", {}, p.name),
            p.state ?? "no breaker",
            p.default_order_position !== undefined && p.default_order_position !== null ? String(p.default_order_position + 1) : "–",
            p.last_error ? h("span", { class: "error-text" }, p.last_error) : "",
          ]),
        ),
      );
    }, "Providers");
  }

  void Promise.all([loadSymbols(false), loadStrategies(), loadProviders()]).then(() => {
    if (window.__tradingstack) window.__tradingstack.ready = true;
  });
  return () => controller.abort();
}
