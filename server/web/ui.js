// Small DOM helpers: elements are built with text nodes only (no HTML from data).

/**
 * Creates an element. `attrs`: attributes; `on*` functions become listeners; `class`,
 * `dataset` and boolean values are handled. Children: nodes, strings, arrays, null.
 */
export function h(tag, attrs = {}, ...children) {
  const svg = tag.startsWith("svg:");
  const node = svg
    ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4))
    : document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(node.dataset, value);
    } else if (value === true) {
      node.setAttribute(name, "");
    } else {
      node.setAttribute(name, String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `node`. */
export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

export const STATUSES = [
  "queued",
  "starting",
  "running",
  "cancelling",
  "succeeded",
  "failed",
  "cancelled",
];
export const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);
const STATUS_ICONS = {
  queued: "\u25F7", // ◷
  starting: "\u25B7", // ▷
  running: "\u25B6", // ▶
  cancelling: "\u25CC", // ◌
  succeeded: "\u2713", // ✓
  failed: "\u2715", // ✕
  cancelled: "\u2298", // ⊘
};

/** A status badge: an icon, the status in words and a colour (never colour alone). */
export function statusBadge(status) {
  return h(
    "span",
    { class: `badge status-${status}`, dataset: { status } },
    h("span", { class: "badge-icon", "aria-hidden": "true" }, STATUS_ICONS[status] || "?"),
    status,
  );
}

/** A number in a short readable form. */
export function fmt(value) {
  if (value === null || value === undefined) return "–";
  if (typeof value !== "number") return String(value);
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e5)) return value.toExponential(3);
  return value.toPrecision(4).replace(/\.?0+$/, "");
}

/** A shape as Python writes it: (1797, 64), (1797,). */
export function shapeText(shape) {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

/** Bytes as B, KiB, MiB. */
export function fmtBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** How long ago an ISO time was, e.g. "12 s ago". */
export function age(iso, now = Date.now()) {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}

/** A local date and time for an ISO string. */
export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "–";
}

/**
 * A table whose cells carry their column name, so narrow screens can show rows as cards. A
 * column is its name, or `{label, header, attrs}`: `header` (a node) fills its heading cell,
 * `attrs` are the heading cell's, `label` names its cells.
 */
export function table(caption, columns, rows, attrs = {}) {
  const labels = columns.map((column) => (typeof column === "string" ? column : column.label));
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "cards", ...attrs },
      caption ? h("caption", { class: "visually-hidden" }, caption) : null,
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          columns.map((column) =>
            typeof column === "string"
              ? h("th", { scope: "col" }, column)
              : h("th", { scope: "col", ...(column.attrs || {}) }, column.header ?? column.label),
          ),
        ),
      ),
      h(
        "tbody",
        {},
        rows.map((row) =>
          h(
            "tr",
            row.attrs || {},
            row.cells.map((cell, index) => h("td", { "data-label": labels[index] }, cell)),
          ),
        ),
      ),
    ),
  );
}

/** A message area; `show(text)` fills it, `show("")` empties it. */
export function messageArea(kind = "error") {
  const node = h("p", { class: `message ${kind}`, role: kind === "error" ? "alert" : "status" });
  node.hidden = true;
  node.show = (text) => {
    node.textContent = text || "";
    node.hidden = !text;
  };
  return node;
}
