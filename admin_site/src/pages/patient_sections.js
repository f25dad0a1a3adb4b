// Sections of a patient's page beyond the core profile: points (adjust, reverse) and exam tasks,
// badges and perks (record an exam, confirm a staff session).
import { useState } from "preact/hooks";
import { post } from "../api.js";
import { fmtDate, fmtDateTime, fmtNumber, t } from "../i18n.js";
import { flagLabel } from "./engagement.js";
import { html, labels, localName, newKey, useAction, useGet } from "./shared.js";

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
  },
});

function PointsSection({ id }) {
  const [reload, setReload] = useState(0);
  const state = useGet(`/patients/${encodeURIComponent(id)}/points`, reload);
  const [action, run] = useAction(L);
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  const base = `/patients/${encodeURIComponent(id)}/points`;
  const adjust = async (event) => {
    event.preventDefault();
    const done = await run(() => post(`${base}/adjustments`, { points: Number(amount), reason },
      { "Idempotency-Key": newKey("adjust") }), L("adjusted"));
    if (done) { setAmount(""); setReload((n) => n + 1); }
  };
  const reverse = async (entry) => {
    const why = reason || L("reverse");
    if (await run(() => post(`${base}/reversals`, { entry_id: entry.entry_id, reason: why },
      { "Idempotency-Key": newKey("reverse") }), L("reversed"))) setReload((n) => n + 1);
  };
  if (!state.data) return null;
  const p = state.data;
  const reversedIds = new Set(p.entries.filter((e) => e.reason === "reversal").map((e) => e.entry_id.replace(/^reverse:/, "")));
  return html`<div class="panel" data-testid="points-section">
    <h2>${L("points")}</h2>
    <dl class="profile">
      <dt>${L("balance")}</dt><dd data-testid="points-balance">${fmtNumber(p.balance)}</dd>
      <dt>${L("earned")}</dt><dd>${fmtNumber(p.earned_total)}</dd>
      <dt>${L("tier")}</dt><dd data-testid="points-tier">${p.tier}</dd>
      <dt>${L("redeemed")}</dt><dd>${fmtNumber(p.redeemed_total)}</dd>
      <dt>${L("expiring")}</dt><dd>${p.expiring.length ? p.expiring.map((l) => html`<div>${L("expiresOn",
        { n: fmtNumber(l.points), date: fmtDate(l.expires_on) })}</div>`) : L("none")}</dd>
    </dl>
    <form class="form-row" onSubmit=${adjust}>
      <label>${L("amount")}<input type="number" required value=${amount} onInput=${(e) => setAmount(e.target.value)} data-testid="adjust-points" /></label>
      <label>${L("reason")}<input required value=${reason} onInput=${(e) => setReason(e.target.value)} data-testid="adjust-reason" /></label>
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
        <td>${e.reason !== "reversal" && e.reason !== "expiry" && !reversedIds.has(e.entry_id) && html`<button class="ghost"
          disabled=${action.busy} onClick=${() => reverse(e)} data-testid="reverse-entry">${L("reverse")}</button>`}</td>
      </tr>`)}</tbody></table>
  </div>`;
}

function ExamForm({ id, flags, onRecorded }) {
  const [day, setDay] = useState("");
  const [chosen, setChosen] = useState([]);
  const [action, run] = useAction(L);
  const toggle = (flag) => setChosen(chosen.includes(flag) ? chosen.filter((f) => f !== flag) : [...chosen, flag]);
  const submit = async (event) => {
    event.preventDefault();
    const result = await run(() => post(`/patients/${encodeURIComponent(id)}/exams`, { taken_on: day, flags: chosen },
      { "Idempotency-Key": newKey("exam") }));
    if (result) { onRecorded(result.tasks.length); setChosen([]); }
  };
  return html`<form onSubmit=${submit} data-testid="exam-form">
    <div class="form-row">
      <label>${L("takenOn")}<input type="date" required value=${day} onInput=${(e) => setDay(e.target.value)} data-testid="exam-date" /></label>
      ${flags.map((flag) => html`<label class="check"><input type="checkbox" checked=${chosen.includes(flag)}
        onChange=${() => toggle(flag)} data-testid=${"exam-flag-" + flag} />${flagLabel(flag)}</label>`)}
      <button type="submit" disabled=${action.busy} data-testid="exam-submit">${L("record")}</button>
    </div>
    ${action.error && html`<p class="error" data-testid="exam-error">${action.error}</p>`}
  </form>`;
}

function TasksSection({ id }) {
  const [reload, setReload] = useState(0);
  const [note, setNote] = useState(null);
  const state = useGet(`/patients/${encodeURIComponent(id)}/tasks`, reload);
  const rules = useGet("/task-rules");
  const [action, run] = useAction(L);
  const confirm = async (task) => {
    const done = await run(() => post(`/patients/${encodeURIComponent(id)}/tasks/${task.task_id}/confirm`, {},
      { "Idempotency-Key": newKey("confirm") }), L("confirmed"));
    if (done) setReload((n) => n + 1);
  };
  if (!state.data) return null;
  const { exams, tasks, badges, perks } = state.data;
  return html`<div class="panel" data-testid="tasks-section">
    <h2>${L("tasksTitle")}</h2>
    <h3>${L("recordExam")}</h3>
    ${rules.data && html`<${ExamForm} id=${id} flags=${rules.data.flags}
      onRecorded=${(n) => { setNote(L("recorded", { n })); setReload((r) => r + 1); }} />`}
    ${note && html`<p class="ok" data-testid="exam-recorded">${note}</p>`}
    <h3>${L("exams")}</h3>
    ${exams.length === 0 ? html`<p class="muted">${L("none")}</p>` : html`<ul data-testid="exam-list">${exams.map((e) => html`
      <li data-testid="exam-row">${fmtDate(e.taken_on)}: ${e.flags.length ? e.flags.map(flagLabel).join("、") : L("normal")}</li>`)}</ul>`}
    <h3>${L("tasks")}</h3>
    ${action.error && html`<p class="error" data-testid="task-error">${action.error}</p>`}
    ${tasks.length === 0 ? html`<p class="muted">${L("none")}</p>` : html`<table data-testid="task-table">
      <thead><tr><th>${L("tasks")}</th><th>${L("progress")}</th><th>${L("due")}</th><th>${L("status")}</th><th></th></tr></thead>
      <tbody>${tasks.map((task) => html`<tr data-testid="task-row" data-key=${task.task_key}>
        <td>${localName(task)}</td>
        <td><progress max=${task.target} value=${task.progress}></progress>
          <span data-testid="task-progress">${task.progress}/${task.target}</span></td>
        <td>${fmtDate(task.due_on)}</td><td data-testid="task-status">${L(task.status)}</td>
        <td>${task.kind === "staff" && task.status === "active" && html`<button class="ghost" disabled=${action.busy}
          onClick=${() => confirm(task)} data-testid="task-confirm">${L("confirm")}</button>`}</td>
      </tr>`)}</tbody></table>`}
    <h3>${L("badges")}</h3>
    <p data-testid="badge-list">${badges.length ? badges.map((b) => html`<span class="tag" data-testid="badge">🏅 ${localName(b)}</span>`) : L("none")}</p>
    <h3>${L("perks")}</h3>
    <ul>${perks.map((p) => html`<li data-testid="perk" data-unlocked=${String(p.unlocked)}>${localName(p)}:
      ${p.unlocked ? html`<span class="ok">${L("unlocked")}</span>`
        : L("locked", { n: p.badges_required - badges.length })}</li>`)}</ul>
  </div>`;
}

export const PATIENT_SECTIONS = [PointsSection, TasksSection];
