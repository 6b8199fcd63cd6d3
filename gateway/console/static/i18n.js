// Labels in Chinese by default, English on request (remembered in localStorage).
const LABELS = {
  zh: {
    title: "京津冀案件交换 · 运行监控台", "nav.overview": "概览", "nav.charts": "图表", "nav.exchanges": "交换记录",
    "nav.deadlines": "办理时限", "nav.deadletters": "死信", "nav.actions": "操作日志", logout: "退出",
    login: "登录", name: "用户名", password: "密码", "login.failed": "用户名或密码错误", "login.locked": "登录失败次数过多，已暂时锁定",
    "password.change": "修改密码", "password.first": "首次登录：请先设置新密码（至少 12 位）", "password.current": "当前密码",
    "password.new": "新密码", "password.again": "再次输入新密码", "password.mismatch": "两次输入的新密码不一致",
    "password.weak": "新密码至少 12 位，且不能与当前密码相同",
    beijing: "北京", tianjin: "天津", hebei: "河北", federation: "联盟", gateway: "网关", nats: "消息总线",
    pair: "方向", per_minute: "条/分钟", in_flight: "办理中", waiting_to_sign: "待签收", overdue: "超期", returned: "退回",
    dead_letters: "死信", health: "运行状态", process: "进程", state: "状态", reason: "原因", inboxes: "成员收件箱",
    member: "成员", connected: "已连接", disconnected: "未连接", pending: "待处理", oldest: "最久(秒)", last_ack: "最近确认",
    case: "案件", case_id: "案件编号", native_id: "原系统编号", flow: "流程", status: "状态", at: "时间", from: "发出方",
    to: "接收方", actor: "经办人", note: "备注", kind: "类别", timeline: "跨地区办理轨迹", deadlines: "时限",
    due_at: "截止", left: "剩余", step: "环节", co_handlers: "协办方", repeats: "关联重复诉求", verification: "签名与审计链校验",
    chain: "审计链", signatures: "签名", search: "查询", sender: "发出方", destination: "接收方", since: "起", until: "止",
    sent_at: "发送", published_at: "上总线", projected_at: "网关收到", delivered_at: "投递给成员", acknowledged_at: "成员确认",
    size_bytes: "大小", lag_ms: "延迟(ms)",
    signature: "签名", sequence: "序号", receiver: "接收方", delivery_count: "投递次数", replay_count: "重放次数",
    rejected_at: "拒收时间", envelope: "报文(已脱敏)", redrive: "重新投递", discard: "丢弃", unmask: "查看个人信息（留痕）", "role.jurisdiction_pii": "辖区办案（可见个人信息）", action_reason: "操作原因（必填）",
    selected: "选中项", handled: "已处理", open: "待处理", operator: "操作员", outcome: "结果", action: "操作",
    forbidden: "无权查看：该案件不涉及本辖区", notfound: "没有该案件", throughput: "吞吐量（每分钟/每小时）",
    latency: "端到端延迟", trace: "链路追踪", span: "环节", offset_ms: "起点(ms)", duration_ms: "耗时(ms)",
    metrics: "指标(待处理/最久秒)", lag: "收件箱积压", hour: "近一小时", day: "近一天", none: "无", live: "实时", offline: "连接中断",
    origin: "来源地", holder: "承办地", role: "角色", "role.federation": "联盟运维", "role.jurisdiction": "辖区运维",
    "role.auditor": "审计员", refused: "被拒绝", done: "已完成", certificates: "证书", days_left: "剩余天数", key_id: "密钥",
    "deadlines.shown": "显示最紧迫的 {shown} 条，共 {total} 条",
  },
  en: {
    title: "Jing-Jin-Ji case exchange · operations console", "nav.overview": "Overview", "nav.charts": "Charts",
    "nav.exchanges": "Exchanges", "nav.deadlines": "Deadlines", "nav.deadletters": "Dead letters", "nav.actions": "Audit of actions",
    logout: "Log out", login: "Log in", name: "Name", password: "Password", "login.failed": "Wrong name or password",
    "login.locked": "Too many failed logins: locked for a while",
    "password.change": "Change password", "password.first": "First login: choose a new password (at least 12 characters)",
    "password.current": "Current password", "password.new": "New password", "password.again": "New password again",
    "password.mismatch": "The new passwords differ", "password.weak": "At least 12 characters, not the current password", beijing: "Beijing", tianjin: "Tianjin", hebei: "Hebei",
    federation: "Federation", gateway: "Gateway", nats: "NATS bus", pair: "Pair", per_minute: "msgs/min", in_flight: "In progress",
    waiting_to_sign: "Waiting to be signed", overdue: "Overdue", returned: "Returned", dead_letters: "Dead letters",
    health: "Health", process: "Process", state: "State", reason: "Reason", inboxes: "Member inboxes", member: "Member",
    connected: "connected", disconnected: "not connected", pending: "Pending", oldest: "Oldest (s)", last_ack: "Last ack",
    case: "Case", case_id: "Case id", native_id: "Native id", flow: "Flow", status: "Status", at: "At", from: "From", to: "To",
    actor: "Actor", note: "Note", kind: "Kind", timeline: "Cross-region timeline", deadlines: "Deadlines", due_at: "Due",
    left: "Left", step: "Step", co_handlers: "Co-handlers", repeats: "Linked repeat requests",
    verification: "Signature and audit-chain verification", chain: "Audit chain", signatures: "Signatures", search: "Search",
    sender: "Sender", destination: "Destination", since: "From", until: "Until", sent_at: "Sent", published_at: "On the bus",
    projected_at: "At the gateway", delivered_at: "Delivered", acknowledged_at: "Acknowledged", size_bytes: "Size", lag_ms: "Lag (ms)", signature: "Signature",
    sequence: "Seq", receiver: "Receiver", delivery_count: "Deliveries", replay_count: "Replays", rejected_at: "Refused at",
    envelope: "Envelope (masked)", redrive: "Redrive", discard: "Discard", unmask: "Show personal data (logged)", "role.jurisdiction_pii": "jurisdiction case officer (personal data)", action_reason: "Reason (required)",
    selected: "selected", handled: "handled", open: "open", operator: "Operator", outcome: "Outcome", action: "Action",
    forbidden: "Refused: this case does not touch your jurisdiction", notfound: "No such case",
    throughput: "Throughput (per minute / per hour)", latency: "End-to-end latency", trace: "Trace", span: "Span", offset_ms: "Start (ms)",
    duration_ms: "Duration (ms)", metrics: "Metrics (pending / oldest s)", lag: "Inbox backlog",
    hour: "Last hour", day: "Last day", none: "none", live: "live", offline: "disconnected", origin: "Origin", holder: "Holder",
    role: "Role", "role.federation": "federation operator", "role.jurisdiction": "jurisdiction operator",
    "role.auditor": "auditor", refused: "refused", done: "done", certificates: "Certificates", days_left: "Days left", key_id: "Key",
    "deadlines.shown": "The {shown} soonest of {total}",
  },
};

let language = localStorage.getItem("jjj-console-lang") || "zh";

export function t(key, values = {}) {
  const label = LABELS[language][key] ?? LABELS.zh[key] ?? key;
  return label.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

export function currentLanguage() {
  return language;
}

export function toggleLanguage() {
  language = language === "zh" ? "en" : "zh";
  localStorage.setItem("jjj-console-lang", language);
  document.documentElement.lang = language === "zh" ? "zh-CN" : "en";
  return language;
}

export function translateStatic(root = document) {
  for (const element of root.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
  document.title = t("title");
}
