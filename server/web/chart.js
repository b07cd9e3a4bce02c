// Per-epoch line charts drawn as SVG: one chart per metric, training and validation together.

import { fmt, h, replace } from "./ui.js";

const HEIGHT = 220;
const MARGIN = { top: 12, right: 16, bottom: 34, left: 56 };

/** The chart's name of a metric: `val_accuracy` and `accuracy` share the chart `accuracy`. */
export function chartName(metric) {
  return metric.startsWith("val_") ? metric.slice(4) : metric;
}

/** A line chart of one metric by epoch: training (solid, circles), validation (dashed, squares). */
export class MetricChart {
  constructor(name) {
    this.name = name;
    this.train = new Map();
    this.validation = new Map();
    this.svg = h("svg:svg", { class: "chart-svg", role: "img", "aria-label": name });
    this.summary = h("p", { class: "chart-summary" });
    this.root = h(
      "figure",
      { class: "chart", dataset: { metric: name, points: "0" } },
      h("figcaption", {}, name),
      this.svg,
      h(
        "div",
        { class: "legend" },
        h("span", { class: "legend-item train" }, h("span", { class: "swatch", "aria-hidden": "true" }), "training"),
        h("span", { class: "legend-item validation" }, h("span", { class: "swatch", "aria-hidden": "true" }), "validation"),
      ),
      this.summary,
    );
  }

  /** Records the values of one epoch (`values` has `name` and/or `val_name`). */
  add(epoch, values) {
    const train = values[this.name];
    const validation = values[`val_${this.name}`];
    if (typeof train === "number") this.train.set(epoch, train);
    if (typeof validation === "number") this.validation.set(epoch, validation);
  }

  /** Redraws at the container's width; `epochs` is the planned number of epochs, if known. */
  render(epochs) {
    const width = Math.max(280, Math.round(this.root.clientWidth || 600));
    const series = [
      { points: [...this.train].sort((a, b) => a[0] - b[0]), kind: "train" },
      { points: [...this.validation].sort((a, b) => a[0] - b[0]), kind: "validation" },
    ];
    const all = series.flatMap((s) => s.points);
    this.root.dataset.points = String(this.train.size);
    this.root.dataset.validationPoints = String(this.validation.size);
    this.svg.setAttribute("viewBox", `0 0 ${width} ${HEIGHT}`);
    this.svg.setAttribute("width", String(width));
    this.svg.setAttribute("height", String(HEIGHT));
    const plotW = width - MARGIN.left - MARGIN.right;
    const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
    const maxEpoch = Math.max(epochs || 1, ...all.map((p) => p[0]), 2);
    let low = Math.min(...all.map((p) => p[1]));
    let high = Math.max(...all.map((p) => p[1]));
    if (!all.length) [low, high] = [0, 1];
    if (low === high) [low, high] = [low - 0.5 * Math.abs(low || 1), high + 0.5 * Math.abs(high || 1)];
    const pad = (high - low) * 0.08;
    low -= pad;
    high += pad;
    const x = (epoch) => MARGIN.left + ((epoch - 1) / (maxEpoch - 1)) * plotW;
    const y = (value) => MARGIN.top + (1 - (value - low) / (high - low)) * plotH;

    const grid = [];
    for (let i = 0; i <= 4; i += 1) {
      const value = low + ((high - low) * i) / 4;
      grid.push(
        h("svg:line", { class: "grid", x1: MARGIN.left, x2: width - MARGIN.right, y1: y(value), y2: y(value) }),
        h("svg:text", { class: "tick", x: MARGIN.left - 6, y: y(value) + 4, "text-anchor": "end" }, fmt(value)),
      );
    }
    const step = Math.max(1, Math.ceil((maxEpoch - 1) / Math.max(1, Math.floor(plotW / 60))));
    for (let epoch = 1; epoch <= maxEpoch; epoch += step) {
      grid.push(
        h("svg:text", { class: "tick", x: x(epoch), y: HEIGHT - MARGIN.bottom + 16, "text-anchor": "middle" }, String(epoch)),
      );
    }
    grid.push(
      h("svg:text", { class: "axis-label", x: MARGIN.left + plotW / 2, y: HEIGHT - 4, "text-anchor": "middle" }, "epoch"),
    );
    const lines = series.map(({ points, kind }) => {
      const path = points.map(([e, v], i) => `${i ? "L" : "M"}${x(e).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
      const marks = points.map(([e, v]) =>
        kind === "train"
          ? h("svg:circle", { class: "point", cx: x(e), cy: y(v), r: 3.5 }, h("svg:title", {}, `epoch ${e}: ${fmt(v)}`))
          : h("svg:rect", { class: "point", x: x(e) - 3.5, y: y(v) - 3.5, width: 7, height: 7 }, h("svg:title", {}, `epoch ${e}: ${fmt(v)}`)),
      );
      return h("svg:g", { class: `series ${kind}` }, points.length ? h("svg:path", { d: path }) : null, marks);
    });
    replace(this.svg, grid, lines);
    const last = (map) => (map.size ? fmt(map.get(Math.max(...map.keys()))) : "–");
    this.summary.textContent =
      `${this.name}: training ${last(this.train)}` +
      (this.validation.size ? `, validation ${last(this.validation)}` : "") +
      ` after ${Math.max(0, ...this.train.keys(), ...this.validation.keys())} epochs`;
    this.svg.setAttribute("aria-label", `${this.name} by epoch. ${this.summary.textContent}`);
  }
}

/** The charts of one job: created as metrics appear, redrawn on new points and on resize. */
export class ChartBoard {
  constructor() {
    this.charts = new Map();
    this.epochs = null;
    this.root = h("div", { class: "charts" });
    this.empty = h("p", { class: "muted" }, "No epoch has finished yet; charts appear with the first one.");
    this.root.append(this.empty);
    this.resize = new ResizeObserver(() => this.render());
    this.resize.observe(this.root);
  }

  /** Adds an epoch's metric values (an SSE `metric` event or a row of the history). */
  add(epoch, values) {
    for (const metric of Object.keys(values)) {
      if (metric === "epoch" || metric === "step") continue;
      const name = chartName(metric);
      if (!this.charts.has(name)) {
        const chart = new MetricChart(name);
        this.charts.set(name, chart);
        const ordered = [...this.charts.keys()].sort((a, b) => (a === "loss" ? -1 : b === "loss" ? 1 : a.localeCompare(b)));
        this.empty.remove();
        replace(this.root, ordered.map((key) => this.charts.get(key).root));
      }
      this.charts.get(name).add(epoch, values);
    }
  }

  render() {
    for (const chart of this.charts.values()) chart.render(this.epochs);
  }

  close() {
    this.resize.disconnect();
  }
}
