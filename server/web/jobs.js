// The jobs list: status badges, progress, last loss and metric, age, the sweep of a trial;
// polled every 2 s. Ticked jobs can be compared on one chart (`#/compare`).

import { api, ApiError } from "./api.js";
import { age, fmt, h, messageArea, replace, STATUSES, statusBadge, table } from "./ui.js";

const POLL_MS = 2000;

/** The latest loss and the first other metric of a job (`accuracy` rather than `val_...`). */
export function headlineMetrics(metrics) {
  if (!metrics) return { loss: null, metric: null };
  const names = Object.keys(metrics).filter((name) => !["epoch", "step"].includes(name));
  const other = names.find((name) => name !== "loss" && !name.startsWith("val_")) ||
    names.find((name) => name !== "loss" && name !== "val_loss");
  return { loss: metrics.loss ?? null, metric: other ? [other, metrics[other]] : null };
}

function progressCell(job) {
  const { epoch, epochs } = job.progress;
  const label = `epoch ${epoch} of ${epochs ?? "?"}`;
  return h(
    "span",
    { class: "progress-cell" },
    h("progress", { max: epochs || 1, value: epoch, "aria-label": label }),
    h("span", {}, label),
  );
}

/** The sweep a trial belongs to, as a link; null for a job of its own. */
export function sweepLink(job) {
  if (!job.sweep_id) return null;
  return h(
    "span",
    { class: "sweep-of" },
    `trial ${job.trial_index ?? "?"} of `,
    h("a", { href: `#/sweeps/${job.sweep_id}`, class: "sweep-link" }, job.sweep_id),
  );
}

export function renderJobs(main, query) {
  const status = query.get("status") || "";
  const sweepId = query.get("sweep_id") || "";
  const chosen = new Set();
  const compareButton = h("button", { type: "button", id: "compare-jobs", disabled: true }, "Compare");
  const compareHelp = h("span", { class: "help", id: "compare-help" }, "Tick two or more jobs to compare their curves.");
  function updateCompare() {
    compareButton.disabled = chosen.size < 2;
    compareButton.textContent = chosen.size ? `Compare ${chosen.size} jobs` : "Compare";
  }
  compareButton.addEventListener("click", () => {
    location.hash = `#/compare?jobs=${[...chosen].join(",")}`;
  });
  const filter = h(
    "select",
    { id: "status-filter", name: "status" },
    h("option", { value: "" }, "all statuses"),
    STATUSES.map((name) => h("option", { value: name, selected: name === status }, name)),
  );
  filter.addEventListener("change", () => {
    const params = new URLSearchParams();
    if (filter.value) params.set("status", filter.value);
    if (sweepId) params.set("sweep_id", sweepId);
    location.hash = params.toString() ? `#/jobs?${params}` : "#/jobs";
  });
  const error = messageArea();
  const list = h("div", { id: "jobs-list", "aria-live": "polite", "aria-busy": "true" });
  replace(
    main,
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, "Jobs"),
      h("a", { class: "button primary", href: "#/new" }, "New job"),
    ),
    h(
      "div",
      { class: "toolbar" },
      h("label", { for: "status-filter" }, "Status"),
      filter,
      h("span", { class: "toolbar-gap" }),
      compareButton,
      compareHelp,
    ),
    sweepId
      ? h("p", { class: "crumbs" }, "Trials of ", h("a", { href: `#/sweeps/${sweepId}` }, sweepId), " · ", h("a", { href: "#/jobs" }, "all jobs"))
      : null,
    error,
    list,
  );

  let timer = null;
  let stopped = false;
  let shown = null;
  async function refresh() {
    try {
      const params = new URLSearchParams({ limit: "100" });
      if (status) params.set("status", status);
      if (sweepId) params.set("sweep_id", sweepId);
      const page = await api("GET", `/v1/jobs?${params}`);
      if (stopped) return;
      error.show("");
      list.setAttribute("aria-busy", "false");
      // Redraw only when something changed, so keyboard focus in the list survives a poll.
      const signature = JSON.stringify(
        page.items.map((job) => [job.id, job.name, job.status, job.progress, job.metrics, job.sweep_id]),
      );
      if (signature === shown) {
        const now = Date.now();
        for (const time of list.querySelectorAll("time")) time.textContent = age(time.getAttribute("datetime"), now);
      } else if (!page.items.length) {
        shown = signature;
        replace(list, h("p", { class: "muted" }, status ? `No ${status} jobs.` : "No jobs yet. ", status ? null : h("a", { href: "#/new" }, "Start one.")));
      } else {
        shown = signature;
        const now = Date.now();
        replace(
          list,
          table(
            "Jobs",
            [{ label: "Compare", header: h("span", { class: "visually-hidden" }, "Compare") }, "Job", "Status", "Progress", "Last loss", "Metric", "Age"],
            page.items.map((job) => {
              const { loss, metric } = headlineMetrics(job.metrics);
              const label = job.name || job.id;
              const tick = h("input", {
                type: "checkbox",
                class: "compare-check",
                checked: chosen.has(job.id),
                "aria-label": `Compare ${label}`,
                dataset: { jobId: job.id },
              });
              tick.addEventListener("change", () => {
                if (tick.checked) chosen.add(job.id);
                else chosen.delete(job.id);
                updateCompare();
              });
              return {
                attrs: { dataset: { jobId: job.id, status: job.status, ...(job.sweep_id ? { sweepId: job.sweep_id } : {}) } },
                cells: [
                  tick,
                  h("span", { class: "job-cell" }, h("a", { href: `#/jobs/${job.id}` }, label), sweepLink(job)),
                  statusBadge(job.status),
                  progressCell(job),
                  fmt(loss),
                  metric ? `${metric[0]} ${fmt(metric[1])}` : "–",
                  h("time", { datetime: job.created_at, title: new Date(job.created_at).toLocaleString() }, age(job.created_at, now)),
                ],
              };
            }),
          ),
        );
      }
    } catch (caught) {
      if (stopped) return;
      error.show(caught instanceof ApiError ? caught.message : `Could not load the jobs: ${caught.message}`);
    }
    if (!stopped) timer = setTimeout(refresh, POLL_MS);
  }
  refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
