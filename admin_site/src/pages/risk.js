// Follow-ups & risk: today's calls (all, the caller's own, or those nobody is assigned to, each one
// claimable in one click) with masked phones, a one-click reveal and
// outcome buttons with a note, patients by lapse risk with their top
// factors, the risk model card and the drop-out curve of each condition (Chart.js line chart).
import { useEffect, useRef, useState } from "preact/hooks";
import {
  CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip,
} from "chart.js";
import { post, put, session } from "../api.js";
import { fmtDate, fmtDateTime, fmtNumber, fmtPercent, getLang, locale, t } from "../i18n.js";
import { RevealPhone } from "./followup.js";
import { html, labels, useAction, useGet, useWriteKey } from "./shared.js";
import { UpliftSection } from "./uplift_card.js";

Chart.register(CategoryScale, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip);

const L = labels({
  zh: {
    title: "随访与流失风险", worklist: "今日随访", noCalls: "今天没有要打的随访电话", patient: "患者",
    conditions: "病种", risk: "流失风险", factors: "主要因素", due: "应随访日", overdue: "逾期 {n} 天",
    last: "上次结果", actions: "结果", reached: "已接通", booked: "已预约", declined: "拒绝", wrong_number: "空号/错号",
    bookingDate: "预约日期", saved: "已记录", atRisk: "高风险患者", none: "暂无评分", model: "风险模型",
    noModel: "暂无模型", version: "版本", trainedAt: "训练时间", auc: "AUC（留出集）", baseline: "仅按距上次就诊天数",
    examples: "样本数", coefficients: "各因素的作用", raises: "升高风险", lowers: "降低风险", dropout: "各病种流失曲线",
    dropoutNote: "就诊后到某一天为止已回诊的患者比例", dropoutDay: "流失日", recallDay: "建议召回日", dayN: "第 {n} 天",
    noCurves: "还没有计算流失曲线", more: "下一页", flag: "号码有误",
    plan_changed: "该随访刚被别人记录，请刷新", plan_not_active: "随访计划已暂停或结束",
    booking_date_required: "请填写预约日期", invalid_date: "日期不能早于今天", try_again: "随访计划刚被更新，请重试",
    no_followup_plan: "该患者没有随访计划", patient_not_found: "找不到该患者", unknown_outcome: "未知的结果",
    unexpected_field: "只有“已预约”需要填写日期", wrong_role: "没有权限", invalid_input: "输入有误",
    too_few_examples: "历史数据不足，样本少于 50 个", one_class: "历史数据不足，几乎全部流失或全部回诊",
    not_trained_yet: "模型尚未训练（每天训练一次）", lastRun: "上次训练", recorded: "已记录：{name} {outcome}",
    prev: "上一页", notEnough: "样本不足，不计算流失日", daysAxis: "就诊后天数", back: "已回诊比例", weight: "系数", effect: "作用",
    label: "风险分是概率：约定复诊日在 {n} 天内（或已过）的患者，接下来 {n} 天内不来就诊的可能",
    notDueNote: "约定复诊日在 {n} 天以后的患者暂不评分，也不在高风险列表里",
    baseRate: "平均流失率", brier: "Brier 分数（越低越好）", brierRef: "只按平均流失率猜：{x}",
    baselineRef: "只看距上次就诊天数：{x}", evaluated: "以上数字来自 {n} 个没有参与训练和校准的样本",
    calibration: "按预测分十组：预测与实际", calDecile: "组（预测从低到高）", calCount: "样本数",
    calPredicted: "预测流失率（平均）", calObserved: "实际流失率", calGap: "预测与实际最大相差 {x}",
    factorsTitle: "各因素怎样影响流失风险", unused: "本次未使用的因素", numbers: "系数明细（每个标准差的对数几率）",
    oddsRatio: "几率比", mine: "我今天的电话", all: "全部今日随访", phone: "手机号", assignee: "负责人",
    note: "备注（选填）", noMine: "今天没有分给您的随访电话", unassigned: "未分配",
    unassignedTab: "未分配", noUnassigned: "今天没有未分配的随访电话", claim: "认领", claimed: "已认领：{name}",
    plan_assigned: "该随访已被别人认领，请刷新", unknown_assignee: "该账号不能负责随访（已停用或不是健康管理师/管理员）",
    unassignedNote: "未分配：参加血糖挑战自动建立、或还没有负责人的随访计划。认领后出现在“我今天的电话”里。",
  },
  en: {
    title: "Follow-ups & risk", worklist: "Today's calls", noCalls: "No follow-up calls due today", patient: "Patient",
    conditions: "Conditions", risk: "Lapse risk", factors: "Top factors", due: "Due", overdue: "{n} days overdue",
    last: "Last outcome", actions: "Outcome", reached: "Reached", booked: "Booked", declined: "Declined",
    wrong_number: "Wrong number", bookingDate: "Booking date", saved: "Recorded", atRisk: "Patients at risk",
    none: "Not scored yet", model: "Risk model", noModel: "No model yet", version: "Version", trainedAt: "Trained",
    auc: "AUC (hold-out)", baseline: "Days since last visit alone", examples: "Examples",
    coefficients: "What each factor does", raises: "raises risk", lowers: "lowers risk",
    dropout: "Drop-out curves by condition", dropoutNote: "Share of patients back by day d after a visit",
    dropoutDay: "Drop-out day", recallDay: "Suggested recall day", dayN: "day {n}", noCurves: "No curves computed yet",
    more: "Next page", flag: "Wrong number on file",
    plan_changed: "Someone just recorded this call; reload", plan_not_active: "The plan is paused or ended",
    booking_date_required: "Enter the booking date", invalid_date: "The date cannot be in the past",
    try_again: "The plan just changed; try again", no_followup_plan: "The patient has no follow-up plan",
    patient_not_found: "No such patient", unknown_outcome: "Unknown outcome",
    unexpected_field: "Only a booking takes a date", wrong_role: "Not allowed", invalid_input: "Invalid input",
    too_few_examples: "Not enough history: fewer than 50 examples",
    one_class: "Not enough history: nearly all lapsed or all returned",
    not_trained_yet: "Not trained yet (it trains daily)", lastRun: "Last run", recorded: "Recorded: {name} {outcome}",
    prev: "Previous page", notEnough: "Too few intervals for a drop-out day", daysAxis: "days after a visit",
    back: "share back", weight: "coefficient", effect: "Effect",
    label: "A score is a probability: of a patient due back within {n} days (or already overdue), the chance of no visit in the next {n} days",
    notDueNote: "Patients asked back more than {n} days from now are not scored and not listed",
    baseRate: "Lapse rate", brier: "Brier score (lower is better)", brierRef: "guessing the lapse rate for all: {x}",
    baselineRef: "days since the last visit alone: {x}", evaluated: "Figures from {n} examples used neither to train nor to calibrate",
    calibration: "Predicted against observed, in ten groups by score", calDecile: "Group (lowest score first)",
    calCount: "Examples", calPredicted: "Predicted lapse rate (mean)", calObserved: "Observed lapse rate",
    calGap: "Largest gap between predicted and observed: {x}", factorsTitle: "How each factor moves the risk",
    unused: "Factors not used this time", numbers: "Coefficients (log-odds per standard deviation)", oddsRatio: "odds ratio",
    mine: "My calls today", all: "All of today's calls", phone: "Phone", assignee: "Assigned to",
    note: "Note (optional)", noMine: "No calls assigned to you today", unassigned: "unassigned",
    unassignedTab: "Unassigned", noUnassigned: "No unassigned calls today", claim: "Claim", claimed: "Claimed: {name}",
    plan_assigned: "Someone has claimed this plan already; reload",
    unknown_assignee: "This account cannot take calls (disabled, or not a health manager or admin)",
    unassignedNote: "Unassigned: plans started by joining the glucose challenge, or with nobody assigned yet. A claimed plan moves to My calls today.",
  },
});

const label = (item) => (getLang() === "en" ? item.label_en : item.label_zh);
const factorText = (factors) => (Array.isArray(factors) ? factors : [])
  .map((f) => `${label(f)} ${f.direction === "raises" ? "↑" : "↓"}`).join("；");
const score = (value) => (value == null ? L("none") : fmtPercent(value));
const decimal = (value, digits = 3) => (value == null ? "—"
  : new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(value));
const conditionList = (codes) => (codes || []).map((c) => html`<span class="tag">${t(c)}</span>`);
const loading = (state) => (state.error ? html`<p class="error" data-testid="error">${L.error(state.error)}</p>`
  : html`<p class="muted">${t("loading")}</p>`);

function CallRow({ row, view, onDone, onClaimed }) {
  const [state, run] = useAction(L);
  const [booking, setBooking] = useState("");
  const [note, setNote] = useState("");
  const withKey = useWriteKey("followup");
  const withClaimKey = useWriteKey("followup-claim");
  const me = (session() || {}).username;
  // 认领: the plan becomes the caller's, unless someone took it meanwhile (plan_assigned)
  const claim = () => {
    const body = { assignee: me, unassigned_only: true };
    run(() => withClaimKey(body, (headers) => put(`/patients/${encodeURIComponent(row.patient_id)}/followup/assignee`, body, headers)))
      .then((r) => r && onClaimed(row));
  };
  const record = (outcome) => {
    const body = { outcome, ...(outcome === "booked" ? { booking_date: booking || undefined } : {}),
      ...(note.trim() ? { note: note.trim() } : {}) };
    run(() => withKey(body, (headers) => post(`/patients/${encodeURIComponent(row.patient_id)}/followup/outcomes`, body, headers)))
      .then((r) => r && onDone(row, outcome));
  };
  return html`<tr data-testid="call-row" data-id=${row.patient_id}>
    <td class="call-patient"><a href=${"#/patients/" + encodeURIComponent(row.patient_id)}>${row.name_masked}</a>
      ${row.followup_flag && html` <span class="tag warn">${L("flag")}</span>`}
      ${view !== "mine" && html`<br /><span class="muted small-text" data-testid="call-assignee">${L("assignee")}：${row.assignee || L("unassigned")}</span>`}
      ${!row.assignee && me && html` <button class="small" disabled=${state.busy} onClick=${claim}
        data-testid="call-claim">${L("claim")}</button>`}</td>
    <td><${RevealPhone} patientId=${row.patient_id} masked=${row.phone_masked} /></td>
    <td>${conditionList(row.conditions)}</td>
    <td>${score(row.risk_score)}</td>
    <td class="wrap">${factorText(row.risk_factors) || "—"}</td>
    <td class="nowrap">${fmtDate(row.next_due)}${row.days_overdue > 0 ? html`<br /><span class="muted">${L("overdue", { n: fmtNumber(row.days_overdue) })}</span>` : ""}</td>
    <td class="nowrap">${row.last_outcome ? L(row.last_outcome) : "—"}</td>
    <td class="actions call-actions">
      ${["reached", "declined", "wrong_number"].map((o) => html`<button class="ghost small" disabled=${state.busy}
        onClick=${() => record(o)} data-testid=${"call-" + o}>${L(o)}</button> `)}
      <input value=${note} maxlength="500" onInput=${(e) => setNote(e.target.value)} aria-label=${L("note")}
        placeholder=${L("note")} data-testid="call-note" size="10" />
      <span class="booking"><input type="date" value=${booking} onInput=${(e) => setBooking(e.target.value)}
        aria-label=${L("bookingDate")} title=${L("bookingDate")} data-testid="call-booking-date" />
      <button class="small" disabled=${state.busy} onClick=${() => record("booked")} data-testid="call-booked">${L("booked")}</button></span>
      ${state.error && html`<div class="error" data-testid="call-error">${state.error}</div>`}
    </td>
  </tr>`;
}

// the three views of today's calls: the query each sends and what an empty list says
const VIEWS = [
  { key: "all", query: "", label: "all", empty: "noCalls" },
  { key: "mine", query: "mine=true", label: "mine", empty: "noMine" },
  { key: "unassigned", query: "unassigned=true", label: "unassignedTab", empty: "noUnassigned" },
];

function Worklist() {
  const [reload, setReload] = useState(0);
  const [done, setDone] = useState(null);
  const [view, setView] = useState("all");
  const [cursors, setCursors] = useState([""]);
  const chosen = VIEWS.find((v) => v.key === view);
  const cursor = cursors[cursors.length - 1];
  const query = [chosen.query, cursor ? "cursor=" + encodeURIComponent(cursor) : ""].filter(Boolean).join("&");
  const state = useGet("/followups/due" + (query ? "?" + query : ""), reload);
  const pick = (key) => { setView(key); setCursors([""]); setDone(null); };
  const tabs = html`<div class="pager" role="tablist">${VIEWS.map((v) => html`<button class=${view === v.key ? "" : "ghost"}
    aria-selected=${view === v.key} role="tab" onClick=${() => pick(v.key)} data-testid=${"calls-" + v.key}>${L(v.label)}</button>`)}
  </div>`;
  if (!state.data) return html`<div>${tabs}${loading(state)}</div>`;
  const after = (text) => { setDone(text); setCursors([""]); setReload((n) => n + 1); };
  const onDone = (row, outcome) => after(L("recorded", { name: row.name_masked, outcome: L(outcome) }));
  const onClaimed = (row) => after(L("claimed", { name: row.name_masked }));
  const items = state.data.items;
  return html`<div>
    ${tabs}
    ${view === "unassigned" && html`<p class="muted" data-testid="unassigned-note">${L("unassignedNote")}</p>`}
    ${done && html`<p class="ok" data-testid="call-recorded">${done}</p>`}
    ${!items.length && !state.data.next_cursor ? html`<p class="muted" data-testid="no-calls">${L(chosen.empty)}</p>` : html`
    <table data-testid="worklist" data-view=${view}><thead><tr>
      <th>${L("patient")}</th><th>${L("phone")}</th><th>${L("conditions")}</th><th>${L("risk")}</th><th>${L("factors")}</th>
      <th>${L("due")}</th><th>${L("last")}</th><th>${L("actions")}</th></tr></thead>
    <tbody>${items.map((row) => html`<${CallRow} key=${row.patient_id} row=${row} view=${view} onDone=${onDone} onClaimed=${onClaimed} />`)}</tbody>
    </table>`}
    ${(cursors.length > 1 || state.data.next_cursor) && html`<div class="pager">
      <button class="ghost" disabled=${cursors.length <= 1} onClick=${() => setCursors(cursors.slice(0, -1))}
        data-testid="calls-prev">${L("prev")}</button>
      <button class="ghost" disabled=${!state.data.next_cursor} onClick=${() => setCursors([...cursors, state.data.next_cursor])}
        data-testid="calls-more">${L("more")}</button></div>`}
  </div>`;
}

function AtRisk() {
  const [cursors, setCursors] = useState([""]);
  const cursor = cursors[cursors.length - 1];
  const state = useGet("/risk/patients?limit=20" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
  if (!state.data) return loading(state);
  if (!state.data.items.length) return html`<p class="muted" data-testid="at-risk-empty">${L("none")}</p>`;
  return html`<div><table data-testid="at-risk"><thead><tr>
      <th>${L("patient")}</th><th>${L("phone")}</th><th>${L("conditions")}</th><th>${L("risk")}</th><th>${L("factors")}</th></tr></thead>
    <tbody>${state.data.items.map((r) => html`<tr data-testid="at-risk-row" data-id=${r.patient_id}>
      <td><a href=${"#/patients/" + encodeURIComponent(r.patient_id)}>${r.name_masked}</a></td>
      <td><${RevealPhone} key=${r.patient_id} patientId=${r.patient_id} masked=${r.phone_masked} /></td><td>${conditionList(r.conditions)}</td>
      <td data-testid="at-risk-score">${score(r.risk_score)}</td><td class="wrap">${factorText(r.risk_factors)}</td></tr>`)}</tbody></table>
    <div class="pager">
      <button class="ghost" disabled=${cursors.length <= 1} onClick=${() => setCursors(cursors.slice(0, -1))}
        data-testid="at-risk-prev">${L("prev")}</button>
      <button class="ghost" disabled=${!state.data.next_cursor} onClick=${() => setCursors([...cursors, state.data.next_cursor])}
        data-testid="at-risk-more">${L("more")}</button>
    </div>
  </div>`;
}

const effect = (row) => (getLang() === "en" ? row.effect_en : row.effect_zh);

function Calibration({ m }) {
  if (!m.calibration || !m.calibration.length) return null;
  return html`<div>
    <h3>${L("calibration")}</h3>
    <table data-testid="calibration-table"><thead><tr><th>${L("calDecile")}</th><th>${L("calCount")}</th>
      <th>${L("calPredicted")}</th><th>${L("calObserved")}</th></tr></thead>
      <tbody>${m.calibration.map((d) => html`<tr data-testid="calibration-row" data-decile=${d.decile}>
        <td>${fmtNumber(d.decile)}</td><td>${fmtNumber(d.count)}</td><td>${fmtPercent(d.predicted)}</td>
        <td>${fmtPercent(d.observed)}</td></tr>`)}</tbody></table>
    <p class="muted" data-testid="calibration-gap">${L("calGap", { x: fmtPercent(m.calibration_max_gap) })}</p>
  </div>`;
}

function ModelCard() {
  const state = useGet("/risk/model");
  if (!state.data) return loading(state);
  const m = state.data.model;
  const run = state.data.last_run;
  if (!m) {
    const reason = (run && run.reason) || "not_trained_yet";
    return html`<p class="muted" data-testid="no-model" data-reason=${reason}>${L("noModel")}: ${L(reason)}
      ${run && html` · ${L("lastRun")} ${fmtDateTime(run.at)}`}</p>`;
  }
  const used = m.coefficients.filter((c) => c.used !== false);
  const unused = m.coefficients.filter((c) => c.used === false);
  return html`<div class="panel" data-testid="model-card">
    <p data-testid="model-label">${L("label", { n: fmtNumber(m.horizon_days) })}</p>
    <div class="cards">
      <div class="card"><div class="label">${L("version")}</div><div class="value" data-testid="model-version">${m.version}</div></div>
      <div class="card"><div class="label">${L("baseRate")}</div><div class="value" data-testid="model-base-rate">${fmtPercent(m.base_rate)}</div></div>
      <div class="card"><div class="label">${L("auc")}</div><div class="value" data-testid="model-auc">${decimal(m.auc)}</div>
        <div class="muted">${L("baselineRef", { x: decimal(m.baseline_auc) })}</div></div>
      <div class="card"><div class="label">${L("brier")}</div><div class="value" data-testid="model-brier">${decimal(m.brier)}</div>
        <div class="muted">${L("brierRef", { x: decimal(m.base_rate_brier) })}</div></div>
      <div class="card"><div class="label">${L("examples")}</div><div class="value">${fmtNumber(m.counts.examples)}</div></div>
    </div>
    <p class="muted">${L("trainedAt")} ${fmtDateTime(m.trained_at)} · ${L("notDueNote", { n: fmtNumber(m.horizon_days) })}
      ${m.evaluated_examples != null && html` · ${L("evaluated", { n: fmtNumber(m.evaluated_examples) })}`}</p>
    <${Calibration} m=${m} />
    <h3>${L("factorsTitle")}</h3>
    <ul data-testid="model-factors">${used.map((c) => html`<li data-testid="model-factor" data-feature=${c.feature}
      data-direction=${c.direction}>${effect(c) || `${label(c)}: ${L(c.direction)}`}</li>`)}</ul>
    ${unused.length > 0 && html`<details><summary>${L("unused")}</summary><ul>${unused.map((c) => html`<li
      data-testid="model-factor-unused" data-feature=${c.feature}>${label(c)} — ${effect(c)}</li>`)}</ul></details>`}
    <details><summary>${L("numbers")}</summary>
      <table><thead><tr><th>${L("factors")}</th><th>${L("effect")}</th><th>${L("weight")}</th><th>${L("oddsRatio")}</th></tr></thead>
        <tbody>${used.map((c) => html`<tr><td>${label(c)}</td><td>${L(c.direction)}</td>
          <td>${decimal(c.coefficient)}</td><td>${decimal(c.odds_ratio_per_sd)}</td></tr>`)}</tbody></table>
    </details>
  </div>`;
}

const COLOURS = ["#0f766e", "#2563eb", "#d97706", "#db2777", "#7c3aed", "#65a30d", "#64748b"];

function Curves() {
  const state = useGet("/risk/dropout");
  const canvas = useRef(null);
  const conditions = state.data ? Object.entries(state.data.conditions) : [];
  useEffect(() => {
    if (!canvas.current || !conditions.length) return undefined;
    const days = conditions[0][1].curve.map((_, d) => d);
    const chart = new Chart(canvas.current, {
      type: "line",
      data: { labels: days, datasets: conditions.map(([name, c], i) => ({
        label: t(name), data: c.curve, borderColor: COLOURS[i % COLOURS.length], pointRadius: 0, borderWidth: 2 })) },
      options: {
        animation: false, maintainAspectRatio: false,
        scales: {
          x: { title: { display: true, text: L("daysAxis") }, ticks: { maxTicksLimit: 14 } },
          y: { min: 0, max: 1, title: { display: true, text: L("back") }, ticks: { callback: (v) => fmtPercent(v) } },
        },
        plugins: { legend: { position: "bottom" },
          tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${fmtPercent(ctx.parsed.y)}` } } },
      },
    });
    return () => chart.destroy();
  }, [state.data, getLang()]);
  if (!state.data) return loading(state);
  if (!conditions.length) return html`<p class="muted" data-testid="no-curves">${L("noCurves")}</p>`;
  return html`<div class="panel">
    <p class="muted">${L("dropoutNote")}</p>
    <div class="chart-box"><canvas ref=${canvas} data-testid="dropout-chart"></canvas></div>
    <table data-testid="dropout-table"><thead><tr><th>${L("conditions")}</th><th>${L("dropoutDay")}</th><th>${L("recallDay")}</th></tr></thead>
      <tbody>${conditions.map(([name, c]) => html`<tr data-testid="dropout-row" data-condition=${name}><td>${t(name)}</td>
        <td>${c.dropout_day == null ? html`<span class="muted">${c.enough_data === false ? L("notEnough") : "—"}</span>`
          : L("dayN", { n: fmtNumber(c.dropout_day) })}</td>
        <td>${c.suggested_recall_day == null ? "—" : L("dayN", { n: fmtNumber(c.suggested_recall_day) })}</td></tr>`)}</tbody></table>
  </div>`;
}

function RiskPage() {
  return html`<div>
    <h1>${L("title")}</h1>
    <h2>${L("worklist")}</h2><${Worklist} />
    <h2>${L("atRisk")}</h2><${AtRisk} />
    <h2>${L("model")}</h2><${ModelCard} />
    <${UpliftSection} />
    <h2>${L("dropout")}</h2><${Curves} />
  </div>`;
}

export default { key: "risk", path: "/risk", roles: ["admin", "health_manager"], label: { zh: "随访与风险", en: "Follow-ups & risk" }, component: RiskPage };
