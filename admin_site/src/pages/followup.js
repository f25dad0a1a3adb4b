// A patient's follow-up plan on their page (health managers and admins): the lapse-risk score or why
// there is none, the plan (assignee, cadence, next call) with start, pause, resume, re-assign (only the
// assignee changed: the plan keeps its next call), end and, for a plan
// nobody is assigned to, a one-click claim (认领), a call's
// outcome with its note, the latest outcomes with their notes, and the full phone number shown on
// one click with a reason (written to the audit trail). `RevealPhone` is used by the call and
// at-risk lists too.
import { useState } from "preact/hooks";
import { ApiError, post, put, session } from "../api.js";
import { clinicToday, fmtDate, fmtDateTime, fmtPercent } from "../i18n.js";
import { html, labels, useAction, useGet, useWriteKey } from "./shared.js";

export const L = labels({
  zh: {
    title: "随访计划", risk: "流失风险", scored: "{score}（模型第 {v} 版，{at} 评分）",
    no_consent: "未评分：该患者没有同意“数据分析”用途，不计算、也不保存其流失风险分",
    not_due: "未评分：约定复诊日在半年以后，暂不评分", not_scored: "未评分：风险模型尚未训练",
    noPlan: "该患者还没有随访计划", status: "状态", active: "进行中", paused: "已暂停", ended: "已结束",
    pausedBy_staff: "手动暂停", pausedBy_wrong_number: "号码有误，自动暂停", assignee: "负责人", cadence: "随访间隔（天）",
    firstDue: "首次随访日", nextDue: "下次随访", calls: "已打电话", lastOutcome: "上次结果", source: "来源",
    source_staff: "医护建立", source_challenge: "参加血糖挑战自动建立",
    start: "开始随访", resume: "恢复随访", reassign: "保存负责人和间隔", pause: "暂停", end: "结束随访",
    started: "随访计划已开始", reassignDone: "已保存", resumed: "随访计划已恢复", pausedDone: "随访计划已暂停", endedDone: "随访计划已结束",
    recordTitle: "记录一次随访电话", outcome: "结果", note: "备注（选填，加密保存）", bookingDate: "预约日期",
    save: "记录", savedOutcome: "已记录", reached: "已接通", booked: "已预约", declined: "拒绝", wrong_number: "空号/错号",
    history: "最近的随访记录", day: "日期", staff: "经办人", none: "暂无记录", times: "{n} 次",
    phone: "手机号", reveal: "显示完整号码", revealReason: "查看原因", reason_call: "随访电话",
    reason_booking: "预约复诊", reason_check: "核对号码", reason_other: "其他", otherReason: "请填写原因",
    revealed: "已记入审计日志", adminsOnly: "只有管理员和健康管理师可以查看完整号码",
    no_followup_plan: "该患者没有随访计划", plan_not_active: "随访计划已暂停或结束，请先恢复",
    plan_changed: "随访计划刚被别人更新，请刷新", booking_date_required: "请填写预约日期",
    invalid_date: "日期不能早于今天", unexpected_field: "只有“已预约”需要填写日期", try_again: "请重试",
    unknown_assignee: "没有这个员工账号（或已停用）", wrong_role: "没有权限", invalid_input: "输入有误",
    patient_not_found: "找不到该患者", unassigned: "未分配", claim: "认领", claimedDone: "已认领",
    plan_assigned: "该随访已被别人认领，请刷新",
  },
  en: {
    title: "Follow-up plan", risk: "Lapse risk", scored: "{score} (model v{v}, scored {at})",
    no_consent: "No score: the patient has not consented to analytics, so no lapse-risk score is computed or kept",
    not_due: "No score: the agreed revisit is more than six months away", not_scored: "No score: no model trained yet",
    noPlan: "No follow-up plan yet", status: "Status", active: "Active", paused: "Paused", ended: "Ended",
    pausedBy_staff: "paused by hand", pausedBy_wrong_number: "wrong number, paused", assignee: "Assigned to",
    cadence: "Days between calls", firstDue: "First call", nextDue: "Next call", calls: "Calls made",
    lastOutcome: "Last outcome", source: "Source", source_staff: "started by staff",
    source_challenge: "started by joining the glucose challenge",
    start: "Start follow-up", resume: "Resume", reassign: "Save assignee and cadence", pause: "Pause", end: "End",
    started: "Plan started", reassignDone: "Saved", resumed: "Plan resumed", pausedDone: "Plan paused", endedDone: "Plan ended",
    recordTitle: "Record a call", outcome: "Outcome", note: "Note (optional, stored encrypted)",
    bookingDate: "Booking date", save: "Record", savedOutcome: "Recorded", reached: "Reached", booked: "Booked",
    declined: "Declined", wrong_number: "Wrong number", history: "Latest calls", day: "Day", staff: "By",
    none: "No calls yet", times: "{n}", phone: "Phone", reveal: "Show number", revealReason: "Reason",
    reason_call: "follow-up call", reason_booking: "booking a revisit", reason_check: "checking the number",
    reason_other: "other", otherReason: "Type the reason", revealed: "Recorded in the audit trail",
    adminsOnly: "Only admins and health managers may see the full number",
    no_followup_plan: "No follow-up plan", plan_not_active: "The plan is paused or ended; resume it first",
    plan_changed: "Someone just changed the plan; reload", booking_date_required: "Enter the booking date",
    invalid_date: "The date cannot be in the past", unexpected_field: "Only a booking takes a date",
    try_again: "Try again", unknown_assignee: "No such (active) staff account", wrong_role: "Not allowed",
    invalid_input: "Invalid input", patient_not_found: "No such patient", unassigned: "unassigned", claim: "Claim",
    claimedDone: "Claimed", plan_assigned: "Someone has claimed this plan already; reload",
  },
});

// Who may see a full number: the API's MANAGER roles (it refuses the others anyway).
const MANAGER_ROLES = ["admin", "health_manager"];
export const canReveal = () => ((session() || {}).roles || []).some((r) => MANAGER_ROLES.includes(r));

const REASONS = ["reason_call", "reason_booking", "reason_check", "reason_other"];

// A masked number with a one-click reveal: the reason defaults to a follow-up call; the API writes the
// reveal and its reason to the audit trail before it answers with the number.
export function RevealPhone({ patientId, masked }) {
  const [reason, setReason] = useState("reason_call");
  const [other, setOther] = useState("");
  const [phone, setPhone] = useState(null);
  const [state, run] = useAction(L);
  if (phone) return html`<span class="nowrap" data-testid="phone-full" title=${L("revealed")}>${phone}</span>`;
  const text = reason === "reason_other" ? other.trim() : L(reason);
  const show = () => run(() => post(`/patients/${encodeURIComponent(patientId)}/phone/reveal`, { reason: text }))
    .then((r) => r && setPhone(r.phone));
  return html`<span class="reveal nowrap">
    <span data-testid="phone-masked">${masked || "—"}</span>
    ${canReveal() && masked && html` <select aria-label=${L("revealReason")} value=${reason} data-testid="reveal-reason"
        onChange=${(e) => setReason(e.target.value)}>${REASONS.map((r) => html`<option value=${r}>${L(r)}</option>`)}</select>
      ${reason === "reason_other" && html`<input aria-label=${L("otherReason")} placeholder=${L("otherReason")}
        value=${other} onInput=${(e) => setOther(e.target.value)} data-testid="reveal-other" size="10" />`}
      <button class="ghost small" disabled=${state.busy || text.length < 2} onClick=${show}
        data-testid="reveal-phone">${L("reveal")}</button>`}
    ${state.error && html`<span class="error" data-testid="reveal-error"> ${state.error}</span>`}
  </span>`;
}

function RiskLine({ id }) {
  const state = useGet(`/patients/${encodeURIComponent(id)}/risk`);
  if (!state.data) return null;
  const r = state.data;
  const text = r.risk_status === "scored"
    ? L("scored", { score: fmtPercent(r.risk_score), v: r.risk_model_version, at: fmtDateTime(r.scored_at) })
    : L(r.risk_status);
  return html`<p data-testid="patient-risk" data-status=${r.risk_status}><strong>${L("risk")}：</strong>${text}</p>`;
}

const sourceText = (source) => (!source ? "—" : source.startsWith("challenge:") ? L("source_challenge") : L("source_" + source));

function PlanForm({ id, plan, onDone }) {
  const me = (session() || {}).username || "";
  const [assignee, setAssignee] = useState((plan && plan.assignee) || me);
  const [cadence, setCadence] = useState(String((plan && plan.cadence_days) || 7));
  const active = plan && plan.status === "active";
  // an active plan keeps its next call unless another day is chosen
  const keptDay = active && plan.next_due && plan.next_due >= clinicToday() ? plan.next_due : clinicToday();
  const [first, setFirst] = useState(keptDay);
  const [state, run] = useAction(L);
  const withKey = useWriteKey("followup-plan");
  const withAssignKey = useWriteKey("followup-assignee");
  const submit = (event) => {
    event.preventDefault();
    if (active && Number(cadence) === plan.cadence_days && first === keptDay) {
      // only the assignee changes: the plan moves to their calls and keeps its next call and history
      const change = { assignee: assignee.trim() || null };
      run(() => withAssignKey(change, (headers) => put(`/patients/${encodeURIComponent(id)}/followup/assignee`, change, headers)))
        .then((r) => r && onDone("reassign"));
      return;
    }
    const body = { assignee: assignee.trim() || undefined, cadence_days: Number(cadence) || 7, first_due: first || undefined };
    run(() => withKey(body, (headers) => post(`/patients/${encodeURIComponent(id)}/followup`, body, headers)))
      .then((r) => r && onDone(plan ? (plan.status === "active" ? "reassign" : "resumed") : "started"));
  };
  const label = !plan ? L("start") : plan.status === "active" ? L("reassign") : L("resume");
  return html`<form class="inline" onSubmit=${submit} data-testid="followup-form">
    <label>${L("assignee")} <input value=${assignee} onInput=${(e) => setAssignee(e.target.value)} data-testid="followup-assignee" size="16" /></label>
    <label>${L("cadence")} <input type="number" min="1" max="90" value=${cadence} onInput=${(e) => setCadence(e.target.value)}
      data-testid="followup-cadence" style="width: 5em" /></label>
    <label>${L("firstDue")} <input type="date" min=${clinicToday()} value=${first} onInput=${(e) => setFirst(e.target.value)}
      data-testid="followup-first" /></label>
    <button type="submit" disabled=${state.busy} data-testid="followup-start">${label}</button>
    ${state.error && html`<span class="error" data-testid="followup-error"> ${state.error}</span>`}
  </form>`;
}

function OutcomeForm({ id, onDone }) {
  const [outcome, setOutcome] = useState("reached");
  const [note, setNote] = useState("");
  const [booking, setBooking] = useState("");
  const [state, run] = useAction(L);
  const withKey = useWriteKey("followup");
  const submit = (event) => {
    event.preventDefault();
    const body = { outcome, note: note.trim() || undefined, booking_date: outcome === "booked" ? booking || undefined : undefined };
    run(() => withKey(body, (headers) => post(`/patients/${encodeURIComponent(id)}/followup/outcomes`, body, headers)))
      .then((r) => { if (r) { setNote(""); onDone("savedOutcome"); } });
  };
  return html`<form class="inline" onSubmit=${submit} data-testid="outcome-form">
    <strong>${L("recordTitle")}</strong>
    <label>${L("outcome")} <select value=${outcome} onChange=${(e) => setOutcome(e.target.value)} data-testid="outcome-select">
      ${["reached", "booked", "declined", "wrong_number"].map((o) => html`<option value=${o}>${L(o)}</option>`)}</select></label>
    ${outcome === "booked" && html`<label>${L("bookingDate")} <input type="date" value=${booking}
      onInput=${(e) => setBooking(e.target.value)} data-testid="outcome-booking" /></label>`}
    <label>${L("note")} <input value=${note} maxlength="500" onInput=${(e) => setNote(e.target.value)} data-testid="outcome-note" size="30" /></label>
    <button type="submit" disabled=${state.busy} data-testid="outcome-save">${L("save")}</button>
    ${state.error && html`<span class="error" data-testid="outcome-error"> ${state.error}</span>`}
  </form>`;
}

// The section the patient's page renders with the patient's id (and `onChange`, called after a write).
// Follow-ups are the health manager's work: for other roles it renders nothing.
export function FollowupSection(props) {
  return canReveal() ? html`<${Followup} ...${props} />` : null;
}

function Followup({ id, phoneMasked, onChange }) {
  const [reload, setReload] = useState(0);
  const [done, setDone] = useState(null);
  const state = useGet(`/patients/${encodeURIComponent(id)}/followup`, reload);
  const [action, run] = useAction(L);
  const after = (what) => { setDone(L(what === "reassign" ? "reassignDone" : what)); setReload((n) => n + 1); if (onChange) onChange(); };
  const change = (path, what) => run(() => post(`/patients/${encodeURIComponent(id)}/followup/${path}`)).then((r) => r && after(what));
  const me = (session() || {}).username;
  const claim = () => run(() => put(`/patients/${encodeURIComponent(id)}/followup/assignee`, { assignee: me, unassigned_only: true }))
    .then((r) => r && after("claimedDone"));
  const missing = state.error instanceof ApiError && state.error.code === "no_followup_plan";
  const plan = state.data && state.data.plan;
  const outcomes = (state.data && state.data.outcomes) || [];
  return html`<section class="panel" data-testid="followup-section">
    <h2>${L("title")}</h2>
    <${RiskLine} id=${id} />
    ${phoneMasked && html`<p><strong>${L("phone")}：</strong><${RevealPhone} patientId=${id} masked=${phoneMasked} /></p>`}
    ${done && html`<p class="ok" data-testid="followup-done">${done}</p>`}
    ${state.error && !missing && html`<p class="error">${L.error(state.error)}</p>`}
    ${missing && html`<p class="muted" data-testid="followup-none">${L("noPlan")}</p><${PlanForm} id=${id} plan=${null} onDone=${after} />`}
    ${plan && html`<div>
      <table data-testid="followup-plan"><tbody>
        <tr><th>${L("status")}</th><td data-testid="followup-status" data-status=${plan.status}>${L(plan.status)}${
          plan.status === "paused" && plan.paused_reason ? `（${L("pausedBy_" + plan.paused_reason)}）` : ""}${
          plan.status === "ended" && plan.ended_on ? `（${fmtDate(plan.ended_on)}）` : ""}</td></tr>
        <tr><th>${L("assignee")}</th><td data-testid="followup-assignee-shown">${plan.assignee || L("unassigned")}
          ${!plan.assignee && me && html` <button class="small" disabled=${action.busy} onClick=${claim}
            data-testid="followup-claim">${L("claim")}</button>`}</td></tr>
        <tr><th>${L("cadence")}</th><td>${plan.cadence_days}</td></tr>
        <tr><th>${L("nextDue")}</th><td>${fmtDate(plan.next_due)}</td></tr>
        <tr><th>${L("calls")}</th><td>${L("times", { n: plan.calls })}${plan.last_outcome ? ` · ${L("lastOutcome")}：${L(plan.last_outcome)}` : ""}</td></tr>
        <tr><th>${L("source")}</th><td>${sourceText(plan.source)}</td></tr>
      </tbody></table>
      <div class="pager">
        ${plan.status === "active" && html`<button class="ghost" disabled=${action.busy} onClick=${() => change("pause", "pausedDone")}
          data-testid="followup-pause">${L("pause")}</button>`}
        ${plan.status !== "ended" && html`<button class="ghost" disabled=${action.busy} onClick=${() => change("end", "endedDone")}
          data-testid="followup-end">${L("end")}</button>`}
        ${action.error && html`<span class="error">${action.error}</span>`}
      </div>
      <${PlanForm} key=${plan.status + plan.assignee} id=${id} plan=${plan} onDone=${after} />
      ${plan.status === "active" && html`<${OutcomeForm} id=${id} onDone=${after} />`}
      <h3>${L("history")}</h3>
      ${!outcomes.length ? html`<p class="muted">${L("none")}</p>` : html`<table data-testid="followup-outcomes"><thead><tr>
        <th>${L("day")}</th><th>${L("outcome")}</th><th>${L("staff")}</th><th>${L("note")}</th></tr></thead>
        <tbody>${outcomes.map((o) => html`<tr data-testid="followup-outcome">
          <td class="nowrap">${fmtDate(o.day)}</td>
          <td>${L(o.outcome)}${o.booking_date ? ` · ${fmtDate(o.booking_date)}` : ""}</td>
          <td>${o.staff || "—"}</td><td class="wrap" data-testid="followup-note">${o.note || "—"}</td></tr>`)}</tbody></table>`}
    </div>`}
  </section>`;
}

export default FollowupSection;
