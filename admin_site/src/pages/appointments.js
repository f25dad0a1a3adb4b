// Appointments (docs/appointments.md): the clinic's doctors with their weekly sessions, date exceptions
// and holidays on #/schedule (admins edit, the others read); the desk's day on #/appointments (the day's
// bookings, arrivals and cancellations); and on a patient's page the patient's bookings with a slot
// picker that books for them (AppointmentsSection, listed in pages/patient.js SECTIONS).
import { useState } from "preact/hooks";
import { get, post, put } from "../api.js";
import { catalogueEntries, catalogueLabel, clinicToday, fmtDate, fmtNumber } from "../i18n.js";
import { html, isAdmin, labels, newKey, useAction, useGet, useWriteKey } from "./shared.js";

const L = labels({
  zh: {
    schedule: "排班与医生", doctors: "医生", doctor: "医生", department: "科室", active: "出诊", inactive: "停诊",
    weekly: "每周排班", exceptions: "特殊日期", name: "姓名", none: "无", noDoctors: "还没有医生，管理员可在下方添加",
    mon: "周一", tue: "周二", wed: "周三", thu: "周四", fri: "周五", sat: "周六", sun: "周日",
    session: "{start}–{end}，每 {minutes} 分钟一个号，每号 {capacity} 人", expert: "专家",
    priorityTag: "优先期", priorityWindow: "{day}起对所有患者开放；在此之前只有持“专家号优先预约”权益的患者可以自己预约，前台可以代约",
    closedDay: "停诊", editHint: "点击一行可载入到下方表单修改。", readOnly: "只有管理员可以修改排班，当前账号只能查看。",
    newDoctor: "新增医生", editDoctor: "修改医生：{name}", addSession: "添加时段", removeSession: "删除",
    start: "开始", end: "结束", slotMinutes: "每号分钟数", capacity: "每号人数", addException: "添加特殊日期",
    exceptionDate: "日期", removeException: "删除该日期", exceptionHint: "特殊日期当天按这里的时段出诊，不按每周排班；不加时段即当天停诊。",
    save: "保存", saved: "已保存", holidays: "诊所休息日", holidayName: "名称(可选)", addHoliday: "添加休息日",
    holidaysHint: "休息日全诊所停诊，所有医生当天都不放号。", noHolidays: "没有休息日", remove: "删除",
    // the desk's day
    appointments: "预约", day: "日期", allDepartments: "全部科室", allDoctors: "全部医生", today: "今天",
    total: "共 {n} 个预约", time: "时段", patient: "患者", status: "状态", bookedBy: "预约方", actions: "操作",
    booked: "已预约", arrived: "已到诊", cancelled: "已取消", no_show: "未到诊", byPatient: "患者本人",
    byStaff: "前台 {name}", arrive: "到诊", cancel: "取消", confirmCancel: "确认取消这个预约？", yes: "确认取消",
    back: "返回", noBookings: "这一天没有预约", arrivedDone: "已登记到诊，就诊记录已生成",
    arrivedPoints: "已登记到诊，就诊记录已生成，按时复诊获得 {n} 积分", cancelledDone: "已取消，号源已退回",
    erased: "已删除的患者", rescheduled: "已改约",
    // a patient's bookings
    patientTitle: "预约", noPatientBookings: "暂无预约", book: "为患者预约", from: "从", to: "到",
    findSlots: "查看号源", noSlots: "这段时间没有可约的号", left: "余 {n}", full: "已满", chosen: "已选：{what}",
    confirmBook: "确认预约", bookedDone: "已预约 {what}", rescheduleHint: "改约：先取消原预约，再为患者预约新的时段。",
    pickSlot: "请选择一个时段",
    // API errors
    unknown_department: "诊所目录里没有这个科室", invalid_schedule: "排班有误：结束须晚于开始、时长须是每号分钟数的整数倍、时段不能重叠，日期不能重复",
    invalid_period: "日期范围有误：最长 31 天，不能全在过去，最晚从 90 天后开始", doctor_not_found: "找不到这位医生(或已停诊)",
    slot_not_found: "这位医生这个时间没有号", slot_started: "这个时段已经开始，不能再预约或取消", slot_full: "这个时段已约满，请换一个",
    already_booked: "患者已预约了这个时段", too_many_appointments: "患者已有 3 个未完成的预约，不能再约",
    invalid_date: "日期有误：只能约今天到 90 天内", appointment_not_booked: "这个预约已不是“已预约”状态(可能已到诊或已取消)",
    not_appointment_day: "只能在预约当天登记到诊", appointment_not_found: "找不到这个预约", patient_not_found: "找不到该患者",
    invalid_input: "输入有误", unknown_field: "输入有误", wrong_role: "只有管理员可以修改", forbidden: "没有权限",
    try_again: "号源刚被占用或修改，请重试", request_in_progress: "上一次提交还在处理中，请稍候",
  },
  en: {
    schedule: "Doctors & schedules", doctors: "Doctors", doctor: "Doctor", department: "Department", active: "Seeing patients",
    inactive: "Not seeing patients", weekly: "Weekly schedule", exceptions: "Date exceptions", name: "Name", none: "None",
    noDoctors: "No doctors yet; an admin can add one below",
    mon: "Mon", tue: "Tue", wed: "Wed", thu: "Thu", fri: "Fri", sat: "Sat", sun: "Sun",
    session: "{start}–{end}, a slot every {minutes} min, {capacity} per slot", expert: "Expert",
    priorityTag: "Priority window", priorityWindow: "Open to every patient from {day}; until then only holders of the priority-booking perk book it themselves; the desk may book it",
    closedDay: "Closed", editHint: "Click a row to load it into the form below.",
    readOnly: "Only admins may change schedules; this account can only read them.",
    newDoctor: "New doctor", editDoctor: "Edit doctor: {name}", addSession: "Add a session", removeSession: "Remove",
    start: "Start", end: "End", slotMinutes: "Minutes per slot", capacity: "Patients per slot",
    addException: "Add a date exception", exceptionDate: "Date", removeException: "Remove this date",
    exceptionHint: "On an exception's date the doctor works its sessions instead of the week's; no session closes the day.",
    save: "Save", saved: "Saved", holidays: "Clinic holidays", holidayName: "Name (optional)", addHoliday: "Add a holiday",
    holidaysHint: "On a holiday the whole clinic is closed: no doctor has slots.", noHolidays: "No holidays", remove: "Remove",
    appointments: "Appointments", day: "Day", allDepartments: "All departments", allDoctors: "All doctors", today: "Today",
    total: "{n} bookings", time: "Slot", patient: "Patient", status: "Status", bookedBy: "Booked by", actions: "Actions",
    booked: "Booked", arrived: "Arrived", cancelled: "Cancelled", no_show: "No-show", byPatient: "The patient",
    byStaff: "Desk: {name}", arrive: "Arrived", cancel: "Cancel", confirmCancel: "Cancel this booking?", yes: "Yes, cancel",
    back: "Back", noBookings: "No bookings on this day", arrivedDone: "Arrival recorded; the visit is recorded",
    arrivedPoints: "Arrival recorded; an on-time revisit, {n} points", cancelledDone: "Cancelled; the place is free again",
    erased: "Erased patient", rescheduled: "Rescheduled",
    patientTitle: "Appointments", noPatientBookings: "No bookings", book: "Book for the patient", from: "From", to: "To",
    findSlots: "Show slots", noSlots: "No open slot in this period", left: "{n} left", full: "Full", chosen: "Chosen: {what}",
    confirmBook: "Book", bookedDone: "Booked: {what}",
    rescheduleHint: "To reschedule, cancel the booking and book the new slot.", pickSlot: "Choose a slot",
    unknown_department: "No such department in the clinic's catalogue",
    invalid_schedule: "Invalid schedule: the end after the start, a whole number of slots, no overlaps, no date twice",
    invalid_period: "Invalid period: 31 days at most, not wholly past, starting at most 90 days ahead",
    doctor_not_found: "No such doctor (or not seeing patients)", slot_not_found: "The doctor has no slot at this time",
    slot_started: "This slot has started", slot_full: "This slot is full; choose another",
    already_booked: "The patient already holds this slot", too_many_appointments: "The patient already holds 3 open bookings",
    invalid_date: "Invalid date: from today to 90 days ahead", appointment_not_booked: "This booking is no longer booked",
    not_appointment_day: "Arrivals are recorded on the booking's day", appointment_not_found: "No such booking",
    patient_not_found: "No such patient", invalid_input: "Invalid input", unknown_field: "Invalid input",
    wrong_role: "Only admins may change this", forbidden: "Not allowed", try_again: "The slot changed meanwhile; try again",
    request_in_progress: "The last request is still running; wait a moment",
  },
});

const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const STATUS_CLASS = { booked: "", arrived: "ok", cancelled: "muted", no_show: "no" };
const STATUSES = ["booked", "arrived", "cancelled", "no_show"];

const departments = () => catalogueEntries("departments").map((r) => r.code);
const dept = (code) => (code ? catalogueLabel("departments", code) : "—");

// "2026-12-08" and a number of days -> the calendar day that many days later.
function addDays(day, n) {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

// A calendar day with its weekday, in the reader's language ("2026年12月8日 周二").
function dayWithWeekday(day) {
  const [y, m, d] = day.split("-").map(Number);
  const weekday = WEEKDAYS[(new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7];
  return `${fmtDate(day)} ${L(weekday)}`;
}

const sessionText = (s) => L("session", { start: s.start, end: s.end, minutes: fmtNumber(s.slot_minutes),
  capacity: fmtNumber(s.capacity) });

function Sessions({ sessions }) {
  if (!sessions.length) return html`<span class="muted">${L("closedDay")}</span>`;
  return sessions.map((s, n) => html`${n > 0 && "；"}<span>${sessionText(s)}${s.expert && html` <span class="tag warn">${L("expert")}</span>`}</span>`);
}

// The week in a few lines: the weekdays with the same sessions together ("周一、周三、周五 08:30–11:30 …").
function weekGroups(weekly) {
  const groups = [];
  for (const day of WEEKDAYS) {
    const sessions = weekly[day] || [];
    if (!sessions.length) continue;
    const key = JSON.stringify(sessions);
    const same = groups.find((g) => g.key === key);
    if (same) same.days.push(day);
    else groups.push({ key, days: [day], sessions });
  }
  return groups;
}

// --- #/schedule: doctors, weekly sessions, exceptions, holidays ---------------------------------------

const blankSession = () => ({ start: "09:00", end: "12:00", slot_minutes: 30, capacity: 2, expert: false });

function SessionsEditor({ sessions, onChange, testid }) {
  const set = (n, key, value) => onChange(sessions.map((s, i) => (i === n ? { ...s, [key]: value } : s)));
  return html`<div data-testid=${testid}>
    ${sessions.map((s, n) => html`<div class="form-row session-row" data-testid="session-row">
      <label>${L("start")}<input type="time" required value=${s.start} onInput=${(e) => set(n, "start", e.target.value)}
        data-testid="session-start" /></label>
      <label>${L("end")}<input type="time" required value=${s.end} onInput=${(e) => set(n, "end", e.target.value)}
        data-testid="session-end" /></label>
      <label>${L("slotMinutes")}<input type="number" required min="5" max="240" step="5" value=${s.slot_minutes}
        onInput=${(e) => set(n, "slot_minutes", e.target.value)} data-testid="session-minutes" /></label>
      <label>${L("capacity")}<input type="number" required min="1" max="100" value=${s.capacity}
        onInput=${(e) => set(n, "capacity", e.target.value)} data-testid="session-capacity" /></label>
      <label class="check"><input type="checkbox" checked=${s.expert} onChange=${(e) => set(n, "expert", e.target.checked)}
        data-testid="session-expert" />${L("expert")}</label>
      <button type="button" class="ghost small" onClick=${() => onChange(sessions.filter((_, i) => i !== n))}
        data-testid="session-remove">${L("removeSession")}</button>
    </div>`)}
    <button type="button" class="ghost small" onClick=${() => onChange([...sessions, blankSession()])}
      data-testid="session-add">${L("addSession")}</button>
  </div>`;
}

const sessionBody = (s) => ({ start: s.start, end: s.end, slot_minutes: Number(s.slot_minutes),
  capacity: Number(s.capacity), expert: Boolean(s.expert) });

// Where an invalid_schedule refusal points (weekly.mon, exceptions.2.sessions), in words.
function fieldText(field) {
  if (!field) return "";
  const [part, index] = field.split(".");
  if (part === "weekly" && WEEKDAYS.includes(index)) return L(index);
  if (part === "exceptions") return `${L("exceptions")} ${Number(index) + 1}`;
  return "";
}

function DoctorForm({ initial, onSaved }) {
  const first = departments()[0] || "";
  const [form, setForm] = useState(() => initial ? {
    ...initial, weekly: Object.fromEntries(WEEKDAYS.map((d) => [d, initial.weekly[d] || []])),
  } : { doctor_id: null, name: "", department: first, active: true,
    weekly: Object.fromEntries(WEEKDAYS.map((d) => [d, []])), exceptions: [] });
  const [action, setAction] = useState({ busy: false, error: null, done: null });
  const set = (key, value) => setForm({ ...form, [key]: value });
  const submit = async (event) => {
    event.preventDefault();
    // a new doctor gets an id of its own; the admin never types one
    const id = form.doctor_id || newKey("dr").replace(/[^A-Za-z0-9_-]/g, "");
    const body = { name: form.name.trim(), department: form.department, active: form.active,
      weekly: Object.fromEntries(WEEKDAYS.map((d) => [d, form.weekly[d].map(sessionBody)])),
      exceptions: form.exceptions.map((x) => ({ date: x.date, sessions: x.sessions.map(sessionBody) })) };
    setAction({ busy: true, error: null, done: null });
    try {
      await put(`/doctors/${encodeURIComponent(id)}`, body);
      setForm({ ...form, doctor_id: id });
      setAction({ busy: false, error: null, done: L("saved") });
      onSaved();
    } catch (err) {
      const where = err && err.code === "invalid_schedule" ? fieldText(err.field) : "";
      setAction({ busy: false, error: (where ? where + "：" : "") + L.error(err), done: null });
    }
  };
  const setException = (n, value) => set("exceptions", form.exceptions.map((x, i) => (i === n ? { ...x, ...value } : x)));
  return html`<form class="panel section" onSubmit=${submit} data-testid="doctor-form">
    <h2>${form.doctor_id ? L("editDoctor", { name: form.name }) : L("newDoctor")}</h2>
    <div class="form-row">
      <label>${L("name")}<input required maxlength="40" value=${form.name} onInput=${(e) => set("name", e.target.value)}
        data-testid="doctor-name" /></label>
      <label>${L("department")}<select required value=${form.department} onChange=${(e) => set("department", e.target.value)}
        data-testid="doctor-department">${departments().map((d) => html`<option value=${d}>${dept(d)}</option>`)}</select></label>
      <label class="check"><input type="checkbox" checked=${form.active} onChange=${(e) => set("active", e.target.checked)}
        data-testid="doctor-active" />${L("active")}</label>
    </div>
    <h3>${L("weekly")}</h3>
    ${WEEKDAYS.map((d) => html`<fieldset data-testid=${"weekday-" + d}><legend>${L(d)}</legend>
      <${SessionsEditor} sessions=${form.weekly[d]} testid=${"sessions-" + d}
        onChange=${(list) => set("weekly", { ...form.weekly, [d]: list })} /></fieldset>`)}
    <h3>${L("exceptions")}</h3>
    <p class="muted">${L("exceptionHint")}</p>
    ${form.exceptions.map((x, n) => html`<fieldset data-testid="exception-row"><legend>${L("exceptionDate")}</legend>
      <div class="form-row">
        <label>${L("exceptionDate")}<input type="date" required value=${x.date}
          onInput=${(e) => setException(n, { date: e.target.value })} data-testid="exception-date" /></label>
        <button type="button" class="ghost small" data-testid="exception-remove"
          onClick=${() => set("exceptions", form.exceptions.filter((_, i) => i !== n))}>${L("removeException")}</button>
      </div>
      <${SessionsEditor} sessions=${x.sessions} testid="exception-sessions"
        onChange=${(list) => setException(n, { sessions: list })} /></fieldset>`)}
    <div class="form-row"><button type="button" class="ghost small" data-testid="exception-add"
      onClick=${() => set("exceptions", [...form.exceptions, { date: clinicToday(), sessions: [] }])}>${L("addException")}</button></div>
    <button type="submit" disabled=${action.busy || !form.department} data-testid="doctor-save">${L("save")}</button>
    ${action.error && html`<p class="error" data-testid="doctor-error">${action.error}</p>`}
    ${action.done && html`<p class="ok" data-testid="doctor-saved">${action.done}</p>`}
  </form>`;
}

function Holidays({ admin }) {
  const [reload, setReload] = useState(0);
  const state = useGet("/clinic/holidays", reload);
  const [days, setDays] = useState(null);
  const [action, run] = useAction(L);
  if (state.error) return html`<p class="error" data-testid="holidays-error">${L.error(state.error)}</p>`;
  if (!state.data) return null;
  const shown = days || state.data.days;
  const setDay = (n, value) => setDays(shown.map((d, i) => (i === n ? { ...d, ...value } : d)));
  const save = async (event) => {
    event.preventDefault();
    const body = { days: shown.map((d) => ({ date: d.date, name: d.name.trim() })) };
    // the saved list stays on the form (the days as they were sent, in date order) while the list is read again
    if (await run(() => put("/clinic/holidays", body), L("saved"))) {
      setDays([...body.days].sort((a, b) => a.date.localeCompare(b.date)));
      setReload((n) => n + 1);
    }
  };
  return html`<div class="panel section" data-testid="holidays">
    <h2>${L("holidays")}</h2>
    <p class="muted">${L("holidaysHint")}</p>
    ${!admin ? (shown.length ? html`<table data-testid="holidays-table"><thead><tr><th>${L("day")}</th><th>${L("holidayName")}</th></tr></thead>
      <tbody>${shown.map((d) => html`<tr data-testid="holiday-row"><td>${dayWithWeekday(d.date)}</td><td>${d.name || "—"}</td></tr>`)}</tbody></table>`
      : html`<p class="muted">${L("noHolidays")}</p>`) : html`<form onSubmit=${save} data-testid="holidays-form">
      ${shown.length === 0 && html`<p class="muted">${L("noHolidays")}</p>`}
      ${shown.map((d, n) => html`<div class="form-row" data-testid="holiday-row">
        <label>${L("day")}<input type="date" required value=${d.date} onInput=${(e) => setDay(n, { date: e.target.value })}
          data-testid="holiday-date" /></label>
        <label>${L("holidayName")}<input maxlength="40" value=${d.name} onInput=${(e) => setDay(n, { name: e.target.value })}
          data-testid="holiday-name" /></label>
        <button type="button" class="ghost small" onClick=${() => setDays(shown.filter((_, i) => i !== n))}
          data-testid="holiday-remove">${L("remove")}</button></div>`)}
      <div class="form-row">
        <button type="button" class="ghost" onClick=${() => setDays([...shown, { date: clinicToday(), name: "" }])}
          data-testid="holiday-add">${L("addHoliday")}</button>
        <button type="submit" disabled=${action.busy} data-testid="holidays-save">${L("save")}</button>
      </div>
      ${action.error && html`<p class="error" data-testid="holidays-save-error">${action.error}</p>`}
      ${action.done && html`<p class="ok" data-testid="holidays-saved">${action.done}</p>`}
    </form>`}
  </div>`;
}

// Doctors by department (in the catalogue's order), then by name.
function sorted(items) {
  const order = departments();
  const rank = (d) => (order.includes(d.department) ? order.indexOf(d.department) : order.length);
  return [...items].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name, "zh-CN"));
}

function SchedulePage() {
  const [reload, setReload] = useState(0);
  const [picked, setPicked] = useState(null);
  const [formKey, setFormKey] = useState("new");
  const pick = (d) => { setPicked(d); setFormKey(d ? d.doctor_id + d.updated_at : "new" + Date.now()); };
  const state = useGet("/doctors", reload);
  const admin = isAdmin();
  const items = state.data ? state.data.items : null;
  return html`<div>
    <h1>${L("schedule")}</h1>
    <p class="muted">${admin ? L("editHint") : L("readOnly")}</p>
    ${state.error && html`<p class="error" data-testid="error">${L.error(state.error)}</p>`}
    ${items && (items.length === 0 ? html`<p class="muted" data-testid="doctors-empty">${L("noDoctors")}</p>` : html`
      <table data-testid="doctors-table"><thead><tr><th>${L("name")}</th><th>${L("department")}</th><th>${L("active")}</th>
        <th>${L("weekly")}</th><th>${L("exceptions")}</th></tr></thead>
        <tbody>${sorted(items).map((d) => html`<tr data-testid="doctor-row" data-id=${d.doctor_id} class=${admin ? "clickable" : ""}
            onClick=${() => admin && pick(d)}>
          <td data-testid="doctor-row-name">${d.name}</td><td data-testid="doctor-row-department">${dept(d.department)}</td>
          <td class=${d.active ? "ok" : "no"}>${d.active ? L("active") : L("inactive")}</td>
          <td class="wrap week" data-testid="doctor-weekly">${weekGroups(d.weekly).map((g) => html`<div>
            <strong>${g.days.map((w) => L(w)).join("、")}</strong> <${Sessions} sessions=${g.sessions} /></div>`)}</td>
          <td class="wrap">${d.exceptions.length ? d.exceptions.map((x) => html`<div>${dayWithWeekday(x.date)}：<${Sessions}
            sessions=${x.sessions} /></div>`) : L("none")}</td></tr>`)}</tbody></table>`)}
    ${admin && html`<p><button class="ghost" onClick=${() => pick(null)} data-testid="doctor-new">${L("newDoctor")}</button></p>`}
    ${admin && html`<${DoctorForm} key=${formKey} initial=${picked} onSaved=${() => setReload((n) => n + 1)} />`}
    <${Holidays} admin=${admin} />
  </div>`;
}

// --- a booking's actions (the day list and the patient's page) -----------------------------------------

const bookedBy = (by) => (!by ? "—" : by === "patient" ? L("byPatient")
  : by.startsWith("staff:") ? L("byStaff", { name: by.slice(6) }) : by);

// 到诊 on the booking's day, 取消 before its slot starts (asking first); `onDone(text)` after either.
function BookingActions({ item, onDone }) {
  const [asking, setAsking] = useState(false);
  const [action, run] = useAction(L);
  if (item.status !== "booked") return null;
  const today = item.date === clinicToday();
  const started = new Date(item.starts_at).getTime() <= Date.now();
  const id = encodeURIComponent(item.appointment_id);
  const arrive = async () => {
    const result = await run(() => post(`/appointments/${id}/arrive`));
    if (result) onDone(result.points_awarded ? L("arrivedPoints", { n: fmtNumber(result.points_awarded) }) : L("arrivedDone"));
  };
  const cancel = async () => {
    const result = await run(() => post(`/appointments/${id}/cancel`));
    setAsking(false);
    if (result) onDone(L("cancelledDone"));
  };
  return html`<div>
    ${asking ? html`<span class="confirm" data-testid="cancel-confirm">${L("confirmCancel")}
        <button class="small" disabled=${action.busy} onClick=${cancel} data-testid="cancel-yes">${L("yes")}</button>
        <button class="ghost small" onClick=${() => setAsking(false)} data-testid="cancel-no">${L("back")}</button></span>`
      : html`${today && html`<button class="small" disabled=${action.busy} onClick=${arrive} data-testid="appointment-arrive">${L("arrive")}</button>`}
        ${!started && html`<button class="ghost small" disabled=${action.busy} onClick=${() => setAsking(true)}
          data-testid="appointment-cancel">${L("cancel")}</button>`}`}
    ${action.error && html`<p class="error" data-testid="appointment-error">${action.error}</p>`}
  </div>`;
}

// --- #/appointments: the desk's day ----------------------------------------------------------------------

function DayPage() {
  const [day, setDay] = useState(clinicToday);
  const [department, setDepartment] = useState("");
  const [doctorId, setDoctorId] = useState("");
  const [reload, setReload] = useState(0);
  const [note, setNote] = useState(null);
  const doctors = useGet("/doctors");
  const query = [["date", day], ["department", department], ["doctor_id", doctorId]].filter(([, v]) => v)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
  const state = useGet(`/appointments?${query}`, reload);
  const choices = ((doctors.data && doctors.data.items) || []).filter((d) => !department || d.department === department);
  const items = state.data ? state.data.items : [];
  const counts = Object.fromEntries(STATUSES.map((s) => [s, items.filter((a) => a.status === s).length]));
  const done = (text) => { setNote(text); setReload((n) => n + 1); };
  return html`<div>
    <h1>${L("appointments")}</h1>
    <div class="form-row">
      <label>${L("day")}<input type="date" value=${day} onChange=${(e) => e.target.value && setDay(e.target.value)}
        data-testid="day-date" /></label>
      <button type="button" class="ghost" onClick=${() => setDay(clinicToday())} data-testid="day-today">${L("today")}</button>
      <label>${L("department")}<select value=${department} data-testid="day-department"
        onChange=${(e) => { setDepartment(e.target.value); setDoctorId(""); }}>
        <option value="">${L("allDepartments")}</option>
        ${departments().map((d) => html`<option value=${d}>${dept(d)}</option>`)}</select></label>
      <label>${L("doctor")}<select value=${doctorId} onChange=${(e) => setDoctorId(e.target.value)} data-testid="day-doctor">
        <option value="">${L("allDoctors")}</option>
        ${choices.map((d) => html`<option value=${d.doctor_id}>${d.name}</option>`)}</select></label>
    </div>
    <p data-testid="day-counts"><strong data-testid="day-total">${L("total", { n: fmtNumber(items.length) })}</strong>
      ${STATUSES.map((s) => html` · <span data-testid=${"day-count-" + s}>${L(s)} ${fmtNumber(counts[s])}</span>`)}</p>
    ${note && html`<p class="ok" data-testid="day-done">${note}</p>`}
    ${state.error && html`<p class="error" data-testid="error">${L.error(state.error)}</p>`}
    ${state.data && (items.length === 0 ? html`<p class="muted" data-testid="day-empty">${L("noBookings")}</p>` : html`
      <table data-testid="day-table"><thead><tr><th>${L("time")}</th><th>${L("patient")}</th><th>${L("department")}</th>
        <th>${L("doctor")}</th><th>${L("status")}</th><th>${L("bookedBy")}</th><th>${L("actions")}</th></tr></thead>
        <tbody>${items.map((a) => html`<tr data-testid="day-row" data-id=${a.appointment_id} data-status=${a.status}>
          <td class="nowrap" data-testid="day-time">${a.start}–${a.end}</td>
          <td>${a.patient_name ? html`<a href=${"#/patients/" + encodeURIComponent(a.patient_id)} data-testid="day-patient">${a.patient_name}</a>`
            : html`<span class="muted">${L("erased")}</span>`}</td>
          <td>${dept(a.department)}</td>
          <td>${a.doctor_name || "—"}${a.expert && html` <span class="tag warn">${L("expert")}</span>`}</td>
          <td class=${STATUS_CLASS[a.status] || ""} data-testid="day-status">${L(a.status)}${a.rescheduled_to ? `（${L("rescheduled")}）` : ""}</td>
          <td>${bookedBy(a.booked_by)}</td>
          <td class="actions"><${BookingActions} item=${a} onDone=${done} /></td></tr>`)}</tbody></table>`)}
  </div>`;
}

// --- on a patient's page: the bookings and the slot picker ------------------------------------------------

function SlotPicker({ id, patient, onBooked }) {
  const today = clinicToday();
  const offered = departments();
  const [department, setDepartment] = useState(offered.includes(patient.department) ? patient.department : offered[0] || "");
  const [from, setFrom] = useState(today);
  const [to, setTo] = useState(() => addDays(today, 6));
  const [doctorId, setDoctorId] = useState("");
  const [asked, setAsked] = useState(null);
  const [chosen, setChosen] = useState(null);
  const [action, run] = useAction(L);
  const keyed = useWriteKey("appointment");
  const doctors = useGet("/doctors");
  const choices = ((doctors.data && doctors.data.items) || []).filter((d) => d.department === department && d.active);
  const find = async (event) => {
    if (event) event.preventDefault();
    setChosen(null);
    const q = `department=${encodeURIComponent(department)}&from=${from}&to=${to}${doctorId ? "&doctor_id=" + encodeURIComponent(doctorId) : ""}`;
    try {
      setAsked({ items: (await get(`/appointment-slots?${q}`)).items });
    } catch (err) {
      setAsked({ error: L.error(err) });
    }
  };
  const slotText = (s) => `${dayWithWeekday(s.date)} ${s.start}–${s.end} ${s.doctor_name}`;
  const book = async () => {
    if (!chosen) return;
    const body = { doctor_id: chosen.doctor_id, date: chosen.date, start: chosen.start };
    const result = await run(() => keyed(body, (headers) => post(`/patients/${encodeURIComponent(id)}/appointments`, body, headers)));
    if (result) {
      onBooked(L("bookedDone", { what: slotText(chosen) }));
      await find();
    }
  };
  const byDay = {};
  for (const s of (asked && asked.items) || []) (byDay[s.date] = byDay[s.date] || []).push(s);
  return html`<div data-testid="slot-picker">
    <form class="form-row" onSubmit=${find}>
      <label>${L("department")}<select value=${department} data-testid="slot-department"
        onChange=${(e) => { setDepartment(e.target.value); setDoctorId(""); }}>
        ${offered.map((d) => html`<option value=${d}>${dept(d)}</option>`)}</select></label>
      <label>${L("doctor")}<select value=${doctorId} onChange=${(e) => setDoctorId(e.target.value)} data-testid="slot-doctor">
        <option value="">${L("allDoctors")}</option>${choices.map((d) => html`<option value=${d.doctor_id}>${d.name}</option>`)}</select></label>
      <label>${L("from")}<input type="date" required min=${today} value=${from} onInput=${(e) => setFrom(e.target.value)}
        data-testid="slot-from" /></label>
      <label>${L("to")}<input type="date" required min=${from} value=${to} onInput=${(e) => setTo(e.target.value)}
        data-testid="slot-to" /></label>
      <button type="submit" disabled=${!department} data-testid="slot-find">${L("findSlots")}</button>
    </form>
    ${asked && asked.error && html`<p class="error" data-testid="slot-error">${asked.error}</p>`}
    ${asked && asked.items && (asked.items.length === 0 ? html`<p class="muted" data-testid="slot-empty">${L("noSlots")}</p>`
      : Object.entries(byDay).map(([day, slots]) => html`<div class="slot-day" data-testid="slot-day" data-date=${day}>
        <h3>${dayWithWeekday(day)}</h3>
        <div class="slots">${slots.map((s) => html`<button type="button" data-testid="slot"
            data-date=${s.date} data-start=${s.start} data-doctor=${s.doctor_id} data-left=${s.left}
            class=${"slot" + (chosen === s ? " chosen" : "") + (s.expert ? " expert" : "")} disabled=${s.left <= 0}
            aria-pressed=${chosen === s ? "true" : "false"} onClick=${() => setChosen(s)}>
          <strong>${s.start}</strong> ${s.doctor_name}${s.expert ? ` · ${L("expert")}` : ""}
          ${s.opens_on && html`<span class="tag" data-testid="slot-opens" title=${L("priorityWindow", { day: dayWithWeekday(s.opens_on) })}>
            ${L("priorityTag")}</span>`}
          <span class="left">${s.left > 0 ? L("left", { n: fmtNumber(s.left) }) : L("full")}</span></button>`)}</div></div>`))}
    ${asked && asked.items && asked.items.length > 0 && html`<div class="form-row">
      <span data-testid="slot-chosen">${chosen ? L("chosen", { what: slotText(chosen) }) : L("pickSlot")}</span>
      <button type="button" disabled=${!chosen || action.busy} onClick=${book} data-testid="slot-book">${L("confirmBook")}</button></div>`}
    ${action.error && html`<p class="error" data-testid="book-error">${action.error}</p>`}
  </div>`;
}

function AppointmentsSection({ id, patient, onChange }) {
  const [reload, setReload] = useState(0);
  const [note, setNote] = useState(null);
  const state = useGet(`/patients/${encodeURIComponent(id)}/appointments`, reload);
  const done = (text) => { setNote(text); setReload((n) => n + 1); onChange(); };
  const items = state.data ? state.data.items : [];
  return html`<div class="panel section" data-testid="appointments-section">
    <h2>${L("patientTitle")}</h2>
    ${note && html`<p class="ok" data-testid="appointments-done">${note}</p>`}
    ${state.error && html`<p class="error" data-testid="appointments-error">${L.error(state.error)}</p>`}
    ${state.data && (items.length === 0 ? html`<p class="muted" data-testid="appointments-empty">${L("noPatientBookings")}</p>` : html`
      <table data-testid="appointments-table"><thead><tr><th>${L("day")}</th><th>${L("time")}</th><th>${L("department")}</th>
        <th>${L("doctor")}</th><th>${L("status")}</th><th>${L("bookedBy")}</th><th>${L("actions")}</th></tr></thead>
        <tbody>${items.map((a) => html`<tr data-testid="appointment-row" data-id=${a.appointment_id} data-status=${a.status}>
          <td class="nowrap">${dayWithWeekday(a.date)}</td><td class="nowrap">${a.start}–${a.end}</td><td>${dept(a.department)}</td>
          <td>${a.doctor_name || "—"}${a.expert && html` <span class="tag warn">${L("expert")}</span>`}</td>
          <td class=${STATUS_CLASS[a.status] || ""} data-testid="appointment-status">${L(a.status)}${a.rescheduled_to ? `（${L("rescheduled")}）` : ""}</td>
          <td>${bookedBy(a.booked_by)}</td>
          <td class="actions"><${BookingActions} item=${a} onDone=${done} /></td></tr>`)}</tbody></table>`)}
    <h3>${L("book")}</h3>
    <p class="muted">${L("rescheduleHint")}</p>
    <${SlotPicker} id=${id} patient=${patient} onBooked=${done} />
  </div>`;
}

export { AppointmentsSection };
export const schedulePage = { key: "schedule", path: "/schedule", label: { zh: "排班与医生", en: "Doctors & schedules" },
  component: SchedulePage };
export const appointmentsPage = { key: "appointments", path: "/appointments", label: { zh: "预约", en: "Appointments" },
  roles: ["admin", "front_desk", "health_manager"], component: DayPage };
