// The console page: log in, then views by hash route, kept live by server-sent events (/api/events).
import { t, toggleLanguage, currentLanguage, translateStatic } from "./i18n.js";
import { drawFederation } from "./diagram.js";
import { bars, line } from "./charts.js";

const state = { user: null, csrf: "", overview: null, version: null, events: null, view: "", caseId: "" };
const main = document.getElementById("main");

function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) element.append(child instanceof Node ? child : document.createTextNode(String(child ?? "")));
  return element;
}

function table(columns, rows, { testid, rowAttributes } = {}) {
  const head = el("tr", {}, columns.map(([key]) => el("th", {}, t(key))));
  const body = rows.length
    ? rows.map((row) => el("tr", rowAttributes ? rowAttributes(row) : {}, columns.map(([key, render]) => el("td", { "data-key": key || undefined }, render ? render(row) : row[key] ?? ""))))
    : [el("tr", {}, el("td", { colspan: columns.length, class: "empty" }, t("none")))];
  return el("table", { "data-testid": testid }, el("thead", {}, head), el("tbody", {}, body));
}

function when(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return date.toLocaleString(currentLanguage() === "zh" ? "zh-CN" : "en-GB", { hour12: false, timeZone: "Asia/Shanghai" });
}

function duration(seconds) {
  const sign = seconds < 0 ? "-" : "";
  let s = Math.abs(seconds);
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60);
  return `${sign}${d ? d + "d " : ""}${h}h ${m}m`;
}

async function api(path, { method = "GET", body } = {}) {
  const headers = { accept: "application/json" };
  if (method !== "GET") { headers["content-type"] = "application/json"; headers["x-csrf-token"] = state.csrf; }
  const response = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined, credentials: "same-origin" });
  const data = await response.json().catch(() => ({}));
  if (response.status === 401 && path !== "/api/login") { showLogin(); throw new Error("login required"); }
  if (response.status === 403 && data.error === "password_change_required") { showPasswordChange(state.user || { name: "" }); throw new Error("password change required"); }
  return { status: response.status, data };
}

// -- login ------------------------------------------------------------------

function showLogin(message = "") {
  state.user = null;
  if (state.events) { state.events.close(); state.events = null; }
  document.getElementById("nav").hidden = true;
  document.getElementById("logout").hidden = true;
  document.getElementById("whoami").textContent = "";
  const error = el("p", { id: "login-error", class: "error", "data-testid": "login-error" }, message);
  const name = el("input", { id: "login-name", name: "name", autocomplete: "username", required: true });
  const password = el("input", { id: "login-password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const form = el("form", { id: "login-form", class: "login", onsubmit: async (event) => {
    event.preventDefault();
    const { status, data } = await api("/api/login", { method: "POST", body: { name: name.value, password: password.value } });
    if (status === 200) { state.csrf = data.csrf; if (data.must_change_password) showPasswordChange(data.user); else loggedIn(data.user); return; }
    error.textContent = status === 429 ? `${t("login.locked")} (${data.retry_after}s)` : t("login.failed");
    error.dataset.code = data.error || "";
  } },
  el("h2", {}, t("login")), el("label", {}, t("name"), name), el("label", {}, t("password"), password),
  el("button", { type: "submit", id: "login-submit" }, t("login")), error);
  main.replaceChildren(form);
}

// The first operator's password was printed by `jjj up`: it is replaced before anything else.
function showPasswordChange(user) {
  state.user = null;
  if (state.events) { state.events.close(); state.events = null; }
  document.getElementById("nav").hidden = true;
  document.getElementById("logout").hidden = false;
  document.getElementById("whoami").textContent = user.name;
  const error = el("p", { id: "password-error", class: "error", "data-testid": "password-error" });
  const current = el("input", { id: "password-current", type: "password", autocomplete: "current-password", required: true });
  const fresh = el("input", { id: "password-new", type: "password", autocomplete: "new-password", required: true, minlength: 12 });
  const again = el("input", { id: "password-again", type: "password", autocomplete: "new-password", required: true, minlength: 12 });
  const form = el("form", { id: "password-form", class: "login", "data-testid": "password-form", onsubmit: async (event) => {
    event.preventDefault();
    if (fresh.value !== again.value) { error.textContent = t("password.mismatch"); error.dataset.code = "mismatch"; return; }
    const { status, data } = await api("/api/password", { method: "POST", body: { current: current.value, new: fresh.value } });
    if (status === 200) { state.csrf = data.csrf; loggedIn(data.user); return; }
    error.textContent = data.error === "weak_password" ? t("password.weak") : data.error === "locked" ? t("login.locked") : t("login.failed");
    error.dataset.code = data.error || "";
  } },
  el("h2", {}, t("password.change")), el("p", {}, t("password.first")), el("label", {}, t("password.current"), current),
  el("label", {}, t("password.new"), fresh), el("label", {}, t("password.again"), again),
  el("button", { type: "submit", id: "password-submit" }, t("password.change")), error);
  main.replaceChildren(form);
}

function loggedIn(user) {
  state.user = user;
  document.getElementById("nav").hidden = false;
  document.getElementById("logout").hidden = false;
  document.getElementById("whoami").textContent = `${user.name} · ${t("role." + user.role)}${user.jurisdiction ? " · " + t(user.jurisdiction) : ""}`;
  openEvents();
  if (!location.hash || location.hash === "#/login") location.hash = "#/overview";
  route();
}

// -- live updates -----------------------------------------------------------

function openEvents() {
  if (state.events) state.events.close();
  const live = document.getElementById("live");
  const source = new EventSource("/api/events");
  source.addEventListener("overview", (event) => {
    const overview = JSON.parse(event.data);
    const changed = state.version !== null && overview.version !== state.version;
    state.overview = overview;
    state.version = overview.version;
    live.textContent = `● ${t("live")} ${when(overview.at)}`;
    live.dataset.state = "live";
    renderAlerts(overview.alerts);
    if (state.view === "overview") renderOverview();
    else if (changed && ["case", "exchanges", "deadlines", "deadletters", "actions", "charts"].includes(state.view)) route({ quiet: true });
  });
  source.onerror = () => { live.textContent = `○ ${t("offline")}`; live.dataset.state = "offline"; };
  state.events = source;
}

function renderAlerts(alerts) {
  const box = document.getElementById("alerts");
  box.replaceChildren(...alerts.map((alert) => el("div", { class: `alert ${alert.level}`, "data-alert": alert.key },
    currentLanguage() === "zh" ? alert.zh : alert.en)));
}

// -- views ------------------------------------------------------------------

function section(titleKey, ...content) {
  return el("section", {}, el("h2", {}, t(titleKey)), ...content);
}

function caseLink(caseId) {
  return caseId ? el("a", { href: `#/case/${encodeURIComponent(caseId)}`, "data-case": caseId }, caseId) : "";
}

function renderOverview() {
  const overview = state.overview;
  if (!overview) { main.replaceChildren(el("p", {}, "…")); return; }
  const picture = el("div", { id: "diagram", "data-testid": "diagram" });
  drawFederation(picture, overview);
  const pairs = table([["pair", (p) => `${t(p.sender)} → ${t(p.destination)}`], ["per_minute"], ["in_flight"], ["waiting_to_sign"],
    ["overdue"], ["returned"], ["dead_letters"]], overview.pairs, { testid: "pairs", rowAttributes: (p) => ({ "data-pair": `${p.sender}-${p.destination}` }) });
  const health = table([["process", (h) => t(h.name)], ["state", (h) => el("span", { class: `dot ${h.state}` }, h.state)], ["reason"]],
    overview.health, { testid: "health" });
  const inboxes = table([["member", (i) => t(i.member)], ["state", (i) => (i.connected ? t("connected") : t("disconnected"))],
    ["pending"], ["oldest", (i) => i.oldest_pending_seconds], ["last_ack", (i) => when(i.last_ack_at)],
    ["metrics", (i) => (i.metrics_pending === undefined ? "" : `${i.metrics_pending} / ${Math.round(i.metrics_oldest_pending_seconds)}`)]],
    overview.inboxes, { testid: "inboxes" });
  main.replaceChildren(el("div", { class: "overview", "data-testid": "overview", "data-version": overview.version },
    picture, section("pair", pairs), el("div", { class: "columns" }, section("health", health), section("inboxes", inboxes)),
    overview.certificates.length ? section("certificates", table([["process", (c) => c.principal], ["days_left"]], overview.certificates)) : ""));
}

async function renderCase(caseId, quiet) {
  const { status, data } = await api(`/api/cases/${encodeURIComponent(caseId)}`);
  if (status === 403 || status === 404) {
    main.replaceChildren(el("p", { class: "error", "data-testid": "case-refused", "data-status": status }, t(status === 403 ? "forbidden" : "notfound")));
    return;
  }
  const c = data.case;
  const facts = el("dl", { class: "facts" }, ...[["case_id", c.case_id], ["native_id", c.native_id], ["origin", t(c.origin)],
    ["holder", t(c.holder)], ["status", c.status], ["due_at", when(c.due_at)]].flatMap(([k, v]) => [el("dt", {}, t(k)), el("dd", { "data-field": k }, v ?? "")]));
  const timeline = table([["at", (r) => when(r.at)], ["kind"], ["from", (r) => t(r.from)], ["to", (r) => t(r.to)], ["status"], ["actor"], ["note"],
    ["trace", (r) => (r.trace_id ? el("a", { href: `/traces/${r.trace_id}`, "data-trace": r.trace_id }, r.trace_id.slice(0, 8)) : "")]],
    data.timeline, { testid: "timeline" });
  const deadlines = table([["step"], ["kind"], ["due_at", (d) => when(d.due_at)], ["left", (d) => el("span", { class: d.seconds_left < 0 ? "bad" : "" }, duration(d.seconds_left))]],
    data.deadlines, { testid: "case-deadlines" });
  const verification = data.verification;
  const checks = el("div", { "data-testid": "verification", "data-chain": verification.chain },
    el("p", {}, `${t("chain")}: ${verification.chain}`),
    table([["kind"], ["signature", (s) => s.status], ["key_id", (s) => s.key_id]], verification.signatures));
  main.replaceChildren(el("div", { class: "case", "data-testid": "case-view", "data-case": c.case_id },
    el("h2", {}, `${t("case")} ${c.case_id}`), facts, section("timeline", timeline), section("deadlines", deadlines),
    section("co_handlers", el("p", {}, data.co_handlers.map(t).join("、") || t("none"))),
    section("repeats", el("p", {}, data.repeats.length ? data.repeats.map(caseLink) : t("none"))),
    section("verification", checks)));
}

async function renderTrace(traceId) {
  const { status, data } = await api(`/api/traces/${encodeURIComponent(traceId)}`);
  if (status !== 200) {
    main.replaceChildren(el("p", { class: "error", "data-testid": "trace-refused", "data-status": status }, t("notfound")));
    return;
  }
  const spans = table([["process", (s) => s.process], ["span", (s) => `${"· ".repeat(s.depth)}${s.name}`],
    ["offset_ms", (s) => s.offset_ms], ["duration_ms", (s) => s.duration_ms], ["status", (s) => s.status],
    ["envelope", (s) => s.attributes["jjj.envelope_id"] || ""]], data.spans, { testid: "trace-spans" });
  main.replaceChildren(el("div", { class: "trace", "data-testid": "trace-view", "data-trace": data.trace_id },
    el("h2", {}, `${t("trace")} ${data.trace_id}`), el("p", {}, data.cases.map(caseLink)), spans));
}

async function renderExchanges() {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const inputs = ["case_id", "native_id", "sender", "destination", "flow", "status", "since", "until"].map((name) =>
    el("label", {}, t(name), el("input", { name, value: params.get(name) || "" })));
  const form = el("form", { class: "search", onsubmit: (event) => {
    event.preventDefault();
    const query = new URLSearchParams([...new FormData(form)].filter(([, v]) => v));
    location.hash = `#/exchanges?${query}`;
  } }, inputs, el("button", { type: "submit" }, t("search")));
  const { data } = await api(`/api/exchanges?${params}`);
  const rows = table([["case_id", (r) => caseLink(r.case_id)], ["native_id"], ["flow"], ["sender", (r) => t(r.sender)],
    ["destination", (r) => t(r.destination)], ["status"], ["sent_at", (r) => when(r.sent_at)], ["published_at", (r) => when(r.published_at)],
    ["projected_at", (r) => when(r.projected_at)], ["delivered_at", (r) => when(r.delivered_at)],
    ["acknowledged_at", (r) => when(r.acknowledged_at)], ["size_bytes", (r) => (r.size_bytes == null ? "" : `${r.size_bytes} B`)],
    ["delivery_count", (r) => r.delivery_count ?? ""], ["lag_ms"], ["signature"]],
    data.exchanges || [], { testid: "exchanges", rowAttributes: (r) => ({ "data-envelope": r.envelope_id }) });
  main.replaceChildren(form, rows);
}

async function renderDeadlines() {
  // #/deadlines?limit=N shows more (or fewer) of the soonest; the API refuses a nonsense limit.
  const limit = new URLSearchParams(location.hash.split("?")[1] || "").get("limit");
  const { data } = await api(limit ? `/api/deadlines?limit=${encodeURIComponent(limit)}` : "/api/deadlines");
  const rows = data.deadlines || [];
  // Only the soonest come (the API's limit); the count says how many more there are.
  const shown = el("p", { "data-testid": "deadlines-shown" }, rows.length < (data.total ?? 0) ? t("deadlines.shown", { shown: rows.length, total: data.total }) : "");
  main.replaceChildren(section("nav.deadlines", shown, table([["case_id", (d) => caseLink(d.case_id)], ["origin", (d) => t(d.origin)],
    ["holder", (d) => t(d.holder)], ["step"], ["kind"], ["status"], ["due_at", (d) => when(d.due_at)],
    ["left", (d) => el("span", { class: d.overdue ? "bad" : "" }, duration(d.seconds_left))]], rows, { testid: "deadlines" })));
}

async function renderDeadLetters() {
  const { data } = await api("/api/deadletters");
  const letters = data.dead_letters || [];
  const reason = el("input", { id: "action-reason", placeholder: t("action_reason"), "data-testid": "action-reason" });
  const result = el("p", { id: "action-result", "data-testid": "action-result" });
  // A live refresh re-renders the page: the reason being typed and the last action's result stay.
  const keptReason = document.getElementById("action-reason");
  const keptResult = document.getElementById("action-result");
  if (keptReason) reason.value = keptReason.value;
  if (keptResult) {
    result.textContent = keptResult.textContent;
    if (keptResult.dataset.status) result.dataset.status = keptResult.dataset.status;
  }
  const act = async (action, sequences) => {
    if (!reason.value.trim()) { result.textContent = t("action_reason"); reason.focus(); return; }
    const { status, data: answer } = await api(`/api/deadletters/${action}`, { method: "POST", body: { sequences, reason: reason.value } });
    result.dataset.status = status;
    result.textContent = status === 200 ? t("done") : `${t("refused")}: ${answer.message || (answer.results || []).map((r) => r.error).filter(Boolean).join("; ")}`;
    if (status === 200) await renderDeadLetters().then(() => { document.getElementById("action-result").textContent = t("done"); document.getElementById("action-result").dataset.status = "200"; });
  };
  const selected = () => [...main.querySelectorAll("input[data-select]:checked")].map((box) => Number(box.dataset.select));
  const rows = table([
    ["", (l) => (l.handled ? "" : el("input", { type: "checkbox", "data-select": l.sequence }))],
    ["sequence"], ["receiver", (l) => t(l.receiver)], ["reason", (l) => el("span", { "data-testid": "reason" }, l.reason)], ["note", (l) => l.detail],
    ["delivery_count"], ["replay_count"], ["rejected_at", (l) => when(l.rejected_at)], ["case_id", (l) => caseLink(l.case_id)],
    ["status", (l) => (l.handled ? `${l.action.action} · ${l.action.by} · ${l.action.reason}` : t("open"))],
    ["envelope", (l) => {
      const pre = el("pre", {}, JSON.stringify(l.envelope, null, 1));
      const details = el("details", {}, el("summary", {}, `${l.bytes} B`), pre);
      if (!state.user.personal_data) return details;
      const unmask = async () => {  // audited: the reason goes to the action log
        if (!reason.value.trim()) { result.textContent = t("action_reason"); reason.focus(); return; }
        const { status, data: answer } = await api(`/api/deadletters/${l.sequence}/unmasked`, { method: "POST", body: { reason: reason.value } });
        result.dataset.status = status;
        if (status !== 200) { result.textContent = `${t("refused")}: ${answer.message || ""}`; return; }
        pre.textContent = JSON.stringify(answer.envelope, null, 1);
        pre.dataset.unmasked = "true";
        details.open = true;
      };
      return el("span", {}, details, el("button", { type: "button", "data-unmask": l.sequence, onclick: unmask }, t("unmask")));
    }],
    ["action", (l) => (l.handled || !state.user.may_act ? "" : el("span", {},
      el("button", { type: "button", "data-redrive": l.sequence, onclick: () => act("redrive", [l.sequence]) }, t("redrive")),
      el("button", { type: "button", "data-discard": l.sequence, onclick: () => act("discard", [l.sequence]) }, t("discard"))))],
  ], letters, { testid: "dead-letters", rowAttributes: (l) => ({ "data-sequence": l.sequence, "data-handled": String(l.handled) }) });
  const bulk = el("div", { class: "bulk" }, reason,
    el("button", { type: "button", id: "bulk-redrive", onclick: () => act("redrive", selected()) }, `${t("redrive")} (${t("selected")})`),
    el("button", { type: "button", id: "bulk-discard", onclick: () => act("discard", selected()) }, `${t("discard")} (${t("selected")})`), result);
  main.replaceChildren(section("nav.deadletters", bulk, rows));
}

async function renderActions() {
  const { data } = await api("/api/actions");
  main.replaceChildren(section("nav.actions", table([["at", (a) => when(a.at)], ["operator"], ["action"], ["sequence", (a) => a.dead_letter],
    ["case_id", (a) => caseLink(a.case_id)], ["outcome"], ["reason"]], data.actions || [], { testid: "actions" })));
}

async function renderCharts() {
  const span = (location.hash.split("?")[1] || "").includes("day") ? "day" : "hour";
  const { data } = await api(`/api/charts?span=${span}`);
  const switcher = el("p", {}, el("a", { href: "#/charts?span=hour" }, t("hour")), " · ", el("a", { href: "#/charts?span=day" }, t("day")));
  const pairs = data.pairs.map((p) => el("div", { class: "chart-box", "data-pair": `${p.sender}-${p.destination}`,
    "data-total": p.counts.reduce((sum, n) => sum + n, 0) },
    el("h3", {}, `${t(p.sender)} → ${t(p.destination)}`), bars(p.counts),
    el("p", {}, `${t("latency")} p50 ${p.p50} ms · p95 ${p.p95} ms · p99 ${p.p99} ms (${p.latency_basis})`)));
  const lag = Object.entries(data.inbox_lag).map(([member, points]) => el("div", { class: "chart-box" }, el("h3", {}, t(member)), line(points)));
  main.replaceChildren(section("throughput", switcher, el("div", { class: "charts" }, pairs.length ? pairs : t("none"))),
    section("lag", el("div", { class: "charts" }, lag)));
}

async function route({ quiet = false } = {}) {
  if (!state.user) return;
  const hash = location.hash.replace(/^#\//, "") || "overview";
  const [path] = hash.split("?");
  const [view, ...rest] = path.split("/");
  state.view = view;
  for (const link of document.querySelectorAll("#nav a")) link.classList.toggle("current", link.getAttribute("href") === `#/${view}`);
  if (view === "case") return renderCase(decodeURIComponent(rest.join("/")), quiet);
  if (view === "trace") return renderTrace(rest.join("/"));
  if (view === "exchanges") return renderExchanges();
  if (view === "deadlines") return renderDeadlines();
  if (view === "deadletters") return renderDeadLetters();
  if (view === "actions") return renderActions();
  if (view === "charts") return renderCharts();
  state.view = "overview";
  return renderOverview();
}

document.getElementById("lang").addEventListener("click", (event) => {
  toggleLanguage();
  event.target.textContent = currentLanguage() === "zh" ? "EN" : "中文";
  translateStatic();
  if (state.user) { loggedIn(state.user); renderAlerts(state.overview?.alerts || []); } else showLogin();
});
document.getElementById("logout").addEventListener("click", async () => {
  await api("/api/logout", { method: "POST" });
  showLogin();
});
window.addEventListener("hashchange", () => route());

translateStatic();
document.getElementById("lang").textContent = currentLanguage() === "zh" ? "EN" : "中文";
api("/api/session").then(({ status, data }) => {
  if (status === 200) { state.csrf = data.csrf; if (data.must_change_password) showPasswordChange(data.user); else loggedIn(data.user); }
}).catch(() => {});
