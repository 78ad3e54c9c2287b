// The dashboard shell: header navigation (real links), hash routing, one view at a time.
import "./style.css";
import { cfg, cfgError, loadConfig } from "./config";
import { clear, h } from "./dom";
import { analysisView } from "./views/analysis";
import { knowledgeView } from "./views/knowledge";
import { manageView } from "./views/manage";
import { overviewView } from "./views/overview";
import { settingsView } from "./views/settings";
import { symbolView } from "./views/symbol";
import { trainingView } from "./views/training";

export type Dispose = () => void;
export type View = (root: HTMLElement, args: string[]) => Dispose | void;

interface Route {
  path: string;
  title: string;
  view: View;
}

const ROUTES: Route[] = [
  { path: "overview", title: "Overview", view: overviewView },
  { path: "symbol", title: "Chart", view: symbolView },
  { path: "analysis", title: "Analysis", view: analysisView },
  { path: "knowledge", title: "Knowledge", view: knowledgeView },
  { path: "training", title: "Training", view: trainingView },
  { path: "manage", title: "Symbols & strategies", view: manageView },
  { path: "settings", title: "Settings", view: settingsView },
];

declare global {
  interface Window {
    __tradingstack?: { view: string; ready: boolean; [key: string]: unknown };
  }
}

let dispose: Dispose | void;

function parseHash(): { route: Route; args: string[] } {
  const raw = location.hash.startsWith("#/") ? location.hash.slice(2) : "";
  const [first, ...args] = raw.split("/").map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p; // a lone "%" in a typed address
    }
  });
  const path = (first ?? "").toLowerCase(); // #/Symbol/nvda/d1 is #/symbol/NVDA/D1
  const route = ROUTES.find((r) => r.path === path) ?? ROUTES[0];
  return { route, args: route.path === path ? args.filter(Boolean) : [] };
}

function render(main: HTMLElement, nav: HTMLElement): void {
  const { route, args } = parseHash();
  if (dispose) dispose();
  dispose = undefined;
  window.__tradingstack = { view: route.path, ready: false };
  for (const a of nav.querySelectorAll("a")) {
    if (a.dataset.route === route.path) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  document.title = `${route.title} · TradingStack`;
  clear(main, h("h1", { class: "view-title" }, route.title));
  // a new view starts at its top (the previous one's scroll hid the new view's messages)
  window.scrollTo(0, 0);
  const problem = cfgError();
  if (problem) {
    main.append(
      h("p", { class: "error", role: "alert" }, `The ui service's /config.json failed (${problem}); using defaults.`),
    );
  }
  const root = h("div", { class: `view view-${route.path}` });
  main.append(root);
  try {
    dispose = route.view(root, args);
  } catch (exc) {
    root.append(h("p", { class: "error", role: "alert" }, `This view failed: ${exc}`));
  }
}

async function start(): Promise<void> {
  await loadConfig();
  const app = document.getElementById("app")!;
  const nav = h(
    "nav",
    { "aria-label": "Main" },
    h(
      "ul",
      {},
      ROUTES.map((r) =>
        h("li", {}, h("a", { href: `#/${r.path}`, "data-route": r.path }, r.title)),
      ),
    ),
  );
  const main = h("main", { id: "main", tabindex: "-1" });
  const skip = h(
    "button",
    {
      class: "skip-link",
      type: "button",
      onclick: () => main.focus(),
    },
    "Skip to content",
  );
  clear(
    app,
    skip,
    h(
      "header",
      { class: "topbar" },
      h("a", { class: "brand", href: "#/overview" }, h("span", { "aria-hidden": "true" }, "◆ "), "TradingStack"),
      nav,
      h("span", { class: "version", title: "ui service version" }, `v${cfg().version}`),
    ),
    main,
  );
  window.addEventListener("hashchange", () => {
    if (!location.hash.startsWith("#/") && location.hash !== "") return;
    render(main, nav);
    main.focus({ preventScroll: true });
  });
  render(main, nav);
}

void start();
