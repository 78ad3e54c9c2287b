// A job's row in the training view: what it trains, its state, a progress bar, its error and a
// cancel button while it runs.
import { h, progressBar } from "../../dom";

export function jobRow(
  label: string,
  percent: number,
  detail: string,
  status: string,
  error: string | null | undefined,
  cancel?: () => void,
): HTMLElement {
  return h(
    "div",
    { class: `job status-${status}`, "data-status": status },
    h("p", {}, h("strong", {}, label), ` ${status} · ${detail}`),
    progressBar(percent, `${label} progress`),
    error ? h("p", { class: "error-text" }, error) : null,
    cancel ? h("button", { type: "button", onclick: cancel }, `Cancel ${label}`) : null,
  );
}
