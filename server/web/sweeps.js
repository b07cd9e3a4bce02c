// The sweeps list: status, searcher, metric, trials done of all, best metric, age; polled
// every 2 s.

import { api, ApiError } from "./api.js";
import { age, fmt, h, messageArea, replace, statusBadge, table } from "./ui.js";

const POLL_MS = 2000;
const FINISHED_TRIALS = ["succeeded", "stopped_early", "failed", "cancelled"];

/** How many of a sweep's trials ended, out of how many it runs at most. */
export function trialsDone(sweep) {
  const counts = sweep.counts || {};
  const done = FINISHED_TRIALS.reduce((sum, status) => sum + (counts[status] || 0), 0);
  return `${done} of ${sweep.max_trials}`;
}

/** The metric and its direction, e.g. "val_accuracy (max)". */
export function goal(sweep) {
  return `${sweep.metric} (${sweep.mode})`;
}

export function renderSweeps(main) {
  const error = messageArea();
  const list = h("div", { id: "sweeps-list", "aria-live": "polite", "aria-busy": "true" });
  replace(
    main,
    h("div", { class: "page-head" }, h("h1", {}, "Sweeps")),
    h(
      "p",
      { class: "help" },
      "Hyperparameter searches; every trial is a job. Start one with `horn sweep submit` or POST /v1/sweeps (docs/experiments.md).",
    ),
    error,
    list,
  );

  let timer = null;
  let stopped = false;
  let shown = null;
  async function refresh() {
    try {
      const page = await api("GET", "/v1/sweeps?limit=100");
      if (stopped) return;
      error.show("");
      list.setAttribute("aria-busy", "false");
      // Redraw only when something changed, so keyboard focus in the list survives a poll.
      const signature = JSON.stringify(
        page.items.map((s) => [s.id, s.name, s.status, s.counts, s.best_trial && s.best_trial.best_metric]),
      );
      const now = Date.now();
      if (signature === shown) {
        for (const time of list.querySelectorAll("time")) time.textContent = age(time.getAttribute("datetime"), now);
      } else if (!page.items.length) {
        shown = signature;
        replace(list, h("p", { class: "muted" }, "No sweeps yet."));
      } else {
        shown = signature;
        replace(
          list,
          table(
            "Sweeps",
            ["Sweep", "Status", "Searcher", "Metric", "Trials done", "Best", "Created"],
            page.items.map((sweep) => ({
              attrs: { dataset: { sweepId: sweep.id, status: sweep.status } },
              cells: [
                h("a", { href: `#/sweeps/${sweep.id}` }, sweep.name || sweep.id),
                statusBadge(sweep.status),
                sweep.searcher ? sweep.searcher.name : "–",
                goal(sweep),
                trialsDone(sweep),
                sweep.best_trial ? fmt(sweep.best_trial.best_metric) : "–",
                h("time", { datetime: sweep.created_at, title: new Date(sweep.created_at).toLocaleString() }, age(sweep.created_at, now)),
              ],
            })),
          ),
        );
      }
    } catch (caught) {
      if (stopped) return;
      error.show(caught instanceof ApiError ? caught.message : `Could not load the sweeps: ${caught.message}`);
    }
    if (!stopped) timer = setTimeout(refresh, POLL_MS);
  }
  refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
