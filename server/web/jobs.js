// The jobs list: status badges, progress, last loss and metric, age; polled every 2 s.

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

export function renderJobs(main, query) {
  const status = query.get("status") || "";
  const filter = h(
    "select",
    { id: "status-filter", name: "status" },
    h("option", { value: "" }, "all statuses"),
    STATUSES.map((name) => h("option", { value: name, selected: name === status }, name)),
  );
  filter.addEventListener("change", () => {
    location.hash = filter.value ? `#/jobs?status=${filter.value}` : "#/jobs";
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
    h("div", { class: "toolbar" }, h("label", { for: "status-filter" }, "Status"), filter),
    error,
    list,
  );

  let timer = null;
  let stopped = false;
  let shown = null;
  async function refresh() {
    try {
      const path = status ? `/v1/jobs?limit=100&status=${encodeURIComponent(status)}` : "/v1/jobs?limit=100";
      const page = await api("GET", path);
      if (stopped) return;
      error.show("");
      list.setAttribute("aria-busy", "false");
      // Redraw only when something changed, so keyboard focus in the list survives a poll.
      const signature = JSON.stringify(page.items.map((job) => [job.id, job.name, job.status, job.progress, job.metrics]));
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
            ["Job", "Status", "Progress", "Last loss", "Metric", "Age"],
            page.items.map((job) => {
              const { loss, metric } = headlineMetrics(job.metrics);
              return {
                attrs: { dataset: { jobId: job.id, status: job.status } },
                cells: [
                  h("a", { href: `#/jobs/${job.id}` }, job.name || job.id),
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
