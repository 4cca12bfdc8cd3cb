/** The Sales page's chart: revenue and net (lines, in dollars, left axis) and orders (bars, right
 * axis) over the report's series, drawn by uPlot on a canvas.
 *
 * Colours come from the page's CSS custom properties (`--chart-*` in css/sales.css, themselves
 * the site's palette), read again when the colour scheme changes; the size follows the chart's
 * box. The canvas is an image (`role="img"`) named by the caller's summary, described by the
 * summary's element and pointing at the table of the same figures (`aria-details`).
 *
 * `new SalesChart(box, {onHover})`: `onHover(index)` is called with the series bucket under the
 * pointer, or null when it leaves. */

import uPlot from "../../../vendor/uplot/uPlot.esm.js";
import { formatCents } from "../../money.js";
import { axisLabel } from "./format.js";

/** The series the legend can show or hide, in drawing order (bars under the lines). */
export const SERIES = Object.freeze([
  { key: "orders", label: "Orders", figure: "orders" },
  { key: "gross", label: "Revenue", figure: "gross_cents" },
  { key: "net", label: "Net", figure: "net_cents" },
]);

const NARROW = 560;
const HEIGHTS = { narrow: 220, wide: 300 };
const MANY_POINTS = 14; // beyond this many buckets, a dot on each would crowd the lines
// Whole steps between the labels of each axis (uPlot picks the first that leaves room).
const BUCKET_STEPS = [1, 2, 3, 4, 5, 6, 7, 10, 14, 15, 20, 30, 60, 90, 120, 180, 365];
const CENT_STEPS = [1, 2, 5, 10, 25, 50];
for (let dollars = 1; dollars <= 1e8; dollars *= 10) {
  CENT_STEPS.push(dollars * 100, dollars * 200, dollars * 250, dollars * 500);
}
const COUNT_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 100_000];
const DARK = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

/** A colour as "rgb(r, g, b)", however CSS wrote it, with `alpha` as rgba. */
function withAlpha(probe, colour, alpha = 1) {
  probe.style.color = "";
  probe.style.color = colour;
  const parts = /rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)/.exec(getComputedStyle(probe).color);
  if (!parts) {
    return colour;
  }
  return alpha === 1 ? `rgb(${parts[1]}, ${parts[2]}, ${parts[3]})`
    : `rgba(${parts[1]}, ${parts[2]}, ${parts[3]}, ${alpha})`;
}

/** The chart's colours and font, from the CSS of `box` as it is now (light or dark). */
function paletteOf(box) {
  const style = getComputedStyle(box);
  const read = (name) => style.getPropertyValue(name).trim();
  const probe = document.createElement("span");
  probe.hidden = true;
  box.append(probe);
  try {
    return {
      revenue: withAlpha(probe, read("--chart-revenue")),
      revenueTop: withAlpha(probe, read("--chart-revenue"), 0.22),
      revenueBottom: withAlpha(probe, read("--chart-revenue"), 0.02),
      net: withAlpha(probe, read("--chart-net")),
      orders: withAlpha(probe, read("--chart-orders"), 0.4),
      grid: withAlpha(probe, read("--chart-grid")),
      axis: withAlpha(probe, read("--chart-axis")),
      background: withAlpha(probe, read("--chart-background")),
      font: `12px ${style.fontFamily}`,
    };
  } finally {
    probe.remove();
  }
}

/** An axis as wide as its longest label (uPlot calls it again once it knows the labels). */
function fittedSize(u, values, axisIndex, cycle) {
  const axis = u.axes[axisIndex];
  if (cycle > 1) {
    return axis._size;
  }
  let size = axis.gap + 6;
  const longest = (values || []).reduce((found, value) => (String(value).length > found.length ? String(value) : found), "");
  if (longest) {
    u.ctx.font = axis.font[0];
    size += u.ctx.measureText(longest).width / uPlot.pxRatio;
  }
  return Math.ceil(size);
}

export class SalesChart {
  constructor(box, { onHover = () => {} } = {}) {
    this.box = box;
    this.onHover = onHover;
    this.plot = null;
    this.report = null;
    this.label = "";
    this.visible = { orders: true, gross: true, net: true };
    this.width = 0;
    new ResizeObserver(() => this.fit()).observe(box);
    if (DARK) {
      DARK.addEventListener("change", () => this.draw());
    }
  }

  /** Draws `report`'s series; `label` names the image, `describedBy` and `details` are ids. */
  show(report, { label, describedBy, details }) {
    this.report = report;
    this.label = label;
    this.describedBy = describedBy;
    this.details = details;
    this.draw();
  }

  setVisible(key, visible) {
    this.visible[key] = visible;
    this.draw();
  }

  /** The height for the box's width: shorter where the screen is narrow. */
  heightFor(width) {
    return width < NARROW ? HEIGHTS.narrow : HEIGHTS.wide;
  }

  fit() {
    const width = Math.floor(this.box.clientWidth);
    if (!width || width === this.width) {
      return;
    }
    if (!this.plot) {
      this.draw();
      return;
    }
    this.width = width;
    this.plot.setSize({ width, height: this.heightFor(width) });
  }

  draw() {
    if (this.plot) {
      this.plot.destroy();
      this.plot = null;
    }
    this.box.dataset.chartState = "empty";
    const width = Math.floor(this.box.clientWidth);
    if (!this.report || !width) {
      return; // drawn when the box gets a size (fit)
    }
    this.width = width;
    const { series, by } = this.report;
    const colours = paletteOf(this.box);
    const data = [series.map((_, index) => index), ...SERIES.map(({ figure }) => series.map((bucket) => bucket[figure]))];
    const dots = series.length <= MANY_POINTS;
    const axis = { stroke: colours.axis, font: colours.font, ticks: { show: false }, gap: 6 };
    const revenueFill = (u) => {
      const gradient = u.ctx.createLinearGradient(0, u.bbox.top, 0, u.bbox.top + u.bbox.height);
      gradient.addColorStop(0, colours.revenueTop);
      gradient.addColorStop(1, colours.revenueBottom);
      return gradient;
    };
    const options = {
      width,
      height: this.heightFor(width),
      legend: { show: false },
      padding: [12, 8, 0, 4],
      cursor: {
        x: true,
        y: false,
        drag: { x: false, y: false, setScale: false },
        points: { size: 8, width: 2, fill: colours.background },
      },
      scales: {
        x: { time: false, range: (u, min, max) => [min - 0.5, max + 0.5] },
        money: { range: (u, min, max) => [Math.min(0, Math.floor(min * 1.08)), Math.max(100, Math.ceil(max * 1.08))] },
        // Bars reach at most about two thirds up, under the lines rather than over them.
        orders: { range: (u, min, max) => [0, Math.max(2, Math.ceil(max * 1.5))] },
      },
      axes: [
        {
          ...axis, grid: { show: false }, space: 64, incrs: BUCKET_STEPS, size: 28,
          values: (u, splits) => splits.map((index, position) => (
            Number.isInteger(index) && series[index] ? axisLabel(series[index].start, by, { first: position === 0 }) : "")),
        },
        {
          ...axis, scale: "money", space: 36, incrs: CENT_STEPS, size: fittedSize,
          grid: { stroke: colours.grid, width: 1 },
          values: (u, splits) => splits.map((cents) => formatCents(Math.round(cents))),
        },
        {
          ...axis, scale: "orders", side: 1, space: 36, incrs: COUNT_STEPS, size: fittedSize,
          grid: { show: false }, show: this.visible.orders,
          values: (u, splits) => splits.map((value) => (Number.isInteger(value) ? String(value) : "")),
        },
      ],
      series: [
        {},
        {
          label: "Orders", scale: "orders", show: this.visible.orders, width: 0,
          fill: colours.orders, stroke: colours.orders,
          paths: uPlot.paths.bars({ size: [0.6, 36], gap: 1 }), points: { show: false },
        },
        {
          label: "Revenue", scale: "money", show: this.visible.gross, stroke: colours.revenue, width: 2.5,
          fill: revenueFill, points: { show: dots, size: 6, fill: colours.revenue },
        },
        {
          label: "Net", scale: "money", show: this.visible.net, stroke: colours.net, width: 2, dash: [6, 4],
          points: { show: dots, size: 5, fill: colours.net },
        },
      ],
      hooks: {
        setCursor: [(u) => this.onHover(Number.isInteger(u.cursor.idx) ? u.cursor.idx : null)],
        draw: [() => {
          this.box.dataset.chartState = "drawn";
        }],
      },
    };
    this.plot = new uPlot(options, data, this.box);
    const canvas = this.plot.ctx.canvas;
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", this.label);
    if (this.describedBy) {
      canvas.setAttribute("aria-describedby", this.describedBy);
    }
    if (this.details) {
      canvas.setAttribute("aria-details", this.details);
    }
    this.plot.over.addEventListener("mouseleave", () => this.onHover(null));
    this.box.dataset.buckets = String(series.length);
    this.box.dataset.by = by;
  }
}
