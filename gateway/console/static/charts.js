// Small SVG charts: bars of counts per bucket, a line of samples.
import { svg } from "./svg.js";

export function bars(values, { width = 360, height = 60, color = "#4f6b8f" } = {}) {
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", width, height });
  const max = Math.max(1, ...values);
  const step = width / Math.max(1, values.length);
  values.forEach((value, i) => {
    const h = (value / max) * (height - 12);
    root.append(svg("rect", { x: i * step + 1, y: height - h, width: Math.max(1, step - 2), height: h, fill: color }));
  });
  root.append(svg("text", { x: 2, y: 10, class: "chart-note" }, `max ${max}`));
  return root;
}

export function line(points, { width = 360, height = 60, color = "#d9a21b" } = {}) {
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", width, height });
  const values = points.map((point) => point[1]);
  const max = Math.max(1, ...values);
  const step = width / Math.max(1, values.length - 1);
  const path = values.map((value, i) => `${i ? "L" : "M"}${(i * step).toFixed(1)},${(height - (value / max) * (height - 12)).toFixed(1)}`);
  if (path.length) root.append(svg("path", { d: path.join(" "), fill: "none", stroke: color, "stroke-width": 2 }));
  root.append(svg("text", { x: 2, y: 10, class: "chart-note" }, `max ${max}`));
  return root;
}
