// Settings: the API token sent as `Authorization: Bearer` on mutating requests (kept in this
// browser's localStorage), and where the page reads service health from.
import { getToken, setToken } from "../api";
import { cfg } from "../config";
import { field, h, Panel } from "../dom";
import type { Dispose } from "../router";

export function settingsView(root: HTMLElement): Dispose {
  const tokenPanel = new Panel("API token", { id: "token" });
  const input = h("input", { type: "password", name: "token", autocomplete: "off", spellcheck: "false" });
  input.value = getToken();
  const show = h("input", { type: "checkbox", name: "show_token" });
  show.addEventListener("change", () => (input.type = show.checked ? "text" : "password"));
  const form = h(
    "form",
    { class: "stack" },
    field(
      "Token",
      input,
      "The stack's TS_API_TOKEN. Sent with every change (POST, PUT, PATCH, DELETE); stored only in this browser.",
    ),
    h("label", { class: "check" }, show, "Show the token"),
    h(
      "div",
      { class: "row" },
      h("button", { type: "submit", class: "primary" }, "Save token"),
      h(
        "button",
        {
          type: "button",
          onclick: () => {
            setToken("");
            input.value = "";
            tokenPanel.ok("Token cleared.");
          },
        },
        "Clear token",
      ),
    ),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    setToken(input.value.trim());
    tokenPanel.ok(input.value.trim() ? "Token saved in this browser." : "Token cleared.");
  });
  tokenPanel.body.append(form);

  const about = new Panel("About this dashboard", { id: "about" });
  const c = cfg();
  about.body.append(
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "ui service"),
      h("dd", {}, `v${c.version}`),
      h("dt", {}, "Health from"),
      h("dd", {}, `${c.status_url} (${c.status_source}; TS_UI_STATUS_URL)`),
      h("dt", {}, "Workloads"),
      h("dd", {}, c.workloads.map((w) => w.name).join(", ") || "–"),
    ),
  );
  root.append(h("div", { class: "grid two" }, tokenPanel.el, about.el));
  if (window.__tradingstack) window.__tradingstack.ready = true;
  return () => undefined;
}
