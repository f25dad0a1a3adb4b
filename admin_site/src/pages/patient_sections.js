// Sections of a patient's page (pages/patient.js lists them): points (adjust, reverse, the ledger
// page by page) and exam tasks, badges and perks (record an exam, confirm a staff session).
import { useState } from "preact/hooks";
import { post } from "../api.js";
import { clinicToday, fmtDate, fmtDateTime, fmtNumber, getLang, t } from "../i18n.js";
import { flagLabel } from "./engagement.js";
import { html, labels, localName, useAction, useGet, useWriteKey } from "./shared.js";

const L = labels({
  zh: {
    points: "积分", balance: "可用积分", earned: "累计获得(定等级)", tier: "等级", redeemed: "已兑换", expiring: "即将过期",
    expiresOn: "{date} 过期 {n} 分", adjust: "人工调整", amount: "积分(可为负)", reason: "原因(必填)", apply: "提交",
    reverse: "冲正", reversed: "已冲正", staff: "操作人", note: "说明", adjusted: "已记入流水",
    tasksTitle: "体检任务、徽章与权益", recordExam: "录入体检结果", takenOn: "体检日期", flags: "异常指标",
    record: "录入", recorded: "已录入，分配任务 {n} 个", exams: "体检记录", tasks: "任务", badges: "徽章", perks: "权益",
    progress: "进度", due: "截止", status: "状态", active: "进行中", completed: "已完成", expired: "已过期",
    confirm: "确认一次", confirmed: "已确认", none: "暂无", unlocked: "已解锁", locked: "还需 {n} 枚徽章",
    normal: "无异常",
    insufficient_points: "积分不足，不能扣成负数", not_reversible: "冲正记录不能再冲正", entry_not_found: "找不到该流水",
    task_closed: "该任务已完成或已过期", task_not_confirmable: "该任务由患者打卡完成", session_outside_window: "不在任务期限内",
    invalid_date: "日期不对（不能是将来）", invalid_input: "输入有误", try_again: "请重试",
    entry_exists: "这条流水已冲正过", task_not_found: "找不到该任务", patient_not_found: "找不到该患者",
    unknown_flag: "未知的异常指标", sessionOn: "治疗日期", examId: "体检编号(可选，默认按日期)", flag: "异常指标",
    seenBefore: "该体检已录入过，未重复分配任务", byStaff: "医护确认", byCheckin: "{type}打卡",
    bronze: "铜牌", silver: "银牌", gold: "金牌", tierNote: "按累计获得积分定级：银牌 300，金牌 1,000",
    prev: "上一页", next: "下一页", page: "第 {n} 页", invalid_cursor: "分页已失效，请回到第一页",
  },
  en: {
    points: "Points", balance: "Balance", earned: "Earned (sets the tier)", tier: "Tier", redeemed: "Redeemed",
    expiring: "Expiring", expiresOn: "{n} expire on {date}", adjust: "Adjust", amount: "Points (may be negative)",
    reason: "Reason (required)", apply: "Apply", reverse: "Reverse", reversed: "Reversed", staff: "By", note: "Note",
    adjusted: "Entered in the ledger", tasksTitle: "Exam tasks, badges and perks", recordExam: "Record an exam",
    takenOn: "Exam date", flags: "Abnormal flags", record: "Record", recorded: "Recorded, {n} tasks assigned",
    exams: "Exams", tasks: "Tasks", badges: "Badges", perks: "Perks", progress: "Progress", due: "Due",
    status: "Status", active: "Running", completed: "Done", expired: "Expired", confirm: "Confirm a session",
    confirmed: "Confirmed", none: "None", unlocked: "Unlocked", locked: "{n} more badges", normal: "Normal",
    insufficient_points: "Not enough points: a balance cannot go negative",
    not_reversible: "A reversal cannot be reversed", entry_not_found: "No such entry",
    task_closed: "This task is done or expired", task_not_confirmable: "This task is done by the patient's check-ins",
    session_outside_window: "Outside the task's window", invalid_date: "Not a valid date (not in the future)",
    invalid_input: "Invalid input", try_again: "Try again",
    entry_exists: "This entry was already reversed", task_not_found: "No such task", patient_not_found: "No such patient",
    unknown_flag: "Unknown flag", sessionOn: "Session day", examId: "Exam ID (optional, the day by default)",
    flag: "Flag", seenBefore: "This exam was recorded before; no tasks assigned again", byStaff: "Confirmed by staff",
    byCheckin: "{type} check-ins",
    bronze: "Bronze", silver: "Silver", gold: "Gold", tierNote: "Set by points earned in total: silver 300, gold 1,000",
    prev: "Previous", next: "Next", page: "Page {n}", invalid_cursor: "The page expired; go back to the first page",
  },
});

// Each section is given the patient's id and `onChange`, which it calls after a write so the rest
// of the patient's page (the balance in the profile) is read again.
export function PointsSection({ id, onChange }) {
  const [reload, setReload] = useState(0);
  const [cursors, setCursors] = useState([null]);
  const base = `/patients/${encodeURIComponent(id)}/points`;
  const cursor = cursors[cursors.length - 1];
  const state = useGet(`${base}?limit=20${cursor ? "&cursor=" + encodeURIComponent(cursor) : ""}`, reload);
  const [action, run] = useAction(L);
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  const adjustKeyed = useWriteKey("adjust");
  const reverseKeyed = useWriteKey("reverse");
  // after a write the newest entries are what matter: back to the first page
  const changed = () => { setCursors([null]); setReload((n) => n + 1); onChange(); };
  const adjust = async (event) => {
    event.preventDefault();
    const body = { points: Number(amount), reason: reason.trim() };
    if (!body.reason) return;
    const done = await run(() => adjustKeyed(body, (headers) => post(`${base}/adjustments`, body, headers)), L("adjusted"));
    if (done) { setAmount(""); changed(); }
  };
  const reverse = async (entry) => {
    const body = { entry_id: entry.entry_id, reason: reason.trim() || L("reverse") };
    const done = await run(() => reverseKeyed(body, (headers) => post(`${base}/reversals`, body, headers)), L("reversed"));
    if (done) changed();
  };
  if (!state.data) return state.error ? html`<p class="error" data-testid="points-error">${L.error(state.error)}</p>` : null;
  const p = state.data;
  const reversedIds = new Set(p.entries.filter((e) => e.reason === "reversal").map((e) => e.entry_id.replace(/^reverse:/, "")));
  return html`<div class="panel section" data-testid="points-section">
    <h2>${L("points")}</h2>
    <dl class="profile">
      <dt>${L("balance")}</dt><dd data-testid="points-balance">${fmtNumber(p.balance)}</dd>
      <dt>${L("earned")}</dt><dd data-testid="points-earned">${fmtNumber(p.earned_total)}</dd>
      <dt>${L("tier")}</dt><dd data-testid="points-tier" data-tier=${p.tier} title=${L("tierNote")}>${L(p.tier)}</dd>
      <dt>${L("redeemed")}</dt><dd>${fmtNumber(p.redeemed_total)}</dd>
      <dt>${L("expiring")}</dt><dd>${p.expiring.length ? p.expiring.map((l) => html`<div>${L("expiresOn",
        { n: fmtNumber(l.points), date: fmtDate(l.expires_on) })}</div>`) : L("none")}</dd>
    </dl>
    <form class="form-row" onSubmit=${adjust}>
      <label>${L("amount")}<input type="number" required step="1" min="-100000" max="100000" value=${amount}
        onInput=${(e) => setAmount(e.target.value)} data-testid="adjust-points" /></label>
      <label>${L("reason")}<input required maxlength="200" value=${reason} onInput=${(e) => setReason(e.target.value)}
        data-testid="adjust-reason" /></label>
      <button type="submit" disabled=${action.busy} data-testid="adjust-submit">${L("apply")}</button>
    </form>
    ${action.error && html`<p class="error" data-testid="points-error">${action.error}</p>`}
    ${action.done && html`<p class="ok" data-testid="points-done">${action.done}</p>`}
    <table data-testid="points-ledger"><thead><tr><th>${t("at")}</th><th>${t("reason")}</th><th>${t("points")}</th>
      <th>${L("note")}</th><th></th></tr></thead>
      <tbody>${p.entries.map((e) => html`<tr data-testid="points-entry" data-id=${e.entry_id}>
        <td>${fmtDateTime(e.at)}</td><td>${t(e.reason)}</td>
        <td class=${e.points < 0 ? "no" : "ok"}>${e.points > 0 ? "+" : ""}${e.points}</td>
        <td>${e.note ? `${e.note}${e.staff ? " · " + e.staff : ""}` : ""}</td>
        <td>${reversedIds.has(e.entry_id) ? html`<span class="muted" data-testid="entry-reversed">${L("reversed")}</span>`
          : e.reason !== "reversal" && e.reason !== "expiry" && html`<button class="ghost"
          disabled=${action.busy} onClick=${() => reverse(e)} data-testid="reverse-entry">${L("reverse")}</button>`}</td>
      </tr>`)}</tbody></table>
    ${(cursors.length > 1 || p.next_cursor) && html`<div class="pager">
      <button class="ghost" disabled=${cursors.length <= 1} data-testid="ledger-prev"
        onClick=${() => setCursors(cursors.slice(0, -1))}>${L("prev")}</button>
      <span class="muted" data-testid="ledger-page">${L("page", { n: cursors.length })}</span>
      <button class="ghost" disabled=${!p.next_cursor} data-testid="ledger-next"
        onClick=${() => setCursors([...cursors, p.next_cursor])}>${L("next")}</button></div>`}
  </div>`;
}

function ExamForm({ id, flags, known, onRecorded }) {
  const [day, setDay] = useState(clinicToday);
  const [examId, setExamId] = useState("");
  const [chosen, setChosen] = useState([]);
  const [action, run] = useAction(L);
  const keyed = useWriteKey("exam");
  const toggle = (flag) => setChosen(chosen.includes(flag) ? chosen.filter((f) => f !== flag) : [...chosen, flag]);
  const submit = async (event) => {
    event.preventDefault();
    const body = { taken_on: day, flags: chosen, ...(examId.trim() ? { exam_id: examId.trim() } : {}) };
    const result = await run(() => keyed(body, (headers) => post(`/patients/${encodeURIComponent(id)}/exams`, body, headers)));
    if (result) {
      // the API answers an exam it already has (same id, by default the day) with that exam, unchanged
      onRecorded(known.has(result.exam.exam_id) ? L("seenBefore") : L("recorded", { n: result.tasks.length }));
      setChosen([]);
      setExamId("");
    }
  };
  return html`<form onSubmit=${submit} data-testid="exam-form">
    <div class="form-row">
      <label>${L("takenOn")}<input type="date" required max=${clinicToday()} value=${day}
        onInput=${(e) => setDay(e.target.value)} data-testid="exam-date" /></label>
      <label>${L("examId")}<input pattern="[A-Za-z0-9_.\\-]+" maxlength="64" value=${examId}
        onInput=${(e) => setExamId(e.target.value)} data-testid="exam-id" /></label>
    </div>
    <fieldset class="form-row flags"><legend>${L("flags")}</legend>
      ${flags.map((flag) => html`<label class="check"><input type="checkbox" checked=${chosen.includes(flag)}
        onChange=${() => toggle(flag)} data-testid=${"exam-flag-" + flag} />${flagLabel(flag)}</label>`)}
    </fieldset>
    <button type="submit" disabled=${action.busy} data-testid="exam-submit">${L("record")}</button>
    ${action.error && html`<p class="error" data-testid="exam-error">${action.error}</p>`}
  </form>`;
}

export function TasksSection({ id }) {
  const [reload, setReload] = useState(0);
  const [note, setNote] = useState(null);
  const [sessionOn, setSessionOn] = useState(clinicToday);
  const path = `/patients/${encodeURIComponent(id)}/tasks`;
  const state = useGet(path, reload);
  const rules = useGet("/task-rules");
  const [action, run] = useAction(L);
  const keyed = useWriteKey("confirm");
  const confirm = async (task) => {
    const body = { session_on: sessionOn };
    const done = await run(() => keyed({ task: task.task_id, ...body },
      (headers) => post(`${path}/${encodeURIComponent(task.task_id)}/confirm`, body, headers)), L("confirmed"));
    if (done) setReload((n) => n + 1);
  };
  if (!state.data) return state.error ? html`<p class="error" data-testid="task-error">${L.error(state.error)}</p>` : null;
  const { exams, tasks, badges, perks } = state.data;
  const staffTasks = tasks.some((task) => task.kind === "staff" && task.status === "active");
  return html`<div class="panel section" data-testid="tasks-section">
    <h2>${L("tasksTitle")}</h2>
    <h3>${L("recordExam")}</h3>
    ${rules.data && html`<${ExamForm} id=${id} flags=${rules.data.flags} known=${new Set(exams.map((e) => e.exam_id))}
      onRecorded=${(text) => { setNote(text); setReload((r) => r + 1); }} />`}
    ${rules.error && html`<p class="error">${L.error(rules.error)}</p>`}
    ${note && html`<p class="ok" data-testid="exam-recorded">${note}</p>`}
    <h3>${L("exams")}</h3>
    ${exams.length === 0 ? html`<p class="muted">${L("none")}</p>` : html`<ul data-testid="exam-list">${exams.map((e) => html`
      <li data-testid="exam-row" data-id=${e.exam_id}>${fmtDate(e.taken_on)}: ${e.flags.length
        ? e.flags.map(flagLabel).join(getLang() === "en" ? ", " : "、") : L("normal")}</li>`)}</ul>`}
    <h3>${L("tasks")}</h3>
    ${staffTasks && html`<div class="form-row"><label>${L("sessionOn")}<input type="date" required max=${clinicToday()}
      value=${sessionOn} onInput=${(e) => setSessionOn(e.target.value)} data-testid="session-date" /></label></div>`}
    ${action.error && html`<p class="error" data-testid="task-error">${action.error}</p>`}
    ${tasks.length === 0 ? html`<p class="muted">${L("none")}</p>` : html`<table data-testid="task-table">
      <thead><tr><th>${L("tasks")}</th><th>${L("flag")}</th><th>${L("progress")}</th><th>${L("due")}</th>
        <th>${L("status")}</th><th></th></tr></thead>
      <tbody>${tasks.map((task) => html`<tr data-testid="task-row" data-key=${task.task_key} data-status=${task.status}>
        <td>${localName(task)}<div class="muted">${task.kind === "staff" ? L("byStaff") : L("byCheckin", { type: t(task.checkin_type || "checkin") })}</div></td>
        <td>${flagLabel(task.flag)}</td>
        <td><progress max=${task.target} value=${Math.min(task.progress, task.target)}></progress>
          <span data-testid="task-progress">${task.progress}/${task.target}</span></td>
        <td>${fmtDate(task.due_on)}</td>
        <td data-testid="task-status" class=${task.status === "completed" ? "ok" : task.status === "expired" ? "no" : ""}>
          ${L(task.status)}${task.completed_on ? " · " + fmtDate(task.completed_on) : ""}</td>
        <td>${task.kind === "staff" && task.status === "active" && html`<button class="ghost" disabled=${action.busy}
          onClick=${() => confirm(task)} data-testid="task-confirm">${L("confirm")}</button>`}</td>
      </tr>`)}</tbody></table>`}
    <h3>${L("badges")}</h3>
    <p data-testid="badge-list">${badges.length ? badges.map((b) => html`<span class="tag" data-testid="badge"
      title=${fmtDate(b.earned_on)}>🏅 ${localName(b)}</span>`) : L("none")}</p>
    <h3>${L("perks")}</h3>
    <ul>${perks.map((p) => html`<li data-testid="perk" data-unlocked=${String(p.unlocked)}>${localName(p)}${" · "}${p.unlocked ? html`<span class="ok">${L("unlocked")}</span>`
        : L("locked", { n: Math.max(p.badges_required - badges.length, 0) })}</li>`)}</ul>
  </div>`;
}
