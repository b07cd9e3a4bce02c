// Several jobs' curves of one metric on one chart (`#/compare?jobs=<id>,<id>&metric=loss`);
// polled every 2 s while any of them runs.

import { api, ApiError } from "./api.js";
import { CompareChart } from "./chart.js";
import { h, messageArea, replace, TERMINAL } from "./ui.js";

const POLL_MS = 2000;

/** The metric names every job with a history reported (in the first job's order). */
export function sharedMetrics(histories) {
  const reported = histories.filter((rows) => rows.length);
  if (!reported.length) return [];
  const namesOf = (rows) => new Set(rows.flatMap((row) => Object.keys(row.values)).filter((name) => name !== "epoch" && name !== "step"));
  const [first, ...others] = reported.map(namesOf);
  return [...first].filter((name) => others.every((names) => names.has(name)));
}

export function renderCompare(main, query) {
  const ids = [...new Set((query.get("jobs") || "").split(",").filter(Boolean))];
  const metricSelect = h("select", { id: "compare-metric", name: "metric" });
  const error = messageArea();
  const chart = new CompareChart();
  const note = h("p", { class: "muted", id: "compare-note" });
  replace(
    main,
    h("p", { class: "crumbs" }, h("a", { href: "#/jobs" }, "Jobs"), " / Compare"),
    h("div", { class: "page-head" }, h("h1", {}, `Compare ${ids.length} jobs`)),
    h("div", { class: "toolbar" }, h("label", { for: "compare-metric" }, "Metric"), metricSelect),
    error,
    note,
    h("section", { "aria-label": "Chart" }, chart.root),
  );
  if (ids.length < 1) {
    error.show("No jobs chosen: tick two or more in the jobs list, then Compare.");
    return () => chart.close();
  }

  let stopped = false;
  let timer = null;
  const jobs = new Map(); // id -> job
  const histories = new Map(); // id -> metric rows

  function draw() {
    const found = ids.filter((id) => jobs.has(id));
    const metrics = sharedMetrics(found.map((id) => histories.get(id) || []));
    const wanted = metricSelect.value || query.get("metric") || "loss";
    const current = [...metricSelect.options].map((option) => option.value);
    if (JSON.stringify(current) !== JSON.stringify(metrics)) {
      replace(metricSelect, metrics.map((name) => h("option", { value: name }, name)));
      metricSelect.value = metrics.includes(wanted) ? wanted : metrics[0] || "";
    }
    const metric = metricSelect.value;
    note.textContent = metrics.length ? "" : "The chosen jobs share no metric yet: the chart fills as their epochs finish.";
    chart.show(
      metric,
      found.map((id) => {
        const job = jobs.get(id);
        return {
          label: job.name || job.id,
          href: `#/jobs/${job.id}`,
          points: (histories.get(id) || [])
            .filter((row) => typeof row.values[metric] === "number")
            .map((row) => [row.epoch, row.values[metric]]),
        };
      }),
    );
  }

  async function load(id) {
    const path = `/v1/jobs/${encodeURIComponent(id)}`;
    const [job, page] = await Promise.all([api("GET", path), api("GET", `${path}/metrics`)]);
    jobs.set(id, job);
    histories.set(id, page.items.filter((row) => row.step === null || row.step === undefined));
  }

  async function refresh() {
    const pending = ids.filter((id) => !jobs.has(id) || !TERMINAL.has(jobs.get(id).status));
    const results = await Promise.allSettled(pending.map(load));
    if (stopped) return;
    const missing = [];
    const problems = [];
    results.forEach((result, i) => {
      if (result.status === "fulfilled") return;
      const caught = result.reason;
      if (caught instanceof ApiError && caught.status === 404) missing.push(pending[i]);
      else problems.push(caught.message);
    });
    error.show(
      [missing.length ? `Not found: ${missing.join(", ")}.` : "", ...problems].filter(Boolean).join(" "),
    );
    draw();
    const running = ids.some((id) => jobs.has(id) && !TERMINAL.has(jobs.get(id).status));
    if (running || problems.length) timer = setTimeout(refresh, POLL_MS);
    for (const id of missing) ids.splice(ids.indexOf(id), 1);
  }

  metricSelect.addEventListener("change", () => {
    history.replaceState(null, "", `#/compare?jobs=${ids.join(",")}&metric=${encodeURIComponent(metricSelect.value)}`);
    draw();
  });
  refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
    chart.close();
  };
}
