// The datasets and models pages: list, details, delete (a 409 explains which jobs hold it).

import { api, ApiError, upload } from "./api.js";
import { age, fmtBytes, h, messageArea, replace, shapeText, table } from "./ui.js";

const KINDS = {
  datasets: {
    title: "Datasets",
    singular: "dataset",
    accept: ".npz,.csv",
    uploadLabel: "Upload a dataset (.npz or .csv)",
    columns: ["Name", "Id", "Format", "Rows", "Size", "Uploaded", "Actions"],
    cells: (item) => [item.format, rowsOf(item), fmtBytes(item.size_bytes)],
  },
  models: {
    title: "Model sources",
    singular: "model source",
    accept: ".py",
    uploadLabel: "Upload a model source (.py defining build_model(hparams))",
    columns: ["Name", "Id", "File", "Entry point", "Size", "Uploaded", "Actions"],
    cells: (item) => [item.filename, item.entry_point, fmtBytes(item.size_bytes)],
  },
};

function rowsOf(dataset) {
  const splits = (dataset.summary || {}).splits || {};
  const text = Object.entries(splits).map(([name, count]) => `${name} ${count}`).join(", ");
  return text || String((dataset.summary || {}).rows ?? "–");
}

async function detailsOf(kind, item) {
  if (kind === "datasets") {
    const summary = item.summary || {};
    return h(
      "div",
      { class: "details" },
      table(
        `Arrays of ${item.name}`,
        ["Array", "Shape", "Dtype"],
        (summary.arrays || []).map((a) => ({ cells: [a.name, shapeText(a.shape), a.dtype] })),
        { class: "cards compact arrays" },
      ),
      h("p", { class: "muted" }, `sha256 ${item.sha256}`),
    );
  }
  const model = await api("GET", `/v1/models/${encodeURIComponent(item.id)}`);
  return h(
    "div",
    { class: "details" },
    h("pre", { class: "code", tabindex: "0", "aria-label": `Source of ${item.name}` }, h("code", {}, model.source || "")),
    h("p", { class: "muted" }, `sha256 ${item.sha256}`),
  );
}

export function renderLibrary(main, kind) {
  const spec = KINDS[kind];
  const error = messageArea();
  const notice = messageArea("info");
  const list = h("div", { id: `${kind}-list` });
  const fileInput = h("input", { type: "file", id: `${kind}-upload`, accept: spec.accept });
  replace(
    main,
    h("div", { class: "page-head" }, h("h1", {}, spec.title)),
    h("div", { class: "toolbar" }, h("label", { for: `${kind}-upload` }, spec.uploadLabel), fileInput),
    notice,
    error,
    list,
  );
  let stopped = false;

  async function remove(item, button) {
    error.show("");
    notice.show("");
    button.disabled = true;
    try {
      await api("DELETE", `/v1/${kind}/${encodeURIComponent(item.id)}`);
      notice.show(`Deleted the ${spec.singular} ${item.name} (${item.id}).`);
      await refresh();
    } catch (caught) {
      const reason = caught instanceof ApiError && caught.status === 409
        ? `It is in use. ${caught.message}`
        : caught.message;
      error.show(`Could not delete the ${spec.singular} ${item.name}: ${reason}`);
      button.disabled = false;
      button.focus();
    }
  }

  function actions(item) {
    const detailsBox = h("div", { class: "details-box", id: `details-${item.id}` });
    detailsBox.hidden = true;
    const toggle = h("button", { type: "button", class: "secondary", "aria-expanded": "false", "aria-controls": `details-${item.id}` }, "Details");
    toggle.addEventListener("click", async () => {
      const open = toggle.getAttribute("aria-expanded") === "true";
      toggle.setAttribute("aria-expanded", String(!open));
      detailsBox.hidden = open;
      if (!open && !detailsBox.childNodes.length) {
        try {
          detailsBox.append(await detailsOf(kind, item));
        } catch (caught) {
          detailsBox.append(h("p", { class: "message error" }, caught.message));
        }
      }
    });
    const confirm = h("button", { type: "button", class: "danger" }, `Delete ${item.name}`);
    const keep = h("button", { type: "button", class: "secondary" }, "Keep");
    const confirmBox = h("span", { class: "confirm", role: "group", "aria-label": `Delete ${item.name}?` }, confirm, keep);
    confirmBox.hidden = true;
    const del = h("button", { type: "button", class: "danger-outline" }, "Delete");
    del.addEventListener("click", () => {
      del.hidden = true;
      confirmBox.hidden = false;
      confirm.focus();
    });
    keep.addEventListener("click", () => {
      confirmBox.hidden = true;
      del.hidden = false;
      del.focus();
    });
    confirm.addEventListener("click", () => remove(item, confirm));
    return h("div", { class: "row-actions" }, toggle, del, confirmBox, detailsBox);
  }

  async function refresh() {
    try {
      const page = await api("GET", `/v1/${kind}?limit=200`);
      if (stopped) return;
      if (!page.items.length) {
        replace(list, h("p", { class: "muted" }, `No ${spec.singular}s yet.`));
        return;
      }
      replace(
        list,
        table(
          spec.title,
          spec.columns,
          page.items.map((item) => ({
            attrs: { dataset: { id: item.id } },
            cells: [
              item.name,
              h("code", {}, item.id),
              ...spec.cells(item),
              h("time", { datetime: item.created_at, title: new Date(item.created_at).toLocaleString() }, age(item.created_at)),
              actions(item),
            ],
          })),
        ),
      );
    } catch (caught) {
      if (!stopped) error.show(caught.message);
    }
  }

  fileInput.addEventListener("change", async () => {
    const file = fileInput.files[0];
    if (!file) return;
    error.show("");
    notice.show(`Uploading ${file.name}…`);
    try {
      const item = await upload(`/v1/${kind}`, file);
      notice.show(`Uploaded ${item.name} as ${item.id}.`);
      await refresh();
    } catch (caught) {
      notice.show("");
      error.show(`Could not upload ${file.name}: ${caught.message}`);
    }
    fileInput.value = "";
  });

  refresh();
  return () => {
    stopped = true;
  };
}
