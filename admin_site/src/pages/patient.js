// A patient's page, the front desk's working page: profile, what the desk records (visit, remission,
// booking, other anchors), persona tags, consents and their history, paged visits and check-ins,
// then the sections of other pages (points, exam tasks, packages ...).
import { useState } from "preact/hooks";
import { get, post, put } from "../api.js";
import { catalogueEntries, catalogueLabel, clinicToday, fmtDate, fmtDateTime, fmtNumber, t } from "../i18n.js";
import { AppointmentsSection } from "./appointments.js";
import { BindQrCode, HospitalNoField } from "./desk.js";
import { FamilySection } from "./family.js";
import { FollowupSection } from "./followup.js";
import { PackagesSection } from "./packages.js";
import { PointsSection, TasksSection } from "./patient_sections.js";
import { html, labels, useAction, useGet, useWriteKey } from "./shared.js";

const L = labels({
  zh: {
    readText: "查看同意的文本", withdrawal: "撤回",
    hospitalNo: "住院号/门诊号",
    back: "返回", profile: "基本信息", phone: "电话", birthYear: "出生年份", sex: "性别", district: "区域",
    conditions: "病种", department: "科室", lastVisit: "上次就诊", never: "从未就诊", balance: "可用积分",
    earned: "累计获得", inviteCode: "邀请码", referredBy: "推荐人", referrerGone: "（记录已删除）", referredCount: "成功推荐", revisitDue: "建议复诊日",
    booking: "已预约", sexF: "女", sexM: "男", sexU: "未知",
    desk: "前台登记", recordVisit: "登记就诊", visitDate: "就诊日期", nextDue: "下次复诊日(可选)", record: "登记",
    visitRecorded: "已登记就诊", visitOnTime: "已登记就诊：按时复诊，获得 {n} 积分",
    remission: "登记病情缓解", condition: "病种", day: "日期", planned: "已安排 {n} 条随访提醒",
    bookingTitle: "登记预约", bookingDay: "预约日期", booked: "已登记预约，停止 {n} 条提醒",
    anchorTitle: "登记其他事件", anchor: "事件", anchorSaved: "已登记，安排 {n} 条提醒", optional: "不限",
    surgery: "手术", delivery: "分娩", package_end: "服务包到期",
    personas: "画像标签", savePersonas: "保存标签", personasSaved: "已保存画像标签", none: "无",
    anxious: "焦虑型", knowledge_seeking: "求知型", social: "社交型",
    consent: "授权同意", purpose: "用途", state: "状态", version: "版本", at: "时间", by: "操作方",
    granted: "已同意", withdrawn: "未同意/已撤回", history: "变更记录", byPatient: "患者本人", byStaff: "前台 {name}",
    service: "服务消息", marketing: "营销消息", analytics: "数据分析",
    visits: "就诊记录", onTime: "按时复诊", source: "来源", src_staff: "前台登记", src_import: "批量导入", src_appointment: "预约到诊",
    checkins: "打卡记录", type: "类型", value: "数值", counted: "计入积分",
    prev: "上一页", next: "下一页", page: "第 {n} 页", empty: "暂无记录",
    glucose: "血糖", steps: "步数", task: "任务",
    fasting: "空腹", after_meal: "餐后", random: "随机",
    dermatology: "皮肤科", endocrinology: "内分泌科", obstetrics: "产科", dentistry: "口腔科", health_check: "体检科",
    general: "全科",
    eczema: "湿疹", diabetes: "糖尿病", postpartum: "产后", dental: "口腔", hypertension: "高血压",
    invalid_date: "日期不对（不能是将来，复诊日须晚于就诊日）", visit_exists: "这次就诊已登记过",
    concurrent_change: "患者记录刚被修改，请重试", no_recall_rule: "该病种没有启用的随访规则",
    unknown_condition: "患者没有该病种", unknown_department: "未知科室", unknown_anchor: "未知事件",
    use_visit_route: "就诊请用“登记就诊”", patient_not_found: "找不到该患者", invalid_input: "输入有误",
    try_again: "请重试", invalid_cursor: "分页已失效，请回到第一页", request_in_progress: "正在处理，请稍候",
  },
  en: {
    readText: "read the text agreed to", withdrawal: "Withdrawal",
    hospitalNo: "Hospital no.",
    back: "Back", profile: "Profile", phone: "Phone", birthYear: "Birth year", sex: "Sex", district: "District",
    conditions: "Conditions", department: "Department", lastVisit: "Last visit", never: "Never visited",
    balance: "Balance", earned: "Earned in total", inviteCode: "Invite code", referredBy: "Referred by", referrerGone: "(record erased)",
    referredCount: "Friends referred", revisitDue: "Revisit due", booking: "Booked for", sexF: "F", sexM: "M",
    sexU: "Unknown", desk: "At the desk", recordVisit: "Record a visit", visitDate: "Visit date",
    nextDue: "Next revisit (optional)", record: "Record", visitRecorded: "Visit recorded",
    visitOnTime: "Visit recorded: an on-time revisit, {n} points", remission: "Record a remission",
    condition: "Condition", day: "Date", planned: "{n} follow-up reminders planned", bookingTitle: "Record a booking",
    bookingDay: "Booked for", booked: "Booking recorded, {n} reminders stopped", anchorTitle: "Record another event",
    anchor: "Event", anchorSaved: "Recorded, {n} reminders planned", optional: "Any", surgery: "Surgery",
    delivery: "Delivery", package_end: "Package end", personas: "Personas", savePersonas: "Save tags",
    personasSaved: "Persona tags saved", none: "None", anxious: "Anxious", knowledge_seeking: "Knowledge-seeking",
    social: "Social", consent: "Consent", purpose: "Purpose", state: "State", version: "Version", at: "Time",
    by: "By", granted: "Granted", withdrawn: "Not granted / withdrawn", history: "History", byPatient: "The patient",
    byStaff: "Desk: {name}", service: "Service messages", marketing: "Marketing", analytics: "Data analysis",
    visits: "Visits", onTime: "On time", source: "Source", src_staff: "Desk", src_import: "Import", src_appointment: "Appointment",
    checkins: "Check-ins", type: "Type", value: "Value", counted: "Earned points", prev: "Previous", next: "Next",
    page: "Page {n}", empty: "Nothing yet", glucose: "Glucose", steps: "Steps", task: "Task", fasting: "Fasting",
    after_meal: "After a meal", random: "Random", dermatology: "Dermatology", endocrinology: "Endocrinology",
    obstetrics: "Obstetrics", dentistry: "Dentistry", health_check: "Health check", general: "General practice",
    eczema: "Eczema", diabetes: "Diabetes", postpartum: "Postpartum", dental: "Dental", hypertension: "Hypertension",
    invalid_date: "Not a valid date (not in the future; the revisit after the visit)",
    visit_exists: "This visit is already recorded", concurrent_change: "The record changed meanwhile; try again",
    no_recall_rule: "No active follow-up rule for this condition", unknown_condition: "The patient has no such condition",
    unknown_department: "Unknown department", unknown_anchor: "Unknown event", use_visit_route: "Use Record a visit",
    patient_not_found: "No such patient", invalid_input: "Invalid input", try_again: "Try again",
    invalid_cursor: "The page expired; go back to the first page", request_in_progress: "Being handled, wait a moment",
  },
});

// The clinic's offered codes of a catalogue section (clinic settings), else the defaults.
const DEFAULTS = {
  departments: ["dermatology", "endocrinology", "obstetrics", "dentistry", "health_check", "general"],
  personas: ["anxious", "knowledge_seeking", "social"],
};
const offered = (section) => {
  const rows = catalogueEntries(section);
  return rows.length ? rows.map((r) => r.code) : DEFAULTS[section];
};
const ANCHORS = ["surgery", "delivery", "package_end"];
// A code's label: the clinic's (catalogue) or the site's, else this page's table; an unknown code as it is.
const label = (code, section) => {
  if (code == null) return "—";
  const shown = section ? catalogueLabel(section, code) : t(code);
  return shown !== code ? shown : L(code);
};

// The sections below the desk's own, in order. Each is a component given {id, patient, onChange}
// (onChange reads the patient again, e.g. after a points change); another page's section plugs in
// with one line here (the follow-up plan, for example).
export const SECTIONS = [
  AppointmentsSection,
  ({ id, patient, onChange }) => html`<${FollowupSection} id=${id} phoneMasked=${patient.phone_masked} onChange=${onChange} />`,
  PointsSection, TasksSection, PackagesSection, FamilySection];

// Buttons next to the patient's name (linking WeChat by a QR code, for example), each a component
// given {id, patient, onChange}.
export const HEADER_ACTIONS = [
  ({ id, patient }) => html`<${BindQrCode} patientId=${id} linked=${patient.wechat_linked} />`,
];

// A list read page by page through the API's cursors; the cursors used are kept for "previous".
function Paged({ path, name, head, row, itemsOf = (d) => d.items }) {
  const [stack, setStack] = useState([null]);
  const cursor = stack[stack.length - 1];
  const state = useGet(`${path}?limit=20${cursor ? "&cursor=" + encodeURIComponent(cursor) : ""}`);
  if (state.error) return html`<p class="error" data-testid=${name + "-error"}>${L.error(state.error)}</p>`;
  if (!state.data) return html`<p class="muted">${t("loading")}</p>`;
  const items = itemsOf(state.data);
  return html`<div data-testid=${name + "-list"}>
    ${items.length === 0 ? html`<p class="muted">${L("empty")}</p>` : html`<table data-testid=${name + "-table"}>
      <thead><tr>${head.map((h) => html`<th>${h}</th>`)}</tr></thead><tbody>${items.map(row)}</tbody></table>`}
    ${(stack.length > 1 || state.data.next_cursor) && html`<div class="pager">
      <button class="ghost" disabled=${stack.length <= 1} data-testid=${name + "-prev"}
        onClick=${() => setStack(stack.slice(0, -1))}>${L("prev")}</button>
      <span class="muted" data-testid=${name + "-page"}>${L("page", { n: stack.length })}</span>
      <button class="ghost" disabled=${!state.data.next_cursor} data-testid=${name + "-next"}
        onClick=${() => setStack([...stack, state.data.next_cursor])}>${L("next")}</button>
    </div>`}
  </div>`;
}

function VisitForm({ id, onDone }) {
  const [action, run] = useAction(L);
  const keyed = useWriteKey("visit");
  const submit = async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const body = { visit_date: form.get("visit_date"), department: form.get("department"),
      ...(form.get("next_due_date") ? { next_due_date: form.get("next_due_date") } : {}) };
    const result = await run(() => keyed(body, (headers) => post(`/patients/${encodeURIComponent(id)}/visits`, body, headers)));
    if (result) onDone(result.points_awarded ? L("visitOnTime", { n: fmtNumber(result.points_awarded) }) : L("visitRecorded"));
  };
  return html`<form class="form-row" onSubmit=${submit} data-testid="visit-form">
    <label>${L("visitDate")}<input type="date" name="visit_date" required max=${clinicToday()} value=${clinicToday()}
      data-testid="visit-date" /></label>
    <label>${L("department")}<select name="department" required data-testid="visit-department">
      ${offered("departments").map((d) => html`<option value=${d}>${label(d, "departments")}</option>`)}</select></label>
    <label>${L("nextDue")}<input type="date" name="next_due_date" data-testid="visit-next-due" /></label>
    <button type="submit" disabled=${action.busy} data-testid="visit-submit">${L("record")}</button>
    ${action.error && html`<p class="error" data-testid="visit-error">${action.error}</p>`}
  </form>`;
}

function RemissionForm({ id, patient, onDone }) {
  const [action, run] = useAction(L);
  const submit = async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const body = { condition: form.get("condition"), date: form.get("date") };
    const result = await run(() => post(`/patients/${encodeURIComponent(id)}/remissions`, body));
    if (result) onDone(L("planned", { n: fmtNumber(result.planned.filter((p) => p.created).length) }));
  };
  return html`<form class="form-row" onSubmit=${submit} data-testid="remission-form">
    <label>${L("condition")}<select name="condition" required data-testid="remission-condition">
      ${patient.conditions.map((c) => html`<option value=${c}>${label(c, "conditions")}</option>`)}</select></label>
    <label>${L("day")}<input type="date" name="date" required max=${clinicToday()} value=${clinicToday()}
      data-testid="remission-date" /></label>
    <button type="submit" disabled=${action.busy || !patient.conditions.length} data-testid="remission-submit">${L("record")}</button>
    ${action.error && html`<p class="error" data-testid="remission-error">${action.error}</p>`}
  </form>`;
}

function BookingForm({ id, onDone }) {
  const [action, run] = useAction(L);
  const submit = async (event) => {
    event.preventDefault();
    const body = { date: new FormData(event.target).get("date") };
    const result = await run(() => post(`/patients/${encodeURIComponent(id)}/bookings`, body));
    if (result) onDone(L("booked", { n: fmtNumber(result.reminders_stopped) }));
  };
  return html`<form class="form-row" onSubmit=${submit} data-testid="booking-form">
    <label>${L("bookingDay")}<input type="date" name="date" required min=${clinicToday()} data-testid="booking-date" /></label>
    <button type="submit" disabled=${action.busy} data-testid="booking-submit">${L("record")}</button>
    ${action.error && html`<p class="error" data-testid="booking-error">${action.error}</p>`}
  </form>`;
}

function AnchorForm({ id, patient, onDone }) {
  const [action, run] = useAction(L);
  const submit = async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const body = { anchor: form.get("anchor"), date: form.get("date"),
      ...(form.get("condition") ? { condition: form.get("condition") } : {}) };
    const result = await run(() => post(`/patients/${encodeURIComponent(id)}/anchors`, body));
    if (result) onDone(L("anchorSaved", { n: fmtNumber(result.planned.filter((p) => p.created).length) }));
  };
  return html`<form class="form-row" onSubmit=${submit} data-testid="anchor-form">
    <label>${L("anchor")}<select name="anchor" required data-testid="anchor-kind">
      ${ANCHORS.map((a) => html`<option value=${a}>${L(a)}</option>`)}</select></label>
    <label>${L("condition")}<select name="condition" data-testid="anchor-condition">
      <option value="">${L("optional")}</option>
      ${patient.conditions.map((c) => html`<option value=${c}>${label(c, "conditions")}</option>`)}</select></label>
    <label>${L("day")}<input type="date" name="date" required value=${clinicToday()} data-testid="anchor-date" /></label>
    <button type="submit" disabled=${action.busy} data-testid="anchor-submit">${L("record")}</button>
    ${action.error && html`<p class="error" data-testid="anchor-error">${action.error}</p>`}
  </form>`;
}

function Desk({ id, patient, onChange }) {
  const [done, setDone] = useState(null);
  const finished = (text) => { setDone(text); onChange(); };
  return html`<div class="panel section" data-testid="desk-section">
    <h2>${L("desk")}</h2>
    ${done && html`<p class="ok" data-testid="desk-done">${done}</p>`}
    <h3>${L("recordVisit")}</h3><${VisitForm} id=${id} onDone=${finished} />
    <h3>${L("bookingTitle")}</h3><${BookingForm} id=${id} onDone=${finished} />
    <h3>${L("remission")}</h3><${RemissionForm} id=${id} patient=${patient} onDone=${finished} />
    <h3>${L("anchorTitle")}</h3><${AnchorForm} id=${id} patient=${patient} onDone=${finished} />
  </div>`;
}

function Personas({ id, patient, onChange }) {
  const [chosen, setChosen] = useState(patient.persona_tags || []);
  const [action, run] = useAction(L);
  const toggle = (tag) => setChosen(chosen.includes(tag) ? chosen.filter((c) => c !== tag) : [...chosen, tag]);
  const save = async (event) => {
    event.preventDefault();
    const result = await run(() => put(`/patients/${encodeURIComponent(id)}/attributes`, { persona_tags: chosen }),
      L("personasSaved"));
    if (result) onChange();
  };
  return html`<form onSubmit=${save} data-testid="persona-form">
    <fieldset class="form-row"><legend>${L("personas")}</legend>
      ${offered("personas").map((tag) => html`<label class="check"><input type="checkbox" checked=${chosen.includes(tag)}
        onChange=${() => toggle(tag)} data-testid=${"persona-" + tag} />${label(tag, "personas")}</label>`)}
      <button type="submit" disabled=${action.busy} data-testid="persona-submit">${L("savePersonas")}</button>
    </fieldset>
    ${action.error && html`<p class="error" data-testid="persona-error">${action.error}</p>`}
    ${action.done && html`<p class="ok" data-testid="persona-done">${action.done}</p>`}
  </form>`;
}

const whoChanged = (by) => (!by ? "—" : by === "patient" ? L("byPatient")
  : by.startsWith("staff:") ? L("byStaff", { name: by.slice(6) }) : by);

// The consent text of a version the patient agreed to, read when opened (every version is kept).
function ConsentText({ version, purpose }) {
  const [texts, setTexts] = useState(null);
  if (!version || version === "withdrawal") return html`<span>${version === "withdrawal" ? L("withdrawal") : "—"}</span>`;
  const open = (event) => {
    if (event.target.open && !texts) {
      get(`/consent-texts/${encodeURIComponent(version)}`).then(setTexts).catch((err) => setTexts({ error: L.error(err) }));
    }
  };
  const shown = texts && !texts.error && texts.purposes.find((x) => x.purpose === purpose);
  return html`<details class="hint" onToggle=${open} data-testid="consent-text">
    <summary><code>${version}</code> ${L("readText")}</summary>
    ${texts && texts.error && html`<p class="error">${texts.error}</p>`}
    ${shown && html`<p><strong>${shown.title}</strong></p><p data-testid="consent-text-body">${shown.text}</p>`}
  </details>`;
}

function Consents({ consents, log }) {
  return html`<div class="panel"><h2>${L("consent")}</h2>
    <table><thead><tr><th>${L("purpose")}</th><th>${L("state")}</th><th>${L("version")}</th><th>${L("at")}</th></tr></thead>
    <tbody>${Object.entries(consents).map(([purpose, c]) => html`<tr data-testid=${"consent-" + purpose}>
      <td>${label(purpose)}</td><td class=${c && c.granted ? "ok" : "no"}>${c && c.granted ? L("granted") : L("withdrawn")}</td>
      <td><${ConsentText} version=${c && c.version} purpose=${purpose} /></td><td>${c ? fmtDateTime(c.at) : "—"}</td></tr>`)}</tbody></table>
    <h3>${L("history")}</h3>
    <table data-testid="consent-log"><thead><tr><th>${L("at")}</th><th>${L("purpose")}</th><th>${L("state")}</th>
      <th>${L("version")}</th><th>${L("by")}</th></tr></thead>
    <tbody>${log.map((e) => html`<tr data-testid="consent-log-row">
      <td>${fmtDateTime(e.at)}</td><td>${label(e.purpose)}</td>
      <td class=${e.granted ? "ok" : "no"}>${e.granted ? L("granted") : L("withdrawn")}</td>
      <td><${ConsentText} version=${e.version} purpose=${e.purpose} /></td><td data-testid="consent-log-by">${whoChanged(e.by)}</td></tr>`)}</tbody></table>
  </div>`;
}

export function Patient({ id }) {
  const [reload, setReload] = useState(0);
  const state = useGet(`/patients/${encodeURIComponent(id)}`, reload);
  const onChange = () => setReload((n) => n + 1);
  if (!state.data) {
    return state.error ? html`<p class="error" data-testid="error">${L.error(state.error)}</p>`
      : html`<p class="muted">${t("loading")}</p>`;
  }
  const { patient: p, consents, consent_log: log, referral } = state.data;
  const sex = { F: L("sexF"), M: L("sexM"), U: L("sexU") }[p.sex] || "—";
  const base = `/patients/${encodeURIComponent(id)}`;
  return html`<div>
    <p><a href="#/patients" data-testid="patient-back">← ${L("back")}</a></p>
    <h1 data-testid="patient-name">${p.name}</h1>
    ${HEADER_ACTIONS.map((Action) => html`<${Action} id=${id} patient=${p} onChange=${onChange} />`)}
    <div class="grid2">
      <div class="panel"><h2>${L("profile")}</h2><dl class="profile">
        <dt>${L("phone")}</dt><dd data-testid="patient-phone">${p.phone_masked}</dd>
        <dt>${L("hospitalNo")}</dt><dd><${HospitalNoField} patientId=${id} value=${p.hospital_no} onChange=${onChange} /></dd>
        <dt>${L("birthYear")}</dt><dd>${p.birth_year || "—"}</dd>
        <dt>${L("sex")}</dt><dd>${sex}</dd>
        <dt>${L("district")}</dt><dd>${p.district || "—"}</dd>
        <dt>${L("conditions")}</dt><dd>${p.conditions.map((c) => html`<span class="tag">${label(c, "conditions")}</span>`)}</dd>
        <dt>${L("department")}</dt><dd>${p.department ? label(p.department, "departments") : "—"}</dd>
        <dt>${L("lastVisit")}</dt><dd data-testid="patient-last-visit">${p.last_visit_date ? fmtDate(p.last_visit_date) : L("never")}</dd>
        <dt>${L("revisitDue")}</dt><dd data-testid="patient-revisit-due">${p.revisit_due_date ? fmtDate(p.revisit_due_date) : "—"}</dd>
        <dt>${L("booking")}</dt><dd data-testid="patient-booking">${p.next_booking_date ? fmtDate(p.next_booking_date) : "—"}</dd>
        <dt>${L("personas")}</dt><dd data-testid="patient-personas">${(p.persona_tags || []).map((c) => label(c, "personas")).join("、") || L("none")}</dd>
        <dt>${L("balance")}</dt><dd data-testid="patient-balance">${fmtNumber(p.balance)}</dd>
        <dt>${L("earned")}</dt><dd>${fmtNumber(p.earned_total)}</dd>
        ${referral && html`<dt>${L("inviteCode")}</dt><dd class="mono" data-testid="patient-invite">${referral.invite_code || "—"}</dd>
        <dt>${L("referredBy")}</dt><dd data-testid="patient-referred-by">${referral.referred_by
          ? (referral.referred_by_name
            ? html`<a href=${"#/patients/" + encodeURIComponent(referral.referred_by)}>${referral.referred_by_name}</a>`
            : L("referrerGone"))
          : "—"}</dd>
        <dt>${L("referredCount")}</dt><dd data-testid="patient-referred">${fmtNumber(referral.referred)}</dd>`}
      </dl>
      <${Personas} id=${id} patient=${p} onChange=${onChange} key=${(p.persona_tags || []).join(",")} /></div>
      <${Consents} consents=${consents} log=${log || []} />
    </div>
    <${Desk} id=${id} patient=${p} onChange=${onChange} />
    <div class="panel section"><h2>${L("visits")}</h2>
      <${Paged} path=${base + "/visits"} name="visits" key=${"v" + reload}
        head=${[L("visitDate"), L("department"), t("nextDue"), L("onTime"), L("source")]}
        row=${(v) => html`<tr data-testid="visit-row"><td>${fmtDate(v.visit_date)}</td><td>${label(v.department, "departments")}</td>
          <td>${fmtDate(v.next_due_date)}</td><td>${v.on_time ? "✓" : ""}</td><td>${L("src_" + v.source)}</td></tr>`} /></div>
    <div class="panel section"><h2>${L("checkins")}</h2>
      <${Paged} path=${base + "/checkins"} name="checkins"
        head=${[L("day"), L("type"), L("value"), L("counted")]}
        row=${(c) => html`<tr data-testid="checkin-row"><td>${fmtDate(c.local_date)}</td>
          <td>${label(c.type, "checkin_types")}${c.context ? " · " + label(c.context) : ""}</td>
          <td>${fmtNumber(c.value)}${c.diastolic != null ? "/" + fmtNumber(c.diastolic) : ""}</td>
          <td>${c.counted ? "✓" : ""}</td></tr>`} /></div>
    ${SECTIONS.map((Section) => html`<${Section} id=${id} patient=${p} onChange=${onChange} />`)}
  </div>`;
}
