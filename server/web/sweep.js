// A sweep's page: status, searcher and goal, cancel; its trials as a sortable table and as a
// scatter of a hyperparameter against the metric. Polled every 2 s while the sweep runs.

import { api, ApiError } from "./api.js";
import { ScatterChart } from "./chart.js";
import { goal, trialsDone } from "./sweeps.js";
import { fmt, h, messageArea, replace, statusBadge, table, TERMINAL, when } from "./ui.js";

const POLL_MS = 2000;
// The comparison of a sweep's trials draws at most this many (the first that reported).
const MAX_COMPARED = 12;
const COUNTED = ["queued", "running", "succeeded", "stopped_early", "failed", "cancelled"];

/** A search space entry in words: "log-uniform in [0.0001, 0.1]". */
export function describeSpace(entry) {
  if (entry.type === "choice") return `choice of ${entry.values.map((v) => JSON.stringify(v)).join(", ")}`;
  if (entry.type === "uniform") return `uniform in [${fmt(entry.low)}, ${fmt(entry.high)}]`;
  if (entry.type === "loguniform") return `log-uniform in [${fmt(entry.low)}, ${fmt(entry.high)}]`;
  if (entry.type === "int") {
    const step = entry.step && entry.step !== 1 ? `, step ${entry.step}` : "";
    return `integer in [${entry.low}, ${entry.high}]${step}`;
  }
  return JSON.stringify(entry);
}

// The settings each searcher uses (the API answers every setting, used or not).
const SEARCHER_SETTINGS = { grid: [], random: ["seed"], asha: ["seed", "min_epochs", "reduction_factor"] };

/** The searcher and the settings it uses: "asha (seed 0, min_epochs 1, reduction_factor 3)". */
export function describeSearcher(searcher) {
  if (!searcher) return "–";
  const used = SEARCHER_SETTINGS[searcher.name];
  const settings = Object.entries(searcher).filter(([key]) => key !== "name" && (!used || used.includes(key)));
  return settings.length
    ? `${searcher.name} (${settings.map(([key, value]) => `${key} ${JSON.stringify(value)}`).join(", ")})`
    : searcher.name;
}

/**
 * How the scatter places a hyperparameter: log for log-uniform, slots for a choice of
 * non-numbers; the axis spans the space's range (`bounds`), labelled at a choice's values.
 */
function scaleOf(entry) {
  if (!entry) return { scale: "linear", marks: [], bounds: [] };
  const bounds = typeof entry.low === "number" && typeof entry.high === "number" ? [entry.low, entry.high] : [];
  if (entry.type === "loguniform") return { scale: "log", marks: [], bounds };
  if (entry.type !== "choice") return { scale: "linear", marks: [], bounds };
  const numbers = entry.values.every((v) => typeof v === "number");
  return { scale: numbers ? "linear" : "category", marks: entry.values, bounds: [] };
}

/** Settings in words, those left unset out: "epochs 2, batch_size 64, ...". */
function describeSettings(settings) {
  const set = Object.entries(settings || {}).filter(([, value]) => value !== null && value !== undefined);
  return set.length ? set.map(([key, value]) => `${key} ${typeof value === "string" ? value : JSON.stringify(value)}`).join(", ") : "–";
}

/** Orders two cell values: numbers, then text; missing values last whatever the direction. */
function compareValues(a, b, direction) {
  const missingA = a === null || a === undefined;
  const missingB = b === null || b === undefined;
  if (missingA || missingB) return missingA === missingB ? 0 : missingA ? 1 : -1;
  let order;
  if (typeof a === "number" && typeof b === "number") order = a - b;
  else if (typeof a === "number") order = -1;
  else if (typeof b === "number") order = 1;
  else order = String(typeof a === "string" ? a : JSON.stringify(a)).localeCompare(typeof b === "string" ? b : JSON.stringify(b));
  return direction === "descending" ? -order : order;
}

function trialStatus(trial) {
  const stoppedEarly = trial.reason === "stopped_early";
  return h(
    "span",
    { class: "trial-status" },
    statusBadge(trial.status),
    // The reason says how a trial ended; before that it is only "created".
    trial.reason && TERMINAL.has(trial.status)
      ? h("span", { class: stoppedEarly ? "tag stopped-early" : "muted", title: trial.message || null }, stoppedEarly ? "stopped early" : trial.reason)
      : null,
  );
}

export function renderSweep(main, sweepId) {
  const base = `/v1/sweeps/${encodeURIComponent(sweepId)}`;
  const title = h("h1", {}, sweepId);
  const statusBox = h("div", { class: "status-box", id: "sweep-status", "aria-live": "polite" });
  const cancelButton = h("button", { type: "button", class: "danger", id: "cancel-sweep", hidden: true }, "Cancel sweep");
  const compareLink = h("a", { class: "button", id: "compare-trials", hidden: true }, "Compare trials");
  const jobsLink = h("a", { class: "button", id: "trial-jobs", href: `#/jobs?sweep_id=${encodeURIComponent(sweepId)}` }, "Trials as jobs");
  const actionError = messageArea();
  const trialsBox = h("div", { id: "trials" }, h("p", { class: "muted" }, "Loading the trials…"));
  const paramSelect = h("select", { id: "scatter-param", name: "scatter_param" });
  // Narrow screens show rows as cards without headings: sort with a select there.
  const sortSelect = h("select", { id: "trials-sort", name: "trials_sort" });
  const scatter = new ScatterChart();
  const settingsBox = h("div", { id: "sweep-settings" });

  replace(
    main,
    h("p", { class: "crumbs" }, h("a", { href: "#/sweeps" }, "Sweeps"), " / ", sweepId),
    h("div", { class: "page-head" }, title, h("div", { class: "actions" }, cancelButton, compareLink, jobsLink)),
    statusBox,
    actionError,
    h(
      "section",
      { "aria-labelledby": "trials-title" },
      h(
        "div",
        { class: "section-head" },
        h("h2", { id: "trials-title" }, "Trials"),
        h("span", { class: "toolbar compact narrow-only" }, h("label", { for: "trials-sort" }, "Sort by"), sortSelect),
      ),
      trialsBox,
    ),
    h(
      "section",
      { "aria-labelledby": "scatter-title" },
      h(
        "div",
        { class: "section-head" },
        h("h2", { id: "scatter-title" }, "Hyperparameter against the metric"),
        h("span", { class: "toolbar compact" }, h("label", { for: "scatter-param" }, "Hyperparameter"), paramSelect),
      ),
      scatter.root,
    ),
    h("section", { "aria-labelledby": "sweep-settings-title" }, h("h2", { id: "sweep-settings-title" }, "Settings"), settingsBox),
  );

  let stopped = false;
  let timer = null;
  let sweep = null;
  let shown = null;
  const sort = { key: "index", direction: "ascending" };

  function columns() {
    const names = Object.keys(sweep.space || {});
    return [
      { key: "index", label: "Trial", value: (t) => t.index },
      ...names.map((name) => ({ key: `hp:${name}`, label: name, value: (t) => (t.hyperparameters || {})[name] })),
      { key: "status", label: "Status", value: (t) => (t.reason === "stopped_early" ? "stopped early" : t.status) },
      { key: "epochs", label: "Epochs", value: (t) => t.epoch },
      { key: "best_metric", label: `Best ${sweep.metric}`, value: (t) => t.best_metric },
    ];
  }

  function sortBy(key) {
    if (sort.key === key) {
      sort.direction = sort.direction === "ascending" ? "descending" : "ascending";
    } else {
      sort.key = key;
      // The best metric sorts best first; anything else smallest first.
      sort.direction = key === "best_metric" && sweep.mode === "max" ? "descending" : "ascending";
    }
    sortSelect.value = sort.key;
    showTrials();
    const button = trialsBox.querySelector(`button[data-sort-key="${CSS.escape(key)}"]`);
    if (button) button.focus();
  }

  function showTrials() {
    const trials = sweep.trials || [];
    if (!trials.length) {
      replace(trialsBox, h("p", { class: "muted" }, "No trial has been created yet."));
      return;
    }
    const cols = columns();
    if (sortSelect.options.length !== cols.length) {
      replace(sortSelect, cols.map((c) => h("option", { value: c.key }, c.key === "best_metric" ? `${c.label} (best first)` : c.label)));
      sortSelect.value = sort.key;
    }
    const column = cols.find((c) => c.key === sort.key) || cols[0];
    const ordered = [...trials].sort(
      (a, b) => compareValues(column.value(a), column.value(b), sort.direction) || a.index - b.index,
    );
    const bestIndex = sweep.best_trial ? sweep.best_trial.index : null;
    const focusedKey = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.sortKey : null;
    replace(
      trialsBox,
      table(
        "Trials; activate a column heading to sort by it",
        cols.map((c) => ({
          label: c.label,
          attrs: { "aria-sort": c.key === sort.key ? sort.direction : null, dataset: { key: c.key } },
          header: h(
            "button",
            { type: "button", class: "sort", dataset: { sortKey: c.key }, onclick: () => sortBy(c.key) },
            c.label,
            h("span", { class: "sort-mark", "aria-hidden": "true" }, c.key !== sort.key ? "" : sort.direction === "ascending" ? " \u25B2" : " \u25BC"),
          ),
        })),
        ordered.map((trial) => {
          const best = trial.index === bestIndex;
          return {
            attrs: {
              class: best ? "best-trial" : null,
              dataset: { trialIndex: String(trial.index), jobId: trial.job_id, status: trial.status, best: best ? "true" : "false" },
            },
            cells: [
              h(
                "span",
                { class: "trial-cell" },
                h("a", { href: `#/jobs/${trial.job_id}` }, `Trial ${trial.index}`),
                best ? h("span", { class: "tag best" }, "\u2605 best") : null,
              ),
              ...cols.slice(1, -3).map((c) => fmt(c.value(trial))),
              trialStatus(trial),
              `${trial.epoch ?? 0} of ${trial.epochs ?? "?"}`,
              h("span", { class: "metric-value" }, fmt(trial.best_metric)),
            ],
          };
        }),
        { class: "cards trials", id: "trials-table" },
      ),
    );
    const again = focusedKey && trialsBox.querySelector(`button[data-sort-key="${CSS.escape(focusedKey)}"]`);
    if (again) again.focus();
  }

  function showScatter() {
    const names = Object.keys(sweep.space || {});
    if (paramSelect.options.length !== names.length) {
      replace(paramSelect, names.map((name) => h("option", { value: name }, name)));
    }
    const name = paramSelect.value;
    if (!name) return;
    const bestIndex = sweep.best_trial ? sweep.best_trial.index : null;
    scatter.show({
      xName: name,
      yName: sweep.metric,
      ...scaleOf(sweep.space[name]),
      points: (sweep.trials || []).map((trial) => ({
        x: (trial.hyperparameters || {})[name],
        y: trial.best_metric,
        label: `Trial ${trial.index}`,
        href: `#/jobs/${trial.job_id}`,
        best: trial.index === bestIndex,
        stoppedEarly: trial.reason === "stopped_early",
      })),
    });
  }

  function showStatus() {
    const counts = sweep.counts || {};
    replace(
      statusBox,
      h(
        "p",
        { class: "status-line" },
        statusBadge(sweep.status),
        h("span", { class: "progress-text" }, `${trialsDone(sweep)} trials done`),
        sweep.best_trial
          ? h("span", {}, "best ", h("a", { href: `#/jobs/${sweep.best_trial.job_id}` }, `trial ${sweep.best_trial.index}`), `: ${sweep.metric} ${fmt(sweep.best_trial.best_metric)}`)
          : null,
      ),
      h("p", {}, h("strong", {}, "Reason: "), sweep.reason || "–"),
      h("p", {}, h("strong", {}, "Message: "), sweep.message || "–"),
      h("p", {}, h("strong", {}, "Searcher: "), describeSearcher(sweep.searcher)),
      h("p", {}, h("strong", {}, "Metric: "), `${goal(sweep)}, ${sweep.mode === "max" ? "higher" : "lower"} is better`),
      h(
        "p",
        { class: "counts" },
        h("strong", {}, "Trials: "),
        COUNTED.map((status, i) => [i ? " · " : "", h("span", { dataset: { count: status } }, `${status.replace("_", " ")} ${counts[status] || 0}`)]),
      ),
    );
  }

  function showSettings() {
    const items = [
      ["Sweep id", sweep.id],
      ["Search space", h("dl", { class: "settings space" }, Object.entries(sweep.space || {}).map(([name, entry]) => [h("dt", {}, name), h("dd", {}, describeSpace(entry))]))],
      ["Fixed hyperparameters", h("code", {}, JSON.stringify(sweep.hyperparameters || {}))],
      ["Training", describeSettings(sweep.training)],
      ["Resources", describeSettings(sweep.resources)],
      ["Time limit per trial", sweep.max_runtime_s ? `${sweep.max_runtime_s} s` : "–"],
      ["Model source", h("a", { href: "#/models" }, sweep.model_id || "deleted")],
      ["Dataset", h("a", { href: "#/datasets" }, sweep.dataset_id || "deleted")],
      ["Trials at once", sweep.max_concurrent_trials],
      ["Priority", sweep.priority],
      ["Created", when(sweep.created_at)],
      ["Finished", when(sweep.finished_at)],
    ];
    replace(settingsBox, h("dl", { class: "settings" }, items.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)])));
  }

  function showSweep(data) {
    sweep = data;
    // Redraw only when something changed, so focus and the chosen sort survive a poll.
    const signature = JSON.stringify(sweep);
    if (signature === shown) return;
    shown = signature;
    title.textContent = sweep.name || sweep.id;
    cancelButton.hidden = TERMINAL.has(sweep.status);
    const reported = (sweep.trials || []).filter((t) => t.epoch > 0).slice(0, MAX_COMPARED);
    compareLink.hidden = reported.length < 2;
    compareLink.setAttribute("href", `#/compare?jobs=${reported.map((t) => t.job_id).join(",")}`);
    showStatus();
    showTrials();
    showScatter();
    showSettings();
  }

  async function refresh() {
    try {
      const data = await api("GET", base);
      if (stopped) return;
      actionError.show("");
      showSweep(data);
      // A cancelled sweep ends at once; its running trials end a little later.
      const unfinished = !TERMINAL.has(data.status) || (data.trials || []).some((t) => !TERMINAL.has(t.status));
      if (unfinished) timer = setTimeout(refresh, POLL_MS);
    } catch (caught) {
      if (stopped) return;
      if (caught instanceof ApiError && caught.status === 404) {
        replace(main, h("h1", {}, "Sweep not found"), h("p", {}, caught.message), h("a", { href: "#/sweeps" }, "Back to the sweeps"));
        return;
      }
      actionError.show(caught instanceof ApiError ? caught.message : `Could not load the sweep: ${caught.message}`);
      timer = setTimeout(refresh, POLL_MS);
    }
  }

  paramSelect.addEventListener("change", () => showScatter());
  sortSelect.addEventListener("change", () => {
    sort.key = "";
    sortBy(sortSelect.value);
  });
  cancelButton.addEventListener("click", async () => {
    actionError.show("");
    cancelButton.disabled = true;
    try {
      const answer = await api("POST", `${base}/cancel`);
      if (!stopped && answer && answer.id) showSweep({ ...sweep, ...answer });
    } catch (caught) {
      actionError.show(caught.message);
    }
    cancelButton.disabled = false;
  });

  refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
    scatter.close();
  };
}
