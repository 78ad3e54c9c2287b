// A few DOM helpers: no framework, real elements (buttons, labels, links) for keyboard use.
import { explain, type ErrorContext } from "./explain";

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "class") {
      el.className = String(value);
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

let uid = 0;
export function nextId(prefix: string): string {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** A labelled form control: <label for=id>text</label><control id=id>. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = control.id || nextId("f");
  control.id = id;
  const hintEl = hint ? h("small", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hintEl);
}

export function select(
  options: (string | [string, string])[],
  value?: string,
  attrs: Attrs = {},
): HTMLSelectElement {
  const el = h("select", attrs);
  for (const opt of options) {
    const [val, text] = Array.isArray(opt) ? opt : [opt, opt];
    const o = h("option", { value: val }, text);
    if (val === value) o.selected = true;
    el.append(o);
  }
  return el;
}

/** A section of a view with its own status line: its errors never break the others. */
export class Panel {
  readonly el: HTMLElement;
  readonly body: HTMLElement;
  readonly status: HTMLElement;
  private readonly subjectEl: HTMLElement;

  constructor(title: string, opts: { id?: string; actions?: HTMLElement[]; wide?: boolean } = {}) {
    const headingId = nextId("h");
    this.status = h("div", { class: "status", role: "status", "aria-live": "polite" });
    this.body = h("div", { class: "panel-body" });
    this.subjectEl = h("span", { class: "subject" });
    this.el = h(
      "section",
      {
        class: `panel${opts.wide ? " wide" : ""}`,
        "aria-labelledby": headingId,
        id: opts.id,
        "data-panel": opts.id,
      },
      h("header", {}, h("h2", { id: headingId }, title, this.subjectEl), h("div", { class: "actions" }, opts.actions)),
      this.status,
      this.body,
    );
  }

  /** Name what the panel shows ("BTCUSD H1") in its heading and in data-subject. */
  setSubject(text: string): void {
    clear(this.subjectEl, text ? ` · ${text}` : "");
    if (text) this.el.dataset.subject = text;
    else delete this.el.dataset.subject;
  }

  /** Empty the panel (body and status) for a new selection. */
  reset(subject?: string): void {
    clear(this.body);
    clear(this.status);
    if (subject !== undefined) this.setSubject(subject);
  }

  /** Show an error in place (role=alert), for people: what happened and what fixes it. */
  error(exc: unknown, ctx?: string | ErrorContext): void {
    const context = typeof ctx === "string" ? {} : (ctx ?? {}); // a string: the prefix only
    const e = explain(exc, context);
    const prefix = typeof ctx === "string" ? `${ctx}: ` : "";
    clear(
      this.status,
      h(
        "div",
        { class: "error", role: "alert" },
        h("span", { class: "error-text" }, `${prefix}${e.text}`),
        e.actions.length
          ? h(
              "span",
              { class: "fixes" },
              e.actions.map((a) =>
                a.href
                  ? h("a", { href: a.href, class: "fix" }, a.label)
                  : h("button", { type: "button", class: "fix", onclick: () => a.run?.() }, a.label),
              ),
            )
          : null,
        e.technical
          ? h("details", { class: "technical" }, h("summary", {}, "Technical details"), h("code", {}, e.technical))
          : null,
      ),
    );
  }

  info(text: string): void {
    clear(this.status, h("p", { class: "info" }, text));
  }

  ok(text: string): void {
    clear(this.status, h("p", { class: "ok" }, text));
  }

  clearStatus(): void {
    clear(this.status);
  }

  /** Run `work` with a busy marker; any error lands in the status line. */
  /** `signal`: once aborted (a newer selection), a late error is not shown. */
  async run<T>(
    work: () => Promise<T>,
    prefix?: string | ErrorContext,
    signal?: AbortSignal,
  ): Promise<T | undefined> {
    this.el.setAttribute("aria-busy", "true");
    try {
      const out = await work();
      return out;
    } catch (exc) {
      if (exc instanceof DOMException && exc.name === "AbortError") return undefined;
      if (signal?.aborted) return undefined;
      this.error(exc, prefix);
      return undefined;
    } finally {
      this.el.removeAttribute("aria-busy");
    }
  }
}

export function fmtNumber(v: unknown, digits = 2): string {
  if (typeof v !== "number" || !Number.isFinite(v)) return "–";
  const abs = Math.abs(v);
  if (abs !== 0 && (abs >= 1e6 || abs < 1e-3)) return v.toExponential(2);
  return v.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function fmtPercent(v: unknown, digits = 1): string {
  return typeof v === "number" && Number.isFinite(v) ? `${v.toFixed(digits)} %` : "–";
}

export function fmtBytes(v: unknown): string {
  if (typeof v !== "number" || !Number.isFinite(v)) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let x = v;
  let i = 0;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i += 1;
  }
  return `${x.toFixed(i ? 1 : 0)} ${units[i]}`;
}

export function fmtDuration(seconds: unknown): string {
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) return "–";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

export function fmtTime(v: unknown): string {
  if (typeof v !== "string" && typeof v !== "number") return "–";
  const d = typeof v === "number" ? new Date(v * 1000) : new Date(v);
  if (Number.isNaN(d.getTime())) return String(v);
  return d.toISOString().replace("T", " ").replace(/:\d\d(\.\d+)?Z$/, " UTC");
}

/** A progress bar a screen reader can read (role=progressbar with its value). */
export function progressBar(percent: number, label: string): HTMLElement {
  const p = Math.max(0, Math.min(100, percent));
  const bar = h(
    "div",
    {
      class: "progress",
      role: "progressbar",
      "aria-valuemin": 0,
      "aria-valuemax": 100,
      "aria-valuenow": p,
      "aria-label": label,
    },
    h("div", { class: "progress-fill", style: `width: ${p}%` }),
  );
  return bar;
}

export function table(headers: string[], rows: (Child | Child[])[][], caption?: string): HTMLElement {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      {},
      caption ? h("caption", {}, caption) : null,
      h("thead", {}, h("tr", {}, headers.map((t) => h("th", { scope: "col" }, t)))),
      h(
        "tbody",
        {},
        rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c)))),
      ),
    ),
  );
}

/** A delete button that asks once more (no modal dialog): first press arms, second deletes. */
export function confirmButton(label: string, onConfirm: () => void): HTMLButtonElement {
  const btn = h("button", { type: "button", class: "danger" }, label);
  let armed = false;
  let timer: number | undefined;
  btn.addEventListener("click", () => {
    if (!armed) {
      armed = true;
      btn.textContent = "Confirm?";
      btn.setAttribute("aria-label", `Confirm: ${label}`);
      timer = window.setTimeout(() => {
        armed = false;
        btn.textContent = label;
        btn.removeAttribute("aria-label");
      }, 5000);
      return;
    }
    window.clearTimeout(timer);
    btn.disabled = true;
    onConfirm();
  });
  return btn;
}
