// Analysis: the LLM's trade plan for a symbol (direction, levels, rationale, which inputs it
// used and which were missing) and a chat panel whose answer streams in as it is generated.
import { ApiError, postEvents } from "../api";
import { cfg, selection, setSelection, symbols } from "../config";
import { peopleText } from "../explain";
import { clear, field, fmtNumber, h, Panel, select, table } from "../dom";
import { llmClient, type llmApi } from "../contracts";
import type { Dispose } from "../router";
import * as svc from "../services";

type Analysis = llmApi.Analysis;
type InputStatus = llmApi.InputStatus;

export function analysisView(root: HTMLElement): Dispose {
  const sel = selection();
  const controller = new AbortController();

  // --- analysis ---------------------------------------------------------------------------
  const analysis = new Panel("LLM analysis", { id: "analysis" });
  const symbolSelect = select([sel.symbol], sel.symbol, { name: "symbol" });
  const tfSelect = select(cfg().timeframes, sel.timeframe, { name: "timeframe" });
  const go = h("button", { type: "submit", class: "primary" }, "Analyze");
  const form = h(
    "form",
    { class: "controls", "aria-label": "Analysis request" },
    field("Symbol", symbolSelect),
    field("Timeframe", tfSelect),
    go,
  );
  const result = h("div", { class: "analysis-result", "aria-live": "polite" });
  analysis.body.append(form, result);
  symbols()
    .then((list) => {
      clear(symbolSelect, list.map((s) => h("option", { value: s.symbol }, `${s.symbol} · ${s.name}`)));
      symbolSelect.value = list.some((s) => s.symbol === sel.symbol) ? sel.symbol : list[0]?.symbol ?? "";
      void offerTimeframes();
    })
    .catch((exc) => analysis.error(exc, "Symbols"));

  // only the timeframes the symbol has data for (the data service says which)
  async function offerTimeframes(): Promise<void> {
    const sym = symbolSelect.value;
    if (!sym) return;
    let names: string[];
    try {
      names = (await svc.timeframes(sym, controller.signal)).timeframes.map((t) => t.timeframe);
    } catch {
      return; // keep every timeframe: the analysis will say what is missing
    }
    if (sym !== symbolSelect.value) return;
    const keep = names.includes(tfSelect.value) ? tfSelect.value : names.includes(cfg().default_timeframe) ? cfg().default_timeframe : names[names.length - 1];
    clear(tfSelect, names.map((n) => h("option", { value: n }, n)));
    if (keep) tfSelect.value = keep;
    go.disabled = names.length === 0;
    if (!names.length) analysis.info(`${sym} has no data yet: import bars in Symbols & strategies first.`);
    else analysis.clearStatus();
  }
  symbolSelect.addEventListener("change", () => void offerTimeframes());

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    setSelection(symbolSelect.value, tfSelect.value);
    go.disabled = true;
    clear(result);
    const subject = `${symbolSelect.value} ${tfSelect.value}`;
    analysis.setSubject(subject);
    // one request does both stages; the elapsed time says how far it probably is
    const started = performance.now();
    const tick = () => {
      const s = (performance.now() - started) / 1000;
      const stage =
        s < 8
          ? "1/2 gathering the inputs (bars, indicators, forecast, patterns, regime, scores)"
          : "2/2 the model writes the plan (this takes longest on a CPU)";
      analysis.info(`Analysing ${subject}: ${stage} · ${s.toFixed(0)} s elapsed`);
    };
    tick();
    const timer = window.setInterval(tick, 1000);
    void analysis
      .run(async () => {
        try {
          const a = await llmClient.post(
            "/api/v1/analyze",
            { symbol: symbolSelect.value, timeframe: tfSelect.value as llmApi.Timeframe, include_prompt: false },
            { signal: controller.signal },
          );
          window.clearInterval(timer);
          analysis.ok(
            `Answered by ${a.backend} (${a.model}) in ${fmtNumber(a.gather_seconds + a.generation_seconds, 1)} s: ` +
              `inputs gathered in ${fmtNumber(a.gather_seconds, 1)} s, plan written in ${fmtNumber(a.generation_seconds, 1)} s, ${a.attempts} attempt(s).`,
          );
          svc.saveAnalysisLevels({
            symbol: a.symbol,
            timeframe: a.timeframe,
            direction: a.direction,
            entry: a.entry,
            stop_loss: a.stop_loss,
            take_profits: a.take_profits ?? [],
            at: new Date().toISOString(),
          });
          renderAnalysis(a);
        } catch (exc) {
          // a failed analysis still says which inputs it had gathered (problem extensions)
          if (exc instanceof ApiError && Array.isArray(exc.problem.inputs_missing)) {
            const p = exc.problem as { inputs_used?: string[]; inputs_missing: string[] };
            renderInputs(p.inputs_used ?? [], p.inputs_missing, {});
          }
          throw exc;
        }
      }, { what: "the analysis", symbol: symbolSelect.value, timeframe: tfSelect.value })
      .then(() => {
        window.clearInterval(timer);
        go.disabled = false;
        if (window.__tradingstack) window.__tradingstack.analysisDone = true;
      });
  });

  function chips(names: string[], cls: string, inputs: Record<string, InputStatus>): HTMLElement {
    return h(
      "ul",
      { class: "chips" },
      names.map((n) => {
        const raw = inputs[n]?.error ?? "";
        const untrained = /no (trained )?[\w ]*model|not trained/i.test(raw);
        // for people: no exception class, no "HTTP 404", no API paths (the raw text is the title)
        const text = untrained
          ? "no model trained yet"
          : peopleText(raw.replace(/^\w*(Problem|Error|Exception):\s*/, ""));
        return h(
          "li",
          { class: `chip ${cls}`, title: raw },
          n,
          text ? `: ${text}` : "",
          untrained ? [" · ", h("a", { href: "#/training" }, "train one")] : null,
        );
      }),
    );
  }

  function renderInputs(used: string[], missing: string[], inputs: Record<string, InputStatus>): void {
    result.append(
      h("h3", {}, "Inputs used"),
      used.length ? chips(used, "good", inputs) : h("p", {}, "none"),
      h("h3", {}, "Inputs missing"),
      missing.length ? chips(missing, "bad", inputs) : h("p", {}, "none: every input answered"),
    );
  }

  /** The evidence behind the call (the llm service's `signals`): what each input says, whether
   * it counted, and its measured quality. */
  function signalsOf(a: Analysis): HTMLElement | null {
    const signals = a.signals;
    if (!signals.length) return null;
    return h(
      "div",
      { class: "signals", "data-testid": "signals" },
      h("h3", {}, "Evidence"),
      a.decision_reason ? h("p", {}, a.decision_reason) : null,
      table(
        ["Input", "Says", "Counted", "Measured quality"],
        signals.map((sig) => {
          const q = sig.quality;
          return [
            sig.input,
            sig.reading || sig.vote,
            sig.counted ? "yes" : sig.has_edge ? "no" : "no: no demonstrated edge",
            q.length ? q.map((x) => x.summary).join("; ") : "not measured",
          ];
        }),
      ),
      a.rule ? h("p", { class: "muted" }, `Rule: ${a.rule}`) : null,
    );
  }

  function renderAnalysis(a: Analysis): void {
    clear(
      result,
      h(
        "p",
        { class: "direction" },
        h("span", { class: `badge dir-${a.direction}`, "data-testid": "direction" }, a.direction.toUpperCase()),
        ` confidence ${(a.confidence * 100).toFixed(0)} % · last close ${fmtNumber(a.last_close, 4)}`,
      ),
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "Entry"),
        h("dd", {}, fmtNumber(a.entry, 4)),
        h("dt", {}, "Stop loss"),
        h("dd", {}, fmtNumber(a.stop_loss, 4)),
        h("dt", {}, "Take profits"),
        h("dd", {}, a.take_profits.length ? a.take_profits.map((t) => fmtNumber(t, 4)).join(" · ") : "–"),
        h("dt", {}, "Risk/reward"),
        h("dd", {}, fmtNumber(a.risk_reward)),
      ),
      signalsOf(a),
      h("h3", {}, "Rationale"),
      h("p", { class: "rationale" }, a.rationale),
      a.rationale_note ? h("p", { class: "muted" }, a.rationale_note) : null,
      a.entry !== null
        ? h(
            "p",
            {},
            h("a", { href: `#/symbol/${encodeURIComponent(a.symbol)}/${a.timeframe}` }, "Show entry, stop and targets on the chart"),
          )
        : null,
    );
    renderInputs(a.inputs_used, a.inputs_missing, a.inputs);
  }

  // --- chat -------------------------------------------------------------------------------
  const chat = new Panel("Chat", { id: "chat" });
  let sessionId: string | null = null;
  const log = h("div", { class: "chat-log", role: "log", "aria-live": "polite", "aria-label": "Conversation" });
  const input = h("textarea", { rows: 3, name: "message", placeholder: "Ask about a market, a pattern, a regime …" });
  const ragBox = h("input", { type: "checkbox", name: "rag" });
  const send = h("button", { type: "submit", class: "primary" }, "Send");
  const stop = h("button", { type: "button", disabled: true }, "Stop");
  const reset = h("button", { type: "button" }, "New conversation");
  const chatForm = h(
    "form",
    { class: "chat-form", "aria-label": "Chat message" },
    field("Message", input, "Enter sends, Shift+Enter adds a line."),
    h("label", { class: "check" }, ragBox, "Use the knowledge base (RAG)"),
    h("div", { class: "row" }, send, stop, reset),
  );
  chat.body.append(log, chatForm);
  let streamCtl: AbortController | null = null;

  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey) {
      ev.preventDefault();
      chatForm.requestSubmit();
    }
  });
  reset.addEventListener("click", () => {
    sessionId = null;
    clear(log);
    chat.info("New conversation.");
  });
  stop.addEventListener("click", () => streamCtl?.abort());

  chatForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const message = input.value.trim();
    if (!message) {
      chat.error(new Error("Type a message first."));
      input.focus();
      return;
    }
    input.value = "";
    log.append(h("div", { class: "msg user" }, h("span", { class: "who" }, "You"), h("p", {}, message)));
    const replyText = h("p", {});
    const reply = h("div", { class: "msg assistant", "aria-busy": "true" }, h("span", { class: "who" }, "Assistant"), replyText);
    log.append(reply);
    log.scrollTop = log.scrollHeight;
    send.disabled = true;
    stop.disabled = false;
    chat.info("Streaming …");
    streamCtl = new AbortController();
    const body: Record<string, unknown> = { message, stream: true, rag: ragBox.checked };
    if (sessionId) body.session_id = sessionId;
    if (ragBox.checked) body.symbol = symbolSelect.value || undefined;
    void (async () => {
      let pieces = 0;
      try {
        for await (const ev of postEvents(svc.llm("/chat"), body, streamCtl!.signal)) {
          const payload = JSON.parse(ev.data) as Record<string, unknown>;
          if (ev.event === "session") sessionId = String(payload.session_id);
          else if (ev.event === "error") throw new ApiError(Number(payload.status ?? 502), { title: "Model error", detail: String(payload.detail ?? "") }, "chat");
          else if (ev.event === "done") sessionId = String(payload.session_id ?? sessionId);
          else if (typeof payload.delta === "string") {
            pieces += 1;
            replyText.textContent += payload.delta;
            log.scrollTop = log.scrollHeight;
          }
        }
        chat.ok(`Streamed in ${pieces} pieces.`);
        if (window.__tradingstack) window.__tradingstack.chatPieces = pieces;
      } catch (exc) {
        if (exc instanceof DOMException && exc.name === "AbortError") chat.info("Stopped.");
        else {
          chat.error(exc, "Chat");
          reply.classList.add("failed");
          if (!replyText.textContent) replyText.textContent = "(no answer)";
        }
      } finally {
        reply.removeAttribute("aria-busy");
        send.disabled = false;
        stop.disabled = true;
        streamCtl = null;
      }
    })();
  });

  const modelPanel = new Panel("Model", { id: "llm-model" });
  root.append(h("div", { class: "grid two" }, analysis.el, chat.el, modelPanel.el));
  void modelPanel
    .run(async () => {
      const m = await llmClient.get("/api/v1/model", { signal: controller.signal });
      clear(
        modelPanel.body,
        h(
          "dl",
          { class: "facts" },
          h("dt", {}, "Backend"),
          h("dd", {}, m.backend),
          h("dt", {}, "Model"),
          h("dd", {}, m.model),
          h("dt", {}, "Status"),
          h("dd", {}, m.status),
          h("dt", {}, "Max tokens"),
          h("dd", {}, String(m.max_tokens)),
        ),
      );
    }, "LLM service")
    .then(() => {
      if (window.__tradingstack) window.__tradingstack.ready = true;
    });

  return () => {
    controller.abort();
    streamCtl?.abort();
  };
}
