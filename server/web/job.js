// A job's page: status, live charts (Server-Sent Events), log tail, checkpoints, cancel,
// predictions, settings and "run again".

import { api, ApiError } from "./api.js";
import { ChartBoard } from "./chart.js";
import { sweepLink } from "./jobs.js";
import { fmt, fmtBytes, h, messageArea, replace, statusBadge, table, TERMINAL, when } from "./ui.js";

const MAX_LOG_LINES = 1000;

function argmax(row) {
  if (!Array.isArray(row) || !row.length || row.some((v) => typeof v !== "number")) return null;
  return row.indexOf(Math.max(...row));
}

function settingsList(job) {
  const t = job.training || {};
  const items = [
    ["Job id", job.id],
    ["Model source", h("a", { href: "#/models" }, job.model_id || "deleted")],
    ["Dataset", h("a", { href: "#/datasets" }, job.dataset_id || "deleted")],
    ["Hyperparameters", h("code", {}, JSON.stringify(job.hyperparameters))],
    ["Epochs", t.epochs],
    ["Batch size", t.batch_size],
    ["Validation split", t.validation_split],
    ["Optimizer", t.optimizer || "from the source (or adam)"],
    ["Learning rate", t.learning_rate ?? "default"],
    ["Loss", t.loss || "from the source (or inferred)"],
    ["Metrics", t.metrics ? t.metrics.join(", ") : "from the source"],
    ["Early stopping", t.early_stopping ? `${t.early_stopping.monitor}, patience ${t.early_stopping.patience}` : "off"],
    ["GPUs", (job.resources || {}).gpus ?? 0],
    ["Queue", job.queue],
    ["Time limit", `${job.max_runtime_s} s`],
    ["Created", when(job.created_at)],
    ["Started", when(job.started_at)],
    ["Finished", when(job.finished_at)],
    ["Attempts", job.attempts.map((a) => `#${a.number} ${a.outcome || "running"}${a.worker ? ` on ${a.worker}` : ""}`).join("; ") || "none yet"],
  ];
  return h("dl", { class: "settings" }, items.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

export function renderJob(main, jobId) {
  const base = `/v1/jobs/${encodeURIComponent(jobId)}`;
  const title = h("h1", {}, jobId);
  const statusBox = h("div", { class: "status-box", id: "job-status", "aria-live": "polite" });
  const cancelButton = h("button", { type: "button", class: "danger", id: "cancel-job" }, "Cancel job");
  const again = h("a", { class: "button", href: `#/new?from=${encodeURIComponent(jobId)}`, id: "run-again" }, "Run again");
  const actionError = messageArea();
  const board = new ChartBoard();
  const logView = h("pre", { class: "log", id: "job-log", tabindex: "0", "aria-label": "Log tail" });
  const follow = h("input", { type: "checkbox", id: "follow-log", checked: true });
  const checkpointBox = h("div", { id: "checkpoints" }, h("p", { class: "muted" }, "No checkpoint yet."));
  const settingsBox = h("div", { id: "job-settings" });
  const predictInput = h("textarea", { id: "predict-rows", rows: "5", spellcheck: "false", placeholder: "[[0.0, 0.1, ...], [...]]", "aria-describedby": "predict-help predict-error" });
  const predictError = messageArea();
  predictError.id = "predict-error";
  const predictButton = h("button", { type: "submit", class: "primary" }, "Predict");
  const predictOutput = h("div", { id: "predictions", "aria-live": "polite" });
  const predictForm = h(
    "form",
    { class: "predict", novalidate: true },
    h("label", { for: "predict-rows" }, "Rows to predict (JSON)"),
    predictInput,
    h("p", { class: "help", id: "predict-help" }, 'A list of rows, e.g. [[0.1, 0.2, …]], or {"instances": [...]} or {"inputs": {"name": [...]}}. Uses the latest checkpoint.'),
    predictError,
    predictButton,
    predictOutput,
  );

  replace(
    main,
    h("p", { class: "crumbs" }, h("a", { href: "#/jobs" }, "Jobs"), " / ", jobId),
    h("div", { class: "page-head" }, title, h("div", { class: "actions" }, cancelButton, again)),
    statusBox,
    actionError,
    h("section", { "aria-labelledby": "charts-title" }, h("h2", { id: "charts-title" }, "Metrics by epoch"), board.root),
    h(
      "div",
      { class: "two-columns" },
      h(
        "section",
        { "aria-labelledby": "log-title" },
        h("div", { class: "section-head" }, h("h2", { id: "log-title" }, "Log"), h("label", { class: "inline", for: "follow-log" }, follow, " Follow")),
        logView,
      ),
      h("section", { "aria-labelledby": "predict-title" }, h("h2", { id: "predict-title" }, "Predict"), predictForm),
    ),
    h("section", { "aria-labelledby": "checkpoints-title" }, h("h2", { id: "checkpoints-title" }, "Checkpoints"), checkpointBox),
    h("section", { "aria-labelledby": "settings-title" }, h("h2", { id: "settings-title" }, "Settings"), settingsBox),
  );

  let stopped = false;
  let source = null;
  let job = null;
  let checkpointTimer = null;
  let waitingTimer = null;

  function showJob(data) {
    job = data;
    title.textContent = job.name || job.id;
    board.epochs = job.progress.epochs;
    const { epoch, epochs } = job.progress;
    replace(
      statusBox,
      h("p", { class: "status-line" }, statusBadge(job.status), h("span", { class: "progress-text" }, `epoch ${epoch} of ${epochs ?? "?"}`)),
      h("p", {}, h("strong", {}, "Reason: "), job.reason || "–"),
      h("p", {}, h("strong", {}, "Message: "), job.message || "–"),
      job.status === "queued" && job.waiting
        ? h("p", { class: "waiting", dataset: { reason: job.waiting.reason } }, h("strong", {}, "Waiting: "), job.waiting.message || job.waiting.reason)
        : null,
      job.sweep_id ? h("p", { class: "sweep" }, h("strong", {}, "Sweep: "), sweepLink(job)) : null,
    );
    cancelButton.hidden = TERMINAL.has(job.status) || job.status === "cancelling";
    replace(settingsBox, settingsList(job));
    // Why a queued job waits changes without an event (others start and end): ask again.
    clearTimeout(waitingTimer);
    if (job.status === "queued" && !stopped) waitingTimer = setTimeout(refreshJob, 2000);
  }

  async function refreshJob() {
    try {
      const data = await api("GET", base);
      if (!stopped) showJob(data);
    } catch (caught) {
      if (!stopped) actionError.show(caught.message);
    }
  }

  async function refreshCheckpoints() {
    try {
      const page = await api("GET", `${base}/checkpoints`);
      if (stopped || !page.items.length) return;
      replace(
        checkpointBox,
        table(
          "Checkpoints",
          ["Epoch", "Size", "Metrics", "Download"],
          page.items.map((c) => ({
            cells: [
              String(c.epoch),
              fmtBytes(c.size_bytes),
              Object.entries(c.metrics || {}).map(([k, v]) => `${k} ${fmt(v)}`).join(", ") || "–",
              h(
                "span",
                {},
                h("a", { href: `${base}/checkpoints/${c.epoch}`, download: `${jobId}-epoch-${c.epoch}.keras`, class: "download" }, `epoch ${c.epoch} (.keras)`),
                " · ",
                h("a", { href: `${base}/export?format=savedmodel&checkpoint=${c.epoch}`, download: `${jobId}-epoch-${c.epoch}-savedmodel.tar.gz`, class: "download export" }, "SavedModel (.tar.gz)"),
              ),
            ],
          })),
        ),
      );
    } catch (caught) {
      if (!stopped) actionError.show(caught.message);
    }
  }

  function scheduleCheckpoints() {
    clearTimeout(checkpointTimer);
    checkpointTimer = setTimeout(refreshCheckpoints, 500);
  }

  function appendLog(line) {
    logView.append(`${line}\n`);
    while (logView.childNodes.length > MAX_LOG_LINES) logView.firstChild.remove();
    if (follow.checked) logView.scrollTop = logView.scrollHeight;
  }

  async function replaceLog() {
    try {
      const text = await api("GET", `${base}/logs?tail=${MAX_LOG_LINES}`);
      if (stopped) return;
      logView.textContent = text || "(no output)";
      if (follow.checked) logView.scrollTop = logView.scrollHeight;
    } catch (caught) {
      if (!stopped) actionError.show(caught.message);
    }
  }

  function listen() {
    // The stream replays the job's events from the start, then follows; it ends with `done`.
    source = new EventSource(`${base}/events`);
    source.addEventListener("status", () => refreshJob());
    source.addEventListener("metric", (event) => {
      const data = JSON.parse(event.data);
      if (data.step !== null && data.step !== undefined) return;
      board.add(data.epoch, data);
      board.render();
      if (job && data.epoch > job.progress.epoch) {
        job.progress.epoch = data.epoch;
        showJob(job);
      }
      scheduleCheckpoints();
    });
    source.addEventListener("log", (event) => appendLog(JSON.parse(event.data).line));
    source.addEventListener("error", () => {
      // The browser reconnects by itself (resuming with Last-Event-ID) unless the server refused.
      if (source.readyState === EventSource.CLOSED && !stopped) {
        actionError.show("Live updates stopped (the server refused the event stream). Reload the page to resume.");
      }
    });
    source.addEventListener("done", () => {
      source.close();
      refreshJob();
      refreshCheckpoints();
      replaceLog();
    });
  }

  cancelButton.addEventListener("click", async () => {
    actionError.show("");
    cancelButton.disabled = true;
    try {
      showJob(await api("POST", `${base}/cancel`));
    } catch (caught) {
      actionError.show(caught.message);
    }
    cancelButton.disabled = false;
  });

  predictForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    predictError.show("");
    predictInput.removeAttribute("aria-invalid");
    let body;
    try {
      body = JSON.parse(predictInput.value);
    } catch (caught) {
      predictInput.setAttribute("aria-invalid", "true");
      predictError.show(`The rows are not valid JSON: ${caught.message}.`);
      return;
    }
    if (Array.isArray(body)) body = { instances: body };
    if (!body || typeof body !== "object" || (!("instances" in body) && !("inputs" in body))) {
      predictInput.setAttribute("aria-invalid", "true");
      predictError.show('Expected a list of rows, or an object with "instances" or "inputs".');
      return;
    }
    predictButton.disabled = true;
    replace(predictOutput, h("p", { class: "muted" }, "Predicting… (the first prediction starts a predictor, a few seconds)"));
    try {
      const answer = await api("POST", `${base}/predict`, { json: body });
      replace(
        predictOutput,
        h("p", {}, `${answer.predictions.length} predictions from the checkpoint of epoch ${answer.epoch}:`),
        table(
          "Predictions",
          ["Row", "Most likely class", "Values"],
          answer.predictions.map((row, index) => ({
            cells: [String(index), String(argmax(row) ?? "–"), Array.isArray(row) ? row.map(fmt).join(", ") : fmt(row)],
          })),
          { class: "cards compact predictions" },
        ),
      );
    } catch (caught) {
      predictOutput.replaceChildren();
      predictInput.setAttribute("aria-invalid", "true");
      predictError.show(caught instanceof ApiError ? caught.message : `Could not reach the server: ${caught.message}`);
    }
    predictButton.disabled = false;
  });

  (async () => {
    try {
      const [data, history] = await Promise.all([api("GET", base), api("GET", `${base}/metrics`)]);
      if (stopped) return;
      showJob(data);
      for (const row of history.items) board.add(row.epoch, row.values);
      board.render();
      refreshCheckpoints();
      if (TERMINAL.has(data.status)) replaceLog();
      else listen();
    } catch (caught) {
      if (stopped) return;
      if (caught instanceof ApiError && caught.status === 404) {
        replace(main, h("h1", {}, "Job not found"), h("p", {}, caught.message), h("a", { href: "#/jobs" }, "Back to the jobs"));
      } else {
        actionError.show(caught.message);
      }
    }
  })();

  return () => {
    stopped = true;
    clearTimeout(checkpointTimer);
    clearTimeout(waitingTimer);
    if (source) source.close();
    board.close();
  };
}
