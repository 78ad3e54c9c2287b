// Overview: health of every workload (from TS_UI_STATUS_URL: the local health loop's /_status,
// or the operator's status API in a cluster), latency, training in progress, and each service's
// CPU, memory and GPU from its /api/v1/system/metrics.
import { ApiError, errorText, getJson } from "../api";
import { cfg, prefixOf, type WorkloadInfo } from "../config";
import {
  clear,
  fmtBytes,
  fmtDuration,
  fmtNumber,
  fmtPercent,
  h,
  Panel,
  progressBar,
  table,
} from "../dom";
import { PreparingPanel } from "../panels/preparing";
import type { Dispose } from "../router";
import type { nhitsApi } from "../contracts";

export interface ServiceStatus {
  name: string;
  healthy: boolean;
  status: string;
  version?: string | null;
  uptime_seconds?: number | null;
  training_in_progress?: boolean;
  latency_seconds?: number | null;
  error?: string | null;
  checked_at?: string | null;
}

interface StatusDoc {
  source?: string;
  interval_seconds?: number;
  last_sweep?: number | null;
  services: Record<string, ServiceStatus>;
}

/** Read the local loop's {services: {name: probe}} and the operator's status API: one stack
 * (`/status/<ns>/<name>`: {services: [{name, ready, health, latencySeconds, ...}]}) or all of
 * them (`/status`: {stacks: [...]}, the first one is shown). */
export function normaliseStatus(raw: unknown): StatusDoc {
  let doc = (raw ?? {}) as Record<string, unknown>;
  let source: string | undefined;
  if (Array.isArray(doc.stacks)) {
    const first = (doc.stacks[0] ?? {}) as Record<string, unknown>;
    doc = first;
  }
  if (typeof doc.namespace === "string" && typeof doc.name === "string") {
    source = `operator status API, TradingStack ${doc.namespace}/${doc.name}`;
  }
  const services: Record<string, ServiceStatus> = {};
  const src = (doc.services ?? doc.workloads ?? doc) as unknown;
  const entries: [string, unknown][] = Array.isArray(src)
    ? src.map((s) => [String((s as Record<string, unknown>).name ?? "?"), s])
    : Object.entries((src ?? {}) as Record<string, unknown>);
  for (const [name, value] of entries) {
    if (!value || typeof value !== "object") continue;
    const v = value as Record<string, unknown>;
    if (!("healthy" in v) && !("status" in v) && !("ready" in v)) continue;
    if (v.enabled === false) continue;
    const healthy = Boolean(v.healthy ?? v.ready ?? v.status === "healthy");
    const status = String(v.status ?? v.health ?? (healthy ? "healthy" : "unhealthy"));
    const text = (k: string[]) => k.map((x) => v[x]).find((x) => typeof x === "string" && x) as string | undefined;
    const num = (k: string[]) => k.map((x) => v[x]).find((x) => typeof x === "number") as number | undefined;
    services[name] = {
      name,
      healthy,
      status,
      version: text(["version"]) ?? null,
      uptime_seconds: num(["uptime_seconds", "uptimeSeconds"]) ?? null,
      training_in_progress: Boolean(v.training_in_progress ?? v.trainingInProgress),
      latency_seconds: num(["latency_seconds", "latencySeconds"]) ?? null,
      error: text(["error", "healthMessage", "message"]) ?? null,
      checked_at: text(["checked_at", "lastProbeTime"]) ?? null,
    };
  }
  const lastCheck = typeof doc.lastHealthCheck === "string" ? Date.parse(doc.lastHealthCheck) / 1000 : null;
  return {
    source: (doc.source as string) ?? source ?? cfg().status_source,
    interval_seconds: doc.interval_seconds as number | undefined,
    last_sweep: (doc.last_sweep as number) ?? lastCheck,
    services,
  };
}

function badge(status: string, healthy: boolean): HTMLElement {
  const quiet = ["not running", "not built", "cluster only"].includes(status);
  const cls = healthy ? (status === "degraded" ? "warn" : "good") : quiet ? "muted" : "bad";
  return h("span", { class: `badge ${cls}` }, status);
}

export function overviewView(root: HTMLElement): Dispose {
  const health = new Panel("Service health", {
    id: "health",
    actions: [h("button", { type: "button", onclick: () => void refresh() }, "Refresh")],
    wide: true,
  });
  const training = new Panel("Training in progress", { id: "training-now" });
  const metrics = new Panel("CPU, memory and GPU", { id: "system", wide: true });
  const preparing = new PreparingPanel({ alwaysShown: true });
  root.append(h("div", { class: "grid" }, preparing.el, health.el, training.el, metrics.el));
  void preparing.start();

  const controller = new AbortController();
  let timer: number | undefined;

  async function refresh(): Promise<void> {
    window.clearTimeout(timer);
    const url = cfg().status_url;
    let status: StatusDoc | null = null;
    await health.run(async () => {
      status = normaliseStatus(await getJson(url, { signal: controller.signal }));
      health.clearStatus();
    }, `Status from ${url}`);
    renderHealth(status);
    renderTraining(status);
    await renderMetrics(status);
    if (window.__tradingstack) window.__tradingstack.ready = true;
    if (!controller.signal.aborted) timer = window.setTimeout(() => void refresh(), 10_000);
  }

  function renderHealth(status: StatusDoc | null): void {
    const rows = cfg().workloads.map((w: WorkloadInfo) => {
      const s = status?.services[w.name];
      const state = s
        ? badge(s.status, s.healthy)
        : badge(!w.local ? "cluster only" : w.implemented ? "not running" : "not built", false);
      return [
        h("span", { class: "svc" }, h("strong", {}, w.name), h("small", {}, w.description)),
        state,
        s?.latency_seconds != null ? `${(s.latency_seconds * 1000).toFixed(1)} ms` : "–",
        s?.uptime_seconds != null ? fmtDuration(s.uptime_seconds) : "–",
        s?.training_in_progress ? h("span", { class: "badge warn" }, "training") : "–",
        w.gpu ? "yes" : "no",
        s?.error ? h("span", { class: "error-text" }, s.error) : "",
      ];
    });
    const when =
      status?.last_sweep != null
        ? `last sweep ${fmtDuration(Date.now() / 1000 - status.last_sweep)} ago`
        : "";
    clear(
      health.body,
      h("p", { class: "muted" }, `Source: ${status?.source ?? cfg().status_source} (${cfg().status_url}) ${when}`),
      table(["Service", "Status", "Latency", "Uptime", "Training", "GPU", "Error"], rows),
    );
  }

  function renderTraining(status: StatusDoc | null): void {
    const busy = Object.values(status?.services ?? {}).filter((s) => s.training_in_progress);
    clear(
      training.body,
      busy.length
        ? h("p", {}, `Training now: ${busy.map((s) => s.name).join(", ")}`)
        : h("p", { class: "muted" }, "No service reports training in progress."),
      h("p", {}, h("a", { href: "#/training" }, "Open the Training view")),
    );
  }

  async function renderMetrics(status: StatusDoc | null): Promise<void> {
    const routed = cfg().workloads.filter((w) => w.prefix !== null);
    const rows = await Promise.all(
      routed.map(async (w) => {
        if (status && !status.services[w.name]) {
          return [h("strong", {}, w.name), h("span", { class: "muted" }, "not running"), "", ""];
        }
        try {
          const m = await getJson<nhitsApi.SystemMetrics>(`${prefixOf(w.name)}/api/v1/system/metrics`, {
            signal: controller.signal,
          });
          const gpu = m.gpu.available
            ? m.gpu.devices.map((d) =>
                h(
                  "div",
                  {},
                  `${d.name}: ${fmtPercent(d.utilization_percent)} busy, ${fmtBytes(d.memory_used_bytes)} / ${fmtBytes(d.memory_total_bytes)}`,
                ),
              )
            : h("span", { class: "muted", title: m.gpu.error ?? "" }, "no GPU");
          return [
            h("strong", {}, w.name),
            h(
              "div",
              {},
              progressBar(m.cpu.percent, `${w.name} CPU`),
              `${fmtPercent(m.cpu.percent)} of ${m.cpu.cores_logical} cores` +
                (m.cpu.temperature_celsius != null ? `, ${fmtNumber(m.cpu.temperature_celsius, 0)} °C` : ""),
              m.cpu.load_average
                ? h("small", { class: "muted wide-only" }, ` · load ${m.cpu.load_average.map((x) => fmtNumber(x)).join(" ")}`)
                : null,
            ),
            h(
              "div",
              {},
              progressBar(m.memory.percent, `${w.name} memory`),
              `${fmtBytes(m.memory.used_bytes)} / ${fmtBytes(m.memory.total_bytes)}`,
            ),
            gpu,
          ];
        } catch (exc) {
          if (exc instanceof DOMException) return [w.name, "", "", ""];
          const text = exc instanceof ApiError ? exc.summary : errorText(exc);
          return [h("strong", {}, w.name), h("span", { class: "error-text", role: "alert" }, text), "", ""];
        }
      }),
    );
    clear(metrics.body, table(["Service", "CPU", "Memory", "GPU"], rows));
  }

  void refresh();
  return () => {
    controller.abort();
    preparing.stop();
    window.clearTimeout(timer);
  };
}

