// The dashboard's shell and router: header navigation (real links), hash routing, one view at a
// time. It owns the view contract (`View`, `Dispose`, `Route`); each view module implements it
// and main.ts lists them, so no view depends on main.ts or on another view for its types.
import { cfg, cfgError } from "./config";
import { clear, h } from "./dom";

/** What a view returns: called when the page moves to another view (stop timers, requests). */
export type Dispose = () => void;
/** A view renders into `root`; `args` are the route's parts after its name (`#/symbol/X/H1`). */
export type View = (root: HTMLElement, args: string[]) => Dispose | void;

export interface Route {
  path: string;
  title: string;
  view: View;
}

/** What the page tells the browser tests (and anyone curious) about the view on screen. */
export interface PageState {
  view: string;
  ready: boolean;
  [key: string]: unknown;
}

declare global {
  interface Window {
    __tradingstack?: PageState;
  }
}

/** Set a fact about the current view (`ready`, `subject`, ...), if a view is on screen. */
export function pageState(key: string, value: unknown): void {
  if (window.__tradingstack) window.__tradingstack[key] = value;
}

export function markReady(): void {
  pageState("ready", true);
}

export function parseHash(routes: Route[], hash: string): { route: Route; args: string[] } {
  const raw = hash.startsWith("#/") ? hash.slice(2) : "";
  const [first, ...args] = raw.split("/").map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p; // a lone "%" in a typed address
    }
  });
  const path = (first ?? "").toLowerCase(); // #/Symbol/nvda/d1 is #/symbol/NVDA/D1
  const route = routes.find((r) => r.path === path) ?? routes[0];
  return { route, args: route.path === path ? args.filter(Boolean) : [] };
}

/** Build the shell into #app and render the view the address names (and each one after). */
export function startRouter(routes: Route[]): void {
  let dispose: Dispose | void;
  const app = document.getElementById("app")!;
  const nav = h(
    "nav",
    { "aria-label": "Main" },
    h(
      "ul",
      {},
      routes.map((r) => h("li", {}, h("a", { href: `#/${r.path}`, "data-route": r.path }, r.title))),
    ),
  );
  const main = h("main", { id: "main", tabindex: "-1" });
  const skip = h("button", { class: "skip-link", type: "button", onclick: () => main.focus() }, "Skip to content");
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

  function render(): void {
    const { route, args } = parseHash(routes, location.hash);
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

  window.addEventListener("hashchange", () => {
    if (!location.hash.startsWith("#/") && location.hash !== "") return;
    render();
    main.focus({ preventScroll: true });
  });
  render();
}
