// Charts drawn as SVG: per-epoch line charts (one job's metric, training and validation
// together; or one metric of several jobs), and a scatter of a hyperparameter against a metric.

import { fmt, h, replace } from "./ui.js";

const HEIGHT = 220;
const MARGIN = { top: 12, right: 16, bottom: 34, left: 56 };
// Series of a comparison beyond this many reuse the colours, with another marker and dashes.
const PALETTE_SIZE = 8;
const MARKERS = ["circle", "square", "triangle", "diamond"];

/** The chart's name of a metric: `val_accuracy` and `accuracy` share the chart `accuracy`. */
export function chartName(metric) {
  return metric.startsWith("val_") ? metric.slice(4) : metric;
}

/** Sizes the SVG `width` by HEIGHT; answers the plot area's width and height. */
function sizeSvg(svg, width) {
  svg.setAttribute("viewBox", `0 0 ${width} ${HEIGHT}`);
  svg.setAttribute("width", String(width));
  svg.setAttribute("height", String(HEIGHT));
  return { plotW: width - MARGIN.left - MARGIN.right, plotH: HEIGHT - MARGIN.top - MARGIN.bottom };
}

/** The span a value axis shows: the values' extent (widened when flat), padded by 8 %. */
function valueRange(values) {
  let low = Math.min(...values);
  let high = Math.max(...values);
  if (!values.length) [low, high] = [0, 1];
  if (low === high) [low, high] = [low - 0.5 * Math.abs(low || 1), high + 0.5 * Math.abs(high || 1)];
  const pad = (high - low) * 0.08;
  return [low - pad, high + pad];
}

/** Round values (steps of 1, 2 or 5 times a power of ten) in [low, high], about `count`. */
function niceTicks(low, high, count) {
  const raw = (high - low) / Math.max(1, count);
  if (!(raw > 0) || !Number.isFinite(raw)) return [low];
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= raw * 0.999);
  const ticks = [];
  for (let value = Math.ceil(low / step) * step; value <= high + step * 1e-9; value += step) {
    ticks.push(Number(value.toPrecision(12)));
  }
  return ticks;
}

/** Horizontal grid lines with their value labels at round values of [low, high]. */
function valueGrid(width, low, high, y) {
  return niceTicks(low, high, 4).flatMap((value) => [
    h("svg:line", { class: "grid", x1: MARGIN.left, x2: width - MARGIN.right, y1: y(value), y2: y(value) }),
    h("svg:text", { class: "tick", x: MARGIN.left - 6, y: y(value) + 4, "text-anchor": "end" }, fmt(value)),
  ]);
}

/** Labels of the horizontal axis: `ticks` as [x, text] pairs, and the axis name. */
function xAxis(ticks, name, plotW) {
  return [
    ticks.map(([at, text]) =>
      h("svg:text", { class: "tick", x: at, y: HEIGHT - MARGIN.bottom + 16, "text-anchor": "middle" }, text),
    ),
    h("svg:text", { class: "axis-label", x: MARGIN.left + plotW / 2, y: HEIGHT - 4, "text-anchor": "middle" }, name),
  ];
}

/** Epoch labels 1..maxEpoch, at most one every 60 px. */
function epochTicks(maxEpoch, plotW, x) {
  const ticks = [];
  const step = Math.max(1, Math.ceil((maxEpoch - 1) / Math.max(1, Math.floor(plotW / 60))));
  for (let epoch = 1; epoch <= maxEpoch; epoch += step) ticks.push([x(epoch), String(epoch)]);
  return ticks;
}

/** A marker of `shape` centred on (cx, cy), with a tooltip. */
function marker(shape, cx, cy, size, title, attrs = {}) {
  const tip = h("svg:title", {}, title);
  const r = size;
  if (shape === "square") {
    return h("svg:rect", { class: "point", x: cx - r, y: cy - r, width: 2 * r, height: 2 * r, ...attrs }, tip);
  }
  if (shape === "triangle") {
    const points = `${cx},${cy - r * 1.2} ${cx + r * 1.15},${cy + r * 0.9} ${cx - r * 1.15},${cy + r * 0.9}`;
    return h("svg:polygon", { class: "point", points, ...attrs }, tip);
  }
  if (shape === "diamond") {
    const points = `${cx},${cy - r * 1.3} ${cx + r * 1.3},${cy} ${cx},${cy + r * 1.3} ${cx - r * 1.3},${cy}`;
    return h("svg:polygon", { class: "point", points, ...attrs }, tip);
  }
  return h("svg:circle", { class: "point", cx, cy, r, ...attrs }, tip);
}

/** An SVG path through `points` ([x, y] in pixels). */
function pathThrough(points) {
  return points.map(([px, py], i) => `${i ? "L" : "M"}${px.toFixed(1)},${py.toFixed(1)}`).join(" ");
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
    const { plotW, plotH } = sizeSvg(this.svg, width);
    const maxEpoch = Math.max(epochs || 1, ...all.map((p) => p[0]), 2);
    const [low, high] = valueRange(all.map((p) => p[1]));
    const x = (epoch) => MARGIN.left + ((epoch - 1) / (maxEpoch - 1)) * plotW;
    const y = (value) => MARGIN.top + (1 - (value - low) / (high - low)) * plotH;
    const grid = [...valueGrid(width, low, high, y), xAxis(epochTicks(maxEpoch, plotW, x), "epoch", plotW)];
    const lines = series.map(({ points, kind }) => {
      const path = pathThrough(points.map(([e, v]) => [x(e), y(v)]));
      const shape = kind === "train" ? "circle" : "square";
      const marks = points.map(([e, v]) => marker(shape, x(e), y(v), 3.5, `epoch ${e}: ${fmt(v)}`));
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

/**
 * One metric of several jobs by epoch: a line per job, told apart by colour, marker and dashes,
 * with a legend that links each job. Redraws itself on resize; call `close()` when done.
 */
export class CompareChart {
  constructor() {
    this.metric = "";
    this.series = [];
    this.svg = h("svg:svg", { class: "chart-svg", role: "img" });
    this.caption = h("figcaption", {});
    this.legend = h("ul", { class: "legend compare-legend" });
    this.root = h("figure", { class: "chart compare-chart", dataset: { series: "0" } }, this.caption, this.svg, this.legend);
    this.resize = new ResizeObserver(() => this.render());
    this.resize.observe(this.root);
  }

  /** Shows `metric` of each series: `{label, href, points}` with `points` as [epoch, value]. */
  show(metric, series) {
    this.metric = metric;
    this.series = series;
    this.render();
  }

  render() {
    const width = Math.max(280, Math.round(this.root.clientWidth || 600));
    const drawn = this.series.map((s, index) => ({
      ...s,
      points: [...s.points].sort((a, b) => a[0] - b[0]),
      colour: `series-${index % PALETTE_SIZE}`,
      shape: MARKERS[Math.floor(index / PALETTE_SIZE) % MARKERS.length],
      dashed: Math.floor(index / PALETTE_SIZE) % 2 === 1,
    }));
    const all = drawn.flatMap((s) => s.points);
    this.root.dataset.metric = this.metric;
    this.root.dataset.series = String(drawn.length);
    this.caption.textContent = `${this.metric} by epoch`;
    const { plotW, plotH } = sizeSvg(this.svg, width);
    const maxEpoch = Math.max(...all.map((p) => p[0]), 2);
    const [low, high] = valueRange(all.map((p) => p[1]));
    const x = (epoch) => MARGIN.left + ((epoch - 1) / (maxEpoch - 1)) * plotW;
    const y = (value) => MARGIN.top + (1 - (value - low) / (high - low)) * plotH;
    const lines = drawn.map((s) =>
      h(
        "svg:g",
        { class: `series compared ${s.colour}${s.dashed ? " dashed" : ""}`, dataset: { label: s.label, points: String(s.points.length) } },
        s.points.length ? h("svg:path", { d: pathThrough(s.points.map(([e, v]) => [x(e), y(v)])) }) : null,
        s.points.map(([e, v]) => marker(s.shape, x(e), y(v), 3.5, `${s.label}, epoch ${e}: ${fmt(v)}`)),
      ),
    );
    replace(this.svg, valueGrid(width, low, high, y), xAxis(epochTicks(maxEpoch, plotW, x), "epoch", plotW), lines);
    replace(
      this.legend,
      drawn.map((s) => {
        const last = s.points.length ? fmt(s.points[s.points.length - 1][1]) : "no values";
        return h(
          "li",
          { class: `legend-item ${s.colour}${s.dashed ? " dashed" : ""}` },
          h("span", { class: "swatch", "aria-hidden": "true" }),
          s.href ? h("a", { href: s.href }, s.label) : s.label,
          h("span", { class: "muted" }, ` (${last})`),
        );
      }),
    );
    const summary = drawn.map((s) => `${s.label}: ${s.points.length ? fmt(s.points[s.points.length - 1][1]) : "none"}`);
    this.svg.setAttribute("aria-label", `${this.metric} by epoch of ${drawn.length} jobs; last values ${summary.join(", ")}`);
  }

  close() {
    this.resize.disconnect();
  }
}

/**
 * Positions and labels on a horizontal axis of `scale`: "linear" (labelled at `marks` when
 * given, the values of a choice), "log" (at powers of ten, or 1-2-5 within a decade) or
 * "category" (one slot per value of `marks`, in order).
 */
function horizontalScale(scale, xs, marks, bounds, plotW) {
  const left = MARGIN.left;
  const room = Math.max(2, Math.floor(plotW / 70));
  if (scale === "category") {
    const keys = marks.map((value) => JSON.stringify(value));
    const at = (value) => left + ((keys.indexOf(JSON.stringify(value)) + 0.5) / keys.length) * plotW;
    return { at, ticks: marks.map((value) => [at(value), typeof value === "string" ? value : JSON.stringify(value)]) };
  }
  const log = scale === "log";
  const t = log ? (value) => Math.log10(value) : (value) => value;
  const span = [...xs, ...marks, ...bounds].filter((value) => !log || value > 0).map(t);
  let [low, high] = span.length ? [Math.min(...span), Math.max(...span)] : [0, 1];
  if (low === high) [low, high] = log ? [low - 0.5, high + 0.5] : [low - 0.5 * Math.abs(low || 1), high + 0.5 * Math.abs(high || 1)];
  const pad = (high - low) * 0.06;
  [low, high] = [low - pad, high + pad];
  const at = (value) => left + ((t(value) - low) / (high - low)) * plotW;
  let values;
  if (!log) {
    values = marks.length && marks.length <= room ? marks : niceTicks(low, high, Math.min(5, room));
  } else if (Math.floor(high) - Math.ceil(low) >= 1) {
    const every = Math.ceil((Math.floor(high) - Math.ceil(low) + 1) / room);
    values = [];
    for (let power = Math.ceil(low); power <= Math.floor(high); power += every) values.push(10 ** power);
  } else {
    values = [];
    for (let power = Math.floor(low); power <= Math.ceil(high); power += 1) {
      for (const m of [1, 2, 5]) {
        const value = Number((m * 10 ** power).toPrecision(12));
        if (Math.log10(value) >= low && Math.log10(value) <= high) values.push(value);
      }
    }
    if (values.length < 2) values = niceTicks(10 ** low, 10 ** high, 3);
  }
  return { at, ticks: values.map((value) => [at(value), fmt(value)]) };
}

/**
 * A scatter of a hyperparameter (x) against a metric (y), one point per trial: the best trial
 * ringed and labelled, trials stopped early as hollow squares. Call `close()` when done.
 */
export class ScatterChart {
  constructor() {
    this.data = null;
    this.svg = h("svg:svg", { class: "chart-svg", role: "img" });
    this.caption = h("figcaption", {});
    this.summary = h("p", { class: "chart-summary" });
    this.root = h(
      "figure",
      { class: "chart scatter", dataset: { points: "0" } },
      this.caption,
      this.svg,
      h(
        "div",
        { class: "legend" },
        h("span", { class: "legend-item" }, h("span", { class: "mark finished", "aria-hidden": "true" }), "trial"),
        h("span", { class: "legend-item" }, h("span", { class: "mark stopped-early", "aria-hidden": "true" }), "stopped early"),
        h("span", { class: "legend-item" }, h("span", { class: "mark best", "aria-hidden": "true" }), "best trial"),
      ),
      this.summary,
    );
    this.resize = new ResizeObserver(() => this.render());
    this.resize.observe(this.root);
  }

  /**
   * Shows `points` (`{x, y, label, href, best, stoppedEarly}`) of the hyperparameter `xName`
   * against the metric `yName`; `scale` is "linear", "log" or "category"; `marks` are the
   * values a choice offers (the categories, in order, or the linear axis's labels); the axis
   * spans at least `bounds` ([low, high] of the search space).
   */
  show({ xName, yName, scale, marks = [], bounds = [], points }) {
    this.data = { xName, yName, scale, marks, bounds, points };
    this.render();
  }

  render() {
    if (!this.data) return;
    const { xName, yName, scale, marks, bounds, points } = this.data;
    const width = Math.max(280, Math.round(this.root.clientWidth || 600));
    const { plotW, plotH } = sizeSvg(this.svg, width);
    const usable = points.filter(
      (p) => typeof p.y === "number" && (scale === "category" || (typeof p.x === "number" && (scale !== "log" || p.x > 0))),
    );
    Object.assign(this.root.dataset, { points: String(usable.length), scale, param: xName });
    this.caption.textContent = `${yName} by ${xName}${scale === "log" ? " (log scale)" : ""}`;
    const [low, high] = valueRange(usable.map((p) => p.y));
    const y = (value) => MARGIN.top + (1 - (value - low) / (high - low)) * plotH;
    const x = horizontalScale(scale, usable.map((p) => p.x), marks, bounds, plotW);
    // The best trial last, so that no other point hides it.
    const ordered = [...usable].sort((a, b) => Number(a.best) - Number(b.best));
    const dots = ordered.map((p) => {
      const cx = x.at(p.x);
      const cy = y(p.y);
      const kind = p.best ? "best" : p.stoppedEarly ? "stopped-early" : "finished";
      const title = `${p.label}: ${xName} ${fmt(p.x)}, ${yName} ${fmt(p.y)}${p.stoppedEarly ? " (stopped early)" : ""}`;
      const shape = p.stoppedEarly ? "square" : "circle";
      return h(
        "svg:a",
        { href: p.href, class: `trial-point ${kind}`, dataset: { label: p.label } },
        p.best ? h("svg:circle", { class: "best-ring", cx, cy, r: 9 }) : null,
        marker(shape, cx, cy, 4.5, title),
        p.best ? h("svg:text", { class: "best-label", x: cx, y: cy - 13, "text-anchor": "middle" }, "best") : null,
      );
    });
    replace(this.svg, valueGrid(width, low, high, y), xAxis(x.ticks, xName, plotW), h("svg:g", { class: "trials" }, dots));
    const best = usable.find((p) => p.best);
    this.summary.textContent =
      `${usable.length} of ${points.length} trials reported ${yName}` +
      (best ? `; the best, ${best.label}, has ${xName} ${fmt(best.x)} and ${yName} ${fmt(best.y)}` : "");
    this.svg.setAttribute("aria-label", `${yName} by ${xName}. ${this.summary.textContent}`);
  }

  close() {
    this.resize.disconnect();
  }
}
