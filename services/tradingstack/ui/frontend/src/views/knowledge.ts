// Knowledge: the RAG service's documents (list, add, delete) and a similarity search.
import { sendJson } from "../api";
import { clear, confirmButton, field, fmtNumber, fmtTime, h, Panel, table } from "../dom";
import { ragClient, type ragApi } from "../contracts";
import type { Dispose } from "../router";
import * as svc from "../services";

export function knowledgeView(root: HTMLElement): Dispose {
  const controller = new AbortController();
  const docs = new Panel("Documents", {
    id: "documents",
    wide: true,
    actions: [h("button", { type: "button", onclick: () => void loadDocs() }, "Refresh")],
  });
  const add = new Panel("Add a document", { id: "add-document" });
  const search = new Panel("Search", { id: "search" });
  root.append(h("div", { class: "grid two" }, docs.el, add.el, search.el));

  const filter = h("input", { type: "text", name: "filter_symbol", placeholder: "e.g. BTCUSD", autocomplete: "off" });
  const filterForm = h(
    "form",
    { class: "controls" },
    field("Filter by symbol", filter),
    h("button", { type: "submit" }, "Filter"),
  );
  const docList = h("div", {});
  docs.body.append(filterForm, docList);
  filterForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void loadDocs();
  });

  async function loadDocs(): Promise<void> {
    await docs.run(async () => {
      const [list, stats] = await Promise.all([
        ragClient.get("/api/v1/documents", {
          query: { symbol: filter.value.trim().toUpperCase() || undefined, limit: 200 },
          signal: controller.signal,
        }),
        ragClient.get("/api/v1/index", { signal: controller.signal }),
      ]);
      docs.clearStatus();
      clear(
        docList,
        h("p", { class: "muted" }, `${stats.documents} documents, ${stats.chunks} chunks in a ${stats.index} index${stats.gpu ? " (GPU)" : ""}, embeddings by ${stats.model ?? "–"}. Showing ${list.items.length} of ${list.total}.`),
        list.items.length
          ? table(
              ["Symbol", "Source", "Published", "Chunks", "Characters", "Added", ""],
              list.items.map((d) => [
                d.symbol ?? "–",
                d.source ?? "–",
                d.time ? fmtTime(d.time) : "–",
                String(d.chunks),
                String(d.chars),
                fmtTime(d.created_at),
                confirmButton(`Delete ${d.source ?? "document"} ${d.id.slice(0, 8)}`, () => void remove(d.id)),
              ]),
            )
          : h("p", {}, "No documents yet: add one."),
      );
    }, "Documents");
    if (window.__tradingstack) window.__tradingstack.ready = true;
  }

  async function remove(id: string): Promise<void> {
    const ok = await docs.run(async () => {
      await sendJson("DELETE", svc.rag(`/documents/${encodeURIComponent(id)}`));
      return true;
    }, "Delete");
    if (ok) {
      await loadDocs();
      docs.ok(`Deleted ${id}.`);
    }
  }

  // add
  const text = h("textarea", { rows: 6, name: "text", required: true });
  const symbol = h("input", { type: "text", name: "symbol", placeholder: "optional, e.g. NVDA", autocomplete: "off" });
  const source = h("input", { type: "text", name: "source", placeholder: "optional, e.g. news", autocomplete: "off" });
  const addForm = h(
    "form",
    { class: "stack" },
    field("Text", text),
    field("Symbol", symbol),
    field("Source", source),
    h("button", { type: "submit", class: "primary" }, "Add document"),
  );
  add.body.append(addForm);
  addForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void add.run(async () => {
      const out = await ragClient.post("/api/v1/documents", {
        text: text.value,
        symbol: symbol.value.trim() || null,
        source: source.value.trim() || null,
      });
      if (!out) return;
      add.ok(out.duplicate ? `Already stored as ${out.id}.` : `Added ${out.id} (${out.chunks} chunks).`);
      text.value = "";
      await loadDocs();
    }, "Add");
  });

  // search
  const q = h("input", { type: "search", name: "query", required: true, autocomplete: "off" });
  const k = h("input", { type: "number", name: "k", min: 1, max: 20, value: 5 });
  const qSymbol = h("input", { type: "text", name: "query_symbol", placeholder: "optional", autocomplete: "off" });
  const hits = h("div", { "aria-live": "polite" });
  const searchForm = h(
    "form",
    { class: "stack" },
    field("Question or keywords", q),
    h("div", { class: "row" }, field("Results", k), field("Symbol", qSymbol)),
    h("button", { type: "submit", class: "primary" }, "Search"),
  );
  search.body.append(searchForm, hits);
  searchForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void search.run(async () => {
      const filters: Record<string, unknown> = {};
      if (qSymbol.value.trim()) filters.symbol = qSymbol.value.trim();
      const r = await sendJson<ragApi.QueryResponse>("POST", svc.rag("/query"), {
        text: q.value,
        k: Number(k.value) || 5,
        filters,
      });
      if (!r) return;
      search.ok(`${r.results.length} results of ${r.matched} matching chunks (${r.exact ? "exact" : "approximate"} ${r.index}).`);
      clear(
        hits,
        h(
          "ol",
          { class: "hits" },
          r.results.map((hit) =>
            h(
              "li",
              {},
              h("p", { class: "muted" }, `score ${fmtNumber(hit.score, 3)} · ${hit.symbol ?? "–"} · ${hit.source ?? "–"} · chunk ${hit.chunk}`),
              h("p", {}, hit.text),
            ),
          ),
        ),
      );
    }, "Search");
  });

  void loadDocs();
  return () => controller.abort();
}
