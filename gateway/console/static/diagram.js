// The federation as a live picture: three jurisdictions, each directed pair an arrow with its figures.
import { svg } from "./svg.js";
import { t } from "./i18n.js";

const POSITIONS = { beijing: [360, 62], tianjin: [630, 330], hebei: [90, 330] };
const COLORS = { green: "#2e9d5b", yellow: "#d9a21b", red: "#d0413c", unknown: "#8a8f98" };

function stateOf(overview, member) {
  const process = overview.health.find((item) => item.name === member);
  const inbox = overview.inboxes.find((item) => item.member === member);
  let state = process ? process.state : "unknown";
  if (state === "green" && inbox && inbox.consumers && !inbox.connected && inbox.pending) state = "yellow";
  return state;
}

function arrow(group, from, to, pair, index) {
  const [x1, y1] = POSITIONS[from];
  const [x2, y2] = POSITIONS[to];
  const dx = x2 - x1, dy = y2 - y1, length = Math.hypot(dx, dy);
  const nx = -dy / length, ny = dx / length, offset = 12;
  const sx = x1 + dx * 0.2 + nx * offset, sy = y1 + dy * 0.2 + ny * offset;
  const ex = x1 + dx * 0.8 + nx * offset, ey = y1 + dy * 0.8 + ny * offset;
  const trouble = pair.dead_letters > 0 || pair.overdue > 0;
  const busy = pair.waiting_to_sign > 0 || pair.in_flight > 0 || pair.per_minute > 0;
  const width = Math.min(8, 1.5 + pair.per_minute * 2);
  group.append(svg("line", { x1: sx, y1: sy, x2: ex, y2: ey, stroke: trouble ? COLORS.red : busy ? "#2f6fb5" : "#9aa7b8",
    "stroke-width": width, "marker-end": "url(#head)", "data-pair": `${from}-${to}` }));
  const lx = (sx + ex) / 2 + nx * 34, ly = (sy + ey) / 2 + ny * 34 - 10;
  const label = svg("text", { x: lx, y: ly, "text-anchor": "middle", class: busy ? "pair-label busy" : "pair-label",
    "data-testid": `pair-${from}-${to}`, "paint-order": "stroke", stroke: "#ffffff", "stroke-width": 4 });
  const lines = [
    `${pair.per_minute} ${t("per_minute")} · ${t("in_flight")} ${pair.in_flight}`,
    `${t("waiting_to_sign")} ${pair.waiting_to_sign} · ${t("overdue")} ${pair.overdue}`,
    `${t("returned")} ${pair.returned} · ${t("dead_letters")} ${pair.dead_letters}`,
  ];
  lines.forEach((line, i) => label.append(svg("tspan", { x: lx, dy: i ? 14 : 0 }, line)));
  group.append(label);
}

export function drawFederation(container, overview) {
  const root = svg("svg", { viewBox: "0 0 720 430", class: "federation", role: "img", "aria-label": t("nav.overview") });
  const defs = svg("defs");
  const marker = svg("marker", { id: "head", viewBox: "0 0 10 10", refX: 8, refY: 5, markerWidth: 5, markerHeight: 5, orient: "auto" });
  marker.append(svg("path", { d: "M0,0 L10,5 L0,10 z", fill: "#4f6b8f" }));
  defs.append(marker);
  root.append(defs);
  const edges = svg("g");
  overview.pairs.forEach((pair, index) => arrow(edges, pair.sender, pair.destination, pair, index));
  root.append(edges);
  for (const [member, [x, y]] of Object.entries(POSITIONS)) {
    const state = stateOf(overview, member);
    const node = svg("g", { "data-testid": `node-${member}`, "data-state": state });
    node.append(svg("circle", { cx: x, cy: y, r: 44, fill: "#ffffff", stroke: COLORS[state], "stroke-width": 6 }));
    node.append(svg("text", { x, y: y + 6, "text-anchor": "middle", class: "node-label" }, t(member)));
    const inbox = overview.inboxes.find((item) => item.member === member);
    if (inbox) {
      const text = `${inbox.connected ? t("connected") : t("disconnected")} · ${t("pending")} ${inbox.pending}`;
      node.append(svg("text", { x, y: y + 62, "text-anchor": "middle", class: "node-note" }, text));
    }
    root.append(node);
  }
  const bus = overview.health.find((item) => item.name === "nats");
  const gateway = overview.health.find((item) => item.name === "gateway");
  [[bus, "nats", 250], [gateway, "gateway", 470]].forEach(([item, name, x]) => {
    const state = item ? item.state : "unknown";
    const badge = svg("g", { "data-testid": `node-${name}`, "data-state": state });
    badge.append(svg("rect", { x: x - 55, y: 402, width: 110, height: 22, rx: 11, fill: COLORS[state] }));
    badge.append(svg("text", { x, y: 417, "text-anchor": "middle", class: "badge-label" }, t(name)));
    if (item) badge.append(svg("title", {}, item.reason));
    root.append(badge);
  });
  container.replaceChildren(root);
}

export { COLORS };
