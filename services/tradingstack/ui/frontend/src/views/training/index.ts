// Training: the models being prepared, NHITS training with its jobs and models, the TCN pattern
// model and the HMM regime and scoring models, each panel in its own module; jobs are polled
// (every second while one runs) and the models re-read when a run finishes.
import { h } from "../../dom";
import { PreparingPanel } from "../../panels/preparing";
import { pageState, markReady, type Dispose } from "../../router";
import { HmmPanel } from "./hmm";
import { NhitsPanels } from "./nhits";
import { TcnPanel } from "./tcn";

export function trainingView(root: HTMLElement): Dispose {
  const controller = new AbortController();
  const signal = controller.signal;
  let timer: number | undefined;
  let hmmBusy = false; // the scoring list is re-read when the hmm's jobs end
  const preparing = new PreparingPanel({
    onJobs: (active) => {
      const busy = active.some((j) => j.service === "hmm");
      if (hmmBusy && !busy) void hmm.loadScoring();
      hmmBusy = busy;
    },
  });
  const nhits = new NhitsPanels(signal, () => void poll());
  const tcn = new TcnPanel(signal, () => ({ symbol: nhits.symbolSelect.value, timeframe: nhits.tfSelect.value }), () => void poll());
  const hmm = new HmmPanel(signal, () => void preparing.start());
  root.append(
    h("div", { class: "grid two" }, preparing.el, nhits.start.el, nhits.jobs.el, tcn.panel.el, nhits.models.el, hmm.panel.el),
  );

  let lastActive = false;
  async function poll(): Promise<void> {
    window.clearTimeout(timer);
    const [a, b] = await Promise.all([nhits.pollJobs(), tcn.pollJobs()]);
    const active = a || b;
    if (lastActive && !active) {
      void nhits.loadModels();
      void tcn.loadModel();
    }
    lastActive = active;
    pageState("trainingActive", active);
    if (!signal.aborted) timer = window.setTimeout(() => void poll(), active ? 1000 : 5000);
  }

  void preparing.start();
  void Promise.all([poll(), nhits.loadModels(), tcn.loadModel(), hmm.loadScoring()]).then(markReady);
  return () => {
    controller.abort();
    preparing.stop();
    window.clearTimeout(timer);
  };
}
