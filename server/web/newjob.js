// The new-job form: model source and dataset (choose or upload), hyperparameters, training
// settings, GPUs. Checked in the browser first; the API's errors go next to their field.

import { api, ApiError, upload } from "./api.js";
import { fmtBytes, h, messageArea, replace, shapeText, table } from "./ui.js";

const OPTIMIZERS = ["", "adam", "adamw", "sgd", "rmsprop", "adagrad", "adadelta", "adamax", "nadam"];

/**
 * Parses hyperparameters given as JSON text. Answers {value} or {error} (a message naming the
 * problem).
 */
export function parseHyperparametersJson(text) {
  if (!text.trim()) return { value: {} };
  let value;
  try {
    value = JSON.parse(text);
  } catch (caught) {
    return { error: `Hyperparameters are not valid JSON: ${caught.message}. Expected an object such as {"units": 64}.` };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const kind = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
    return { error: `Hyperparameters must be a JSON object such as {"units": 64}. Received ${kind}.` };
  }
  return { value };
}

/** A row value: JSON when it parses (numbers, booleans, lists), the text itself otherwise. */
function parseRowValue(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Builds one labelled field; `path` names it for the API's errors (e.g. `training.epochs`). */
function field(path, label, control, help) {
  const id = `f-${path.replace(/\./g, "-")}`;
  control.id = control.id || id;
  control.name = control.name || path;
  const error = h("p", { class: "field-error", id: `${id}-error`, role: "alert" });
  error.hidden = true;
  const described = [help ? `${id}-help` : null, `${id}-error`].filter(Boolean).join(" ");
  control.setAttribute("aria-describedby", described);
  return h(
    "div",
    { class: "field", dataset: { field: path } },
    h("label", { for: control.id }, label),
    control,
    help ? h("p", { class: "help", id: `${id}-help` }, help) : null,
    error,
  );
}

function numberInput(value, attrs = {}) {
  return h("input", { type: "number", inputmode: "decimal", value: value ?? "", ...attrs });
}

/** The form's field errors: `set(path, message)` shows one, `clear()` hides them all. */
function fieldErrors(form, general) {
  return {
    clear() {
      general.show("");
      for (const node of form.querySelectorAll(".field-error")) {
        node.hidden = true;
        node.textContent = "";
      }
      for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
    },
    set(path, message) {
      // The deepest field that exists: `training.early_stopping.patience`, then its parents.
      const parts = path.split(".");
      while (parts.length) {
        const boxes = [...form.querySelectorAll(`[data-field="${parts.join(".")}"]`)];
        const box = boxes.find((node) => !node.closest("[hidden]")) || boxes[0];
        if (box) {
          const error = box.querySelector(".field-error");
          error.textContent = error.textContent ? `${error.textContent} ${message}` : message;
          error.hidden = false;
          const control = box.querySelector("input, select, textarea");
          if (control) control.setAttribute("aria-invalid", "true");
          return box;
        }
        parts.pop();
      }
      general.show(general.textContent ? `${general.textContent} ${message}` : message);
      return null;
    },
  };
}

/** Puts an API error next to the field(s) it concerns. Answers the first field box, if any. */
function showApiError(errors, caught) {
  if (!(caught instanceof ApiError)) return errors.set("", `Could not reach the server: ${caught.message}`);
  const details = caught.details || {};
  if (Array.isArray(details.errors) && details.errors.length) {
    let first = null;
    for (const problem of details.errors) {
      const loc = (problem.loc || []).filter((part) => part !== "body" && typeof part === "string");
      const box = errors.set(loc.join("."), `${loc.join(".") || "request"}: ${problem.msg}`);
      first = first || box;
    }
    return first;
  }
  if (caught.code === "not_found" && details.kind) {
    return errors.set(details.kind === "model" ? "model_id" : details.kind === "dataset" ? "dataset_id" : "", caught.message);
  }
  const named = Object.keys(details).find((name) => name !== "limit");
  return errors.set(named || "", caught.message);
}

export function renderNewJob(main, query) {
  const general = messageArea();
  const form = h("form", { class: "new-job", novalidate: true, "aria-labelledby": "new-job-title" });
  const errors = fieldErrors(form, general);
  let stopped = false;

  // Model source.
  const modelSelect = h("select", {}, h("option", { value: "" }, "Choose a model source…"));
  const modelFile = h("input", { type: "file", accept: ".py,text/x-python", id: "model-upload", name: "model_file" });
  const modelNotice = messageArea("info");
  const codeView = h("pre", { class: "code", tabindex: "0", "aria-label": "Source of the chosen model" }, h("code", {}, "No model chosen."));
  // Dataset.
  const datasetSelect = h("select", {}, h("option", { value: "" }, "Choose a dataset…"));
  const datasetFile = h("input", { type: "file", accept: ".npz,.csv", id: "dataset-upload", name: "dataset_file" });
  const labelColumn = h("input", { type: "text", id: "label-column", name: "label_column", placeholder: "label" });
  const datasetNotice = messageArea("info");
  const datasetSummary = h("div", { class: "dataset-summary", "aria-live": "polite" });
  // Hyperparameters.
  const hpRows = h("div", { class: "hp-rows" });
  const hpJson = h("textarea", { rows: "5", spellcheck: "false", placeholder: '{"units": 64}' });
  const hpModeRows = h("input", { type: "radio", name: "hp-mode", id: "hp-mode-rows", value: "rows", checked: true });
  const hpModeJson = h("input", { type: "radio", name: "hp-mode", id: "hp-mode-json", value: "json" });
  // Training.
  const name = h("input", { type: "text", maxlength: "200", autocomplete: "off" });
  const epochs = numberInput(5, { min: "1", step: "1", required: true });
  const batchSize = numberInput(32, { min: "1", step: "1", required: true });
  const validationSplit = numberInput(0.1, { min: "0", max: "0.99", step: "0.05" });
  const optimizer = h("select", {}, OPTIMIZERS.map((value) => h("option", { value }, value || "the model source's (or adam)")));
  const learningRate = numberInput("", { min: "0", step: "any", placeholder: "default" });
  const loss = h("input", { type: "text", placeholder: "from the source, or inferred", autocomplete: "off" });
  const metrics = h("input", { type: "text", placeholder: "accuracy", autocomplete: "off" });
  const earlyStop = h("input", { type: "checkbox", id: "f-early-stopping-on", name: "early_stopping_on" });
  const monitor = h("input", { type: "text", value: "val_loss", autocomplete: "off" });
  const patience = numberInput(3, { min: "0", step: "1" });
  const restoreBest = h("input", { type: "checkbox", id: "f-restore-best", name: "restore_best_weights" });
  const gpus = numberInput(0, { min: "0", max: "64", step: "1" });
  const maxRuntime = numberInput("", { min: "1", step: "1", placeholder: "server default" });
  const submit = h("button", { type: "submit", class: "primary" }, "Start training");

  function addHpRow(key = "", value = "") {
    const index = hpRows.children.length + 1;
    const keyInput = h("input", { type: "text", class: "hp-key", value: key, "aria-label": `Name of hyperparameter ${index}`, autocomplete: "off" });
    const valueInput = h("input", { type: "text", class: "hp-value", value, "aria-label": `Value of hyperparameter ${index}`, autocomplete: "off" });
    const row = h(
      "div",
      { class: "hp-row" },
      keyInput,
      valueInput,
      h("button", { type: "button", class: "link", "aria-label": `Remove hyperparameter ${index}`, onclick: () => row.remove() }, "Remove"),
    );
    hpRows.append(row);
    return keyInput;
  }

  function hpFromRows() {
    const value = {};
    for (const row of hpRows.querySelectorAll(".hp-row")) {
      const key = row.querySelector(".hp-key").value.trim();
      const text = row.querySelector(".hp-value").value.trim();
      if (!key && !text) continue;
      if (!key) return { error: `A hyperparameter row has a value (${text}) but no name. Fill in its name or remove the row.` };
      if (key in value) return { error: `The hyperparameter ${JSON.stringify(key)} is given twice. Remove one of the rows.` };
      value[key] = parseRowValue(text);
    }
    return { value };
  }

  function setHyperparameters(value) {
    hpRows.replaceChildren();
    for (const [key, item] of Object.entries(value)) addHpRow(key, typeof item === "string" ? item : JSON.stringify(item));
    if (!hpRows.children.length) addHpRow();
    hpJson.value = Object.keys(value).length ? JSON.stringify(value, null, 2) : "";
  }

  function showHpMode() {
    const json = hpModeJson.checked;
    hpRows.parentElement.hidden = json;
    hpJson.parentElement.hidden = !json;
  }

  function switchHpMode(toJson) {
    errors.clear();
    const parsed = toJson ? hpFromRows() : parseHyperparametersJson(hpJson.value);
    if (parsed.error) {
      errors.set("hyperparameters", parsed.error);
      (toJson ? hpModeRows : hpModeJson).checked = true;
      return;
    }
    setHyperparameters(parsed.value);
    showHpMode();
  }
  hpModeRows.addEventListener("change", () => switchHpMode(false));
  hpModeJson.addEventListener("change", () => switchHpMode(true));

  async function showModel(id) {
    if (!id) {
      replace(codeView, h("code", {}, "No model chosen."));
      return;
    }
    try {
      const model = await api("GET", `/v1/models/${encodeURIComponent(id)}`);
      if (!stopped && modelSelect.value === id) replace(codeView, h("code", {}, model.source || ""));
    } catch (caught) {
      errors.set("model_id", caught.message);
    }
  }

  function showDataset(dataset) {
    if (!dataset) {
      datasetSummary.replaceChildren();
      return;
    }
    const summary = dataset.summary || {};
    replace(
      datasetSummary,
      h("p", {}, `${dataset.name}: ${dataset.format}, ${fmtBytes(dataset.size_bytes)}`),
      table(
        `Arrays of ${dataset.name}`,
        ["Array", "Shape", "Dtype"],
        (summary.arrays || []).map((array) => ({
          attrs: { dataset: { array: array.name } },
          cells: [array.name, shapeText(array.shape), array.dtype],
        })),
        { class: "cards compact arrays" },
      ),
    );
  }

  const datasets = new Map();
  async function loadChoices(selectModel, selectDataset) {
    const [models, sets] = await Promise.all([api("GET", "/v1/models?limit=200"), api("GET", "/v1/datasets?limit=200")]);
    if (stopped) return;
    replace(modelSelect, h("option", { value: "" }, "Choose a model source…"), models.items.map((m) => h("option", { value: m.id }, `${m.name} (${m.id})`)));
    replace(datasetSelect, h("option", { value: "" }, "Choose a dataset…"), sets.items.map((d) => h("option", { value: d.id }, `${d.name} (${d.id})`)));
    for (const dataset of sets.items) datasets.set(dataset.id, dataset);
    if (selectModel) modelSelect.value = selectModel;
    if (selectDataset) datasetSelect.value = selectDataset;
    showModel(modelSelect.value);
    showDataset(datasets.get(datasetSelect.value));
  }

  modelSelect.addEventListener("change", () => showModel(modelSelect.value));
  datasetSelect.addEventListener("change", () => showDataset(datasets.get(datasetSelect.value)));

  modelFile.addEventListener("change", async () => {
    const file = modelFile.files[0];
    if (!file) return;
    errors.clear();
    modelNotice.show(`Uploading ${file.name}…`);
    try {
      const model = await upload("/v1/models", file);
      modelSelect.append(h("option", { value: model.id }, `${model.name} (${model.id})`));
      modelSelect.value = model.id;
      replace(codeView, h("code", {}, model.source || ""));
      modelNotice.show(`Uploaded ${model.name} as ${model.id}.`);
    } catch (caught) {
      modelNotice.show("");
      errors.set("model_upload", caught.message);
    }
    modelFile.value = "";
  });

  datasetFile.addEventListener("change", async () => {
    const file = datasetFile.files[0];
    if (!file) return;
    errors.clear();
    datasetNotice.show(`Uploading ${file.name} (${fmtBytes(file.size)})…`);
    try {
      const dataset = await upload("/v1/datasets", file, { label_column: labelColumn.value.trim() });
      datasets.set(dataset.id, dataset);
      datasetSelect.append(h("option", { value: dataset.id }, `${dataset.name} (${dataset.id})`));
      datasetSelect.value = dataset.id;
      showDataset(dataset);
      datasetNotice.show(`Uploaded ${dataset.name} as ${dataset.id}.`);
    } catch (caught) {
      datasetNotice.show("");
      errors.set("dataset_upload", caught.message);
    }
    datasetFile.value = "";
  });

  earlyStop.addEventListener("change", () => {
    for (const control of [monitor, patience, restoreBest]) control.disabled = !earlyStop.checked;
  });
  for (const control of [monitor, patience, restoreBest]) control.disabled = true;

  /** The request body, or null after showing what is wrong next to its field. */
  function buildBody() {
    errors.clear();
    let ok = true;
    const fail = (path, message) => {
      const box = errors.set(path, message);
      if (ok && box) box.querySelector("input, select, textarea")?.focus();
      ok = false;
    };
    if (!modelSelect.value) fail("model_id", "Choose a model source or upload a .py file.");
    if (!datasetSelect.value) fail("dataset_id", "Choose a dataset or upload a .npz or .csv file.");
    const hp = hpModeJson.checked ? parseHyperparametersJson(hpJson.value) : hpFromRows();
    if (hp.error) fail("hyperparameters", hp.error);
    const integer = (control, path, label, min) => {
      const value = Number(control.value);
      if (control.value === "" || !Number.isInteger(value) || value < min) {
        fail(path, `${label} must be a whole number of at least ${min}. Received: ${control.value || "nothing"}.`);
      }
      return value;
    };
    const training = {
      epochs: integer(epochs, "training.epochs", "Epochs", 1),
      batch_size: integer(batchSize, "training.batch_size", "Batch size", 1),
      validation_split: validationSplit.value === "" ? 0 : Number(validationSplit.value),
    };
    if (!(training.validation_split >= 0 && training.validation_split < 1)) {
      fail("training.validation_split", `The validation split must be at least 0 and below 1. Received: ${validationSplit.value}.`);
    }
    if (optimizer.value) training.optimizer = optimizer.value;
    if (learningRate.value !== "") {
      training.learning_rate = Number(learningRate.value);
      if (!(training.learning_rate > 0)) fail("training.learning_rate", `The learning rate must be above 0. Received: ${learningRate.value}.`);
    }
    if (loss.value.trim()) training.loss = loss.value.trim();
    const metricNames = metrics.value.split(",").map((item) => item.trim()).filter(Boolean);
    if (metricNames.length) training.metrics = metricNames;
    if (earlyStop.checked) {
      training.early_stopping = {
        monitor: monitor.value.trim() || "val_loss",
        patience: integer(patience, "training.early_stopping.patience", "Patience", 0),
        restore_best_weights: restoreBest.checked,
      };
    }
    const body = {
      model_id: modelSelect.value,
      dataset_id: datasetSelect.value,
      hyperparameters: hp.value || {},
      training,
      resources: { gpus: integer(gpus, "resources.gpus", "GPUs", 0) },
    };
    if (name.value.trim()) body.name = name.value.trim();
    if (maxRuntime.value !== "") body.max_runtime_s = integer(maxRuntime, "max_runtime_s", "The time limit", 1);
    return ok ? body : null;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = buildBody();
    if (!body) {
      general.show("Fix the fields marked above, then start training again.");
      return;
    }
    submit.disabled = true;
    try {
      const job = await api("POST", "/v1/jobs", { json: body });
      location.hash = `#/jobs/${job.id}`;
    } catch (caught) {
      const box = showApiError(errors, caught);
      if (box) box.querySelector("input, select, textarea")?.focus();
      submit.disabled = false;
    }
  });

  const hpJsonBox = field("hyperparameters", "Hyperparameters (JSON object)", hpJson, "Passed to build_model(hparams), e.g. {\"units\": 64}.");
  const hpRowsError = h("p", { class: "field-error", id: "f-hyperparameters-rows-error", role: "alert" });
  hpRowsError.hidden = true;
  const hpRowsBox = h(
    "div",
    { class: "field", dataset: { field: "hyperparameters" } },
    h("span", { class: "label", id: "hp-rows-label" }, "Hyperparameters (name and value; values are read as JSON when they can be)"),
    hpRows,
    h("button", { type: "button", class: "secondary", onclick: () => addHpRow().focus() }, "Add hyperparameter"),
    hpRowsError,
  );

  replace(
    form,
    h("h1", { id: "new-job-title" }, "New training job"),
    h(
      "fieldset",
      {},
      h("legend", {}, "Model source"),
      field("model_id", "Model source", modelSelect),
      field("model_upload", "…or upload a Python file defining build_model(hparams)", modelFile),
      modelNotice,
      h("details", { class: "code-details", open: true }, h("summary", {}, "Source"), codeView),
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, "Dataset"),
      field("dataset_id", "Dataset", datasetSelect),
      field("dataset_upload", "…or upload a .npz (arrays x, y, …) or .csv file", datasetFile),
      field("label_column", "Label column (CSV only)", labelColumn),
      datasetNotice,
      datasetSummary,
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, "Hyperparameters"),
      h(
        "div",
        { class: "radio-row", role: "radiogroup", "aria-label": "Edit hyperparameters as" },
        h("label", { for: "hp-mode-rows" }, hpModeRows, " Rows"),
        h("label", { for: "hp-mode-json" }, hpModeJson, " JSON"),
      ),
      hpRowsBox,
      hpJsonBox,
    ),
    h(
      "fieldset",
      { class: "grid" },
      h("legend", {}, "Training"),
      field("name", "Job name (optional)", name),
      field("training.epochs", "Epochs", epochs),
      field("training.batch_size", "Batch size", batchSize),
      field("training.validation_split", "Validation split", validationSplit, "Fraction of the rows held out, 0 for none."),
      field("training.optimizer", "Optimizer", optimizer),
      field("training.learning_rate", "Learning rate", learningRate),
      field("training.loss", "Loss (optional)", loss),
      field("training.metrics", "Metrics (comma-separated)", metrics),
      field("resources.gpus", "GPUs", gpus),
      field("max_runtime_s", "Time limit in seconds (optional)", maxRuntime),
    ),
    h(
      "fieldset",
      { class: "grid", dataset: { field: "training.early_stopping" } },
      h("legend", {}, "Early stopping"),
      h("div", { class: "field checkbox" }, earlyStop, h("label", { for: "f-early-stopping-on" }, "Stop when the monitored value stops improving")),
      field("training.early_stopping.monitor", "Monitor", monitor),
      field("training.early_stopping.patience", "Patience (epochs)", patience),
      h("div", { class: "field checkbox" }, restoreBest, h("label", { for: "f-restore-best" }, "Restore the best weights")),
    ),
    general,
    h("div", { class: "actions" }, submit, h("a", { class: "button", href: "#/jobs" }, "Cancel")),
  );
  hpRows.setAttribute("role", "group");
  hpRows.setAttribute("aria-labelledby", "hp-rows-label");
  setHyperparameters({});
  showHpMode();
  replace(main, form);

  const from = query.get("from");
  (async () => {
    try {
      if (!from) {
        await loadChoices();
        return;
      }
      const job = await api("GET", `/v1/jobs/${encodeURIComponent(from)}`);
      if (stopped) return;
      await loadChoices(job.model_id, job.dataset_id);
      const t = job.training || {};
      name.value = job.name ? `${job.name} (again)` : "";
      epochs.value = t.epochs ?? 5;
      batchSize.value = t.batch_size ?? 32;
      validationSplit.value = t.validation_split ?? 0;
      optimizer.value = t.optimizer || "";
      learningRate.value = t.learning_rate ?? "";
      loss.value = t.loss || "";
      metrics.value = (t.metrics || []).join(", ");
      earlyStop.checked = Boolean(t.early_stopping);
      earlyStop.dispatchEvent(new Event("change"));
      if (t.early_stopping) {
        monitor.value = t.early_stopping.monitor;
        patience.value = t.early_stopping.patience;
        restoreBest.checked = Boolean(t.early_stopping.restore_best_weights);
      }
      gpus.value = (job.resources || {}).gpus ?? 0;
      maxRuntime.value = job.max_runtime_s ?? "";
      setHyperparameters(job.hyperparameters || {});
      general.show("");
      form.querySelector("h1").textContent = `Run job ${job.name || job.id} again`;
    } catch (caught) {
      general.show(caught.message);
    }
  })();
  return () => {
    stopped = true;
  };
}
