// Engagement pages: exam task rules, perks and exam import; the monthly star board; the rewards
// catalogue. Admins change rules, perks and rewards; staff read them and import exams.
import { useEffect, useState } from "preact/hooks";
import { get, post, postCsv, put } from "../api.js";
import { catalogueEntries, catalogueLabel, checkinTypes, clinicToday, fmtDateTime, fmtNumber } from "../i18n.js";
import { html, isAdmin, labels, localName, useAction, useGet } from "./shared.js";

const L = labels({
  zh: {
    tasksTitle: "体检任务与徽章", rules: "任务规则", flag: "异常指标", tasks: "任务", noTasks: "无任务",
    high_bmi: "BMI 偏高", high_bp: "血压偏高", high_glucose: "血糖偏高", high_lipids: "血脂偏高", high_uric_acid: "尿酸偏高",
    checkin: "打卡完成", staff: "医护确认", kind: "完成方式", target: "目标", within: "期限(天)", badge: "徽章",
    taskKey: "任务编号", name: "名称", nameEn: "英文名称", checkinType: "打卡类型", minValue: "最低数值(仅步数)",
    badgeId: "徽章编号", badgeName: "徽章名称", addTask: "添加/替换任务", remove: "移除", saved: "已保存",
    steps: "步数", glucose: "血糖", task: "任务", daysN: "{n} 天", sessionsN: "{n} 次",
    perks: "权益", perk: "权益", badgesRequired: "所需徽章数", savePerks: "保存权益", perkId: "权益编号",
    importTitle: "导入体检结果", importHelp: "CSV 表头依次为：患者编号或手机号、体检日期、异常项（多个用 ; 分隔）、体检编号（可选），列名：",
    importFile: "选择 CSV 文件", importText: "或直接粘贴 CSV 内容",
    importBtn: "导入", imported: "新增体检 {exams} 条，重复 {duplicates} 条，分配任务 {tasks} 个",
    line: "行", code: "错误", message: "说明",
    boardTitle: "月度之星", month: "月份", rank: "名次", patient: "患者", score: "当月获得积分",
    boardNote: "只按行为（打卡、复诊、分享等获得的积分）排名，从不按血糖、体重、血压等临床数值排名；患者可选择不上榜。",
    empty: "暂无数据", rewardsTitle: "积分规则与兑换", earning: "积分规则", rule: "规则", perEvent: "每次积分",
    perDay: "每天最多", perWeek: "每周最多", perMonth: "每月最多", term: "积分有效期(月)", saveLimits: "保存上限",
    saveTerm: "保存有效期", termNote: "新有效期只影响此后获得的积分。", limits_out_of_order: "每天上限不能大于每周，每周不能大于每月",
    checkin_rule: "打卡", share_rule: "分享", revisit_on_time_rule: "按时复诊", referral_registered_rule: "推荐新患者", rewardId: "编号", cost: "所需积分", stock: "库存",
    perPatient: "每人限兑", unlimited: "不限", active: "上架", saveReward: "保存奖励", yes: "是", no: "否",
    clinical_threshold: "最低数值只能用于步数：任务奖励行为，不奖励临床数值",
    task_impossible: "期限短于目标，任务无法完成", duplicate_task_key: "任务编号重复", duplicate_perk: "权益编号重复",
    wrong_role: "只有管理员可以修改", invalid_csv: "CSV 缺少必要的列", unknown_flag: "未知的异常指标",
    invalid_input: "输入有误", patient_not_found: "找不到该患者", missing_patient: "缺少患者", invalid_date: "日期格式不对",
    deskTitle: "礼品领取", deskHelp: "患者在小程序里兑换礼品后会得到兑换码（8 位），输入或扫码后核对患者和礼品，再确认领取。",
    redemptionCode: "兑换码", lookUp: "查询", gift: "礼品", pointsUsed: "所用积分", redeemedAt: "兑换时间",
    fulfilledAt: "领取时间", fulfilledBy: "经办人", status: "状态", pending: "待领取", fulfilled: "已领取",
    fulfil: "确认领取", fulfilDone: "已确认领取", invalid_redemption_code: "没有这个兑换码（请核对 8 位兑换码）",
    redemption_fulfilled: "这份礼品已经领取过了",
    invalid_exam_id: "体检编号格式不对", too_many_rows: "超过单个文件的行数上限", invalid_encoding: "文件须为 UTF-8 编码",
    invalid_month: "不能查看将来的月份", forbidden: "没有权限", badgeNameEn: "徽章英文名称", addPerk: "添加一项",
    perkNameEn: "英文名称", adminsOnly: "只有管理员可以修改，当前账号只能查看。", editHint: "点击一行可载入到下方表单修改。",
    top: "显示前", newTask: "新任务", catalogue: "兑换目录",
    priorityDays: "专家号提前预约(天)", priorityDaysN: "提前 {n} 天", priorityNote:
      "“专家号优先预约”：持有该权益的患者最早可预约 90 天内的专家号，其他患者要晚这么多天才能预约同一个专家号（1–30 天，默认 7 天）。前台代约不受此限制。",
    invalid_perk: "权益设置有误：所需徽章数为 1–100，提前预约天数为 1–30 天且只能设在“专家号优先预约”上",
  },
  en: {
    tasksTitle: "Exam tasks & badges", rules: "Task rules", flag: "Abnormal flag", tasks: "Tasks", noTasks: "No tasks",
    high_bmi: "High BMI", high_bp: "High blood pressure", high_glucose: "High glucose", high_lipids: "High lipids",
    high_uric_acid: "High uric acid", checkin: "Check-ins", staff: "Staff-confirmed", kind: "Done by",
    target: "Target", within: "Within (days)", badge: "Badge", taskKey: "Task key", name: "Name", nameEn: "English name",
    checkinType: "Check-in type", minValue: "Minimum value (steps only)", badgeId: "Badge ID", badgeName: "Badge name",
    addTask: "Add / replace task", remove: "Remove", saved: "Saved", steps: "Steps", glucose: "Glucose", task: "Task",
    daysN: "{n} days", sessionsN: "{n} sessions", perks: "Perks", perk: "Perk", badgesRequired: "Badges required",
    savePerks: "Save perks", perkId: "Perk ID", importTitle: "Import exam results",
    importHelp: "CSV columns: patient ID or phone, exam date, flags (separated by ;), exam ID (optional), named:",
    importFile: "Choose a CSV file", importText: "or paste the CSV",
    importBtn: "Import", imported: "{exams} exams recorded, {duplicates} seen before, {tasks} tasks assigned",
    line: "Line", code: "Error", message: "Detail", boardTitle: "Star of the month", month: "Month", rank: "Rank",
    patient: "Patient", score: "Points earned this month",
    boardNote: "Ranked on behaviour only (points from check-ins, revisits, shares ...), never on glucose, weight or blood pressure; patients may opt out.",
    empty: "Nothing yet", rewardsTitle: "Points rules & rewards", earning: "Earning rules", rule: "Rule",
    perEvent: "Points each", perDay: "Max a day", perWeek: "Max a week", perMonth: "Max a month",
    term: "Points term (months)", saveLimits: "Save limits", saveTerm: "Save term",
    termNote: "A new term applies to points earned from now on.",
    limits_out_of_order: "A day's limit cannot exceed the week's, nor the week's the month's",
    checkin_rule: "Check-in", share_rule: "Share", revisit_on_time_rule: "On-time revisit", referral_registered_rule: "Referral", rewardId: "ID", cost: "Cost", stock: "Stock",
    perPatient: "Per patient", unlimited: "No limit", active: "Active", saveReward: "Save reward", yes: "Yes", no: "No",
    clinical_threshold: "A minimum value is for steps only: tasks reward behaviour, not clinical values",
    task_impossible: "The window is shorter than the target", duplicate_task_key: "Duplicate task key",
    duplicate_perk: "Duplicate perk ID", wrong_role: "Only admins may change this", invalid_csv: "The CSV lacks required columns",
    unknown_flag: "Unknown flag", invalid_input: "Invalid input", patient_not_found: "No such patient",
    deskTitle: "Gift hand-over", deskHelp: "A patient who redeems a gift in the mini-program gets an 8-character code: type or scan it, check the patient and the gift, then confirm the hand-over.",
    redemptionCode: "Redemption code", lookUp: "Look up", gift: "Gift", pointsUsed: "Points used", redeemedAt: "Redeemed",
    fulfilledAt: "Handed over", fulfilledBy: "By", status: "Status", pending: "To collect", fulfilled: "Collected",
    fulfil: "Confirm hand-over", fulfilDone: "Hand-over confirmed", invalid_redemption_code: "No redemption with this code (check its 8 characters)",
    redemption_fulfilled: "This gift was already handed over",
    missing_patient: "No patient", invalid_date: "Not a date",
    invalid_exam_id: "Malformed exam ID", too_many_rows: "Too many rows for one file", invalid_encoding: "The file must be UTF-8",
    invalid_month: "A future month has no board yet", forbidden: "Not allowed", badgeNameEn: "Badge English name",
    addPerk: "Add a perk", perkNameEn: "English name", adminsOnly: "Only admins may change this; this account can only read it.",
    editHint: "Click a row to load it into the form below.", top: "Show top", newTask: "New task",
    catalogue: "Rewards catalogue",
    priorityDays: "Expert slots early (days)", priorityDaysN: "{n} days early", priorityNote:
      "Priority booking of expert slots: holders may book expert slots up to 90 days ahead, everyone else this many days later (1–30 days, default 7). The desk may book any slot for a patient.",
    invalid_perk: "Invalid perk: badges required is 1–100; early days are 1–30 and only on the priority-booking perk",
  },
});

// a flag's label is the clinic's (its catalogue), this page's own words for a flag it does not list
export const flagLabel = (flag) => (catalogueEntries("exam_flags", true).some((e) => e.code === flag)
  ? catalogueLabel("exam_flags", flag) : L(flag));

function taskSummary(task) {
  const how = task.kind === "staff" ? L("sessionsN", { n: task.target })
    : `${catalogueLabel("checkin_types", task.checkin_type)}${task.min_value != null ? " ≥ " + fmtNumber(task.min_value) : ""} · ${L("daysN", { n: task.target })}`;
  return `${how} / ${L("daysN", { n: task.within_days })}`;
}

const blankTask = { flag: "high_bmi", task_key: "", name: "", name_en: "", kind: "checkin", checkin_type: "steps",
  min_value: "", target: 14, within_days: 21, badge_id: "", badge_name: "", badge_name_en: "" };

// The form for a task as the editor holds it (strings), from a task of the API.
const taskForm = (flag, task) => ({ ...blankTask, flag, task_key: task.task_key, name: task.name, name_en: task.name_en || "",
  kind: task.kind, checkin_type: task.checkin_type || "steps", min_value: task.min_value ?? "", target: task.target,
  within_days: task.within_days, badge_id: task.badge.badge_id, badge_name: task.badge.name,
  badge_name_en: task.badge.name_en || "" });

// Adds a task to a flag's rule, or replaces the task with the same key; the whole rule is sent.
function RuleEditor({ rules, initial, save, action }) {
  const [form, setForm] = useState(initial || { ...blankTask, flag: rules.length ? rules[0].flag : blankTask.flag });
  const set = (key) => (e) => setForm({ ...form, [key]: e.target.value });
  const submit = (event) => {
    event.preventDefault();
    const task = {
      task_key: form.task_key.trim(), name: form.name.trim(), name_en: form.name_en.trim() || null, kind: form.kind,
      target: Number(form.target), within_days: Number(form.within_days),
      badge: { badge_id: form.badge_id.trim(), name: form.badge_name.trim(), name_en: form.badge_name_en.trim() || null },
      ...(form.kind === "checkin" ? { checkin_type: form.checkin_type,
        min_value: form.min_value === "" ? null : Number(form.min_value) } : {}),
    };
    const current = (rules.find((r) => r.flag === form.flag) || { tasks: [] }).tasks;
    const replaced = current.some((x) => x.task_key === task.task_key);
    save(form.flag, replaced ? current.map((x) => (x.task_key === task.task_key ? task : x)) : [...current, task]);
  };
  return html`<form class="panel" onSubmit=${submit} data-testid="rule-form">
    <div class="form-row">
      <label>${L("flag")}<select value=${form.flag} onChange=${set("flag")} data-testid="rule-flag">
        ${rules.map((r) => html`<option value=${r.flag}>${L(r.flag)}</option>`)}</select></label>
      <label>${L("taskKey")}<input required pattern="[A-Za-z0-9_\\-]+" value=${form.task_key} onInput=${set("task_key")} data-testid="rule-task-key" /></label>
      <label>${L("name")}<input required maxlength="60" value=${form.name} onInput=${set("name")} data-testid="rule-name" /></label>
      <label>${L("nameEn")}<input maxlength="60" value=${form.name_en} onInput=${set("name_en")} data-testid="rule-name-en" /></label>
    </div>
    <div class="form-row">
      <label>${L("kind")}<select value=${form.kind} onChange=${set("kind")} data-testid="rule-kind">
        <option value="checkin">${L("checkin")}</option><option value="staff">${L("staff")}</option></select></label>
      ${form.kind === "checkin" && html`
        <label>${L("checkinType")}<select value=${form.checkin_type} onChange=${set("checkin_type")} data-testid="rule-type">
          ${checkinTypes(form.checkin_type).map((c) => html`<option value=${c}>${catalogueLabel("checkin_types", c)}</option>`)}</select></label>
        <label>${L("minValue")}<input type="number" min="0" value=${form.min_value} onInput=${set("min_value")} data-testid="rule-min" /></label>`}
      <label>${L("target")}<input type="number" min="1" required value=${form.target} onInput=${set("target")} data-testid="rule-target" /></label>
      <label>${L("within")}<input type="number" min="1" required value=${form.within_days} onInput=${set("within_days")} data-testid="rule-within" /></label>
      <label>${L("badgeId")}<input required pattern="[A-Za-z0-9_\\-]+" value=${form.badge_id} onInput=${set("badge_id")} data-testid="rule-badge-id" /></label>
      <label>${L("badgeName")}<input required maxlength="60" value=${form.badge_name} onInput=${set("badge_name")} data-testid="rule-badge-name" /></label>
      <label>${L("badgeNameEn")}<input maxlength="60" value=${form.badge_name_en} onInput=${set("badge_name_en")} /></label>
    </div>
    <button type="submit" disabled=${action.busy} data-testid="rule-save">${L("addTask")}</button>
    <button type="button" class="ghost" onClick=${() => setForm({ ...blankTask, flag: form.flag })}>${L("newTask")}</button>
  </form>`;
}

// `action` belongs to the page: the editor starts afresh from the saved perks, the message stays.
// The perk the booking side reads: only it carries the days its holders book expert slots early.
const PRIORITY_BOOKING = "priority-booking";
const isPriority = (r) => r.perk_id.trim() === PRIORITY_BOOKING;

function PerksEditor({ perks, action: state, run, onSaved }) {
  const [rows, setRows] = useState(perks.map((p) => ({ ...p, name_en: p.name_en || "", priority_days: p.priority_days ?? "" })));
  const change = (i, key) => (e) => setRows(rows.map((r, j) => (j === i ? { ...r, [key]: e.target.value } : r)));
  const submit = async (event) => {
    event.preventDefault();
    const body = { perks: rows.map((r) => ({ perk_id: r.perk_id.trim(), name: r.name.trim(), name_en: r.name_en.trim() || null,
      badges_required: Number(r.badges_required),
      // empty: the default (7 days); other perks carry none
      priority_days: isPriority(r) && r.priority_days !== "" ? Number(r.priority_days) : null })) };
    if (await run(() => put("/perks", body), L("saved"))) onSaved();
  };
  return html`<form class="panel" onSubmit=${submit} data-testid="perks-form">
    ${rows.map((r, i) => html`<div class="form-row" data-testid="perk-edit" data-id=${r.perk_id}>
      <label>${L("perkId")}<input required pattern="[A-Za-z0-9_\\-]+" value=${r.perk_id} onInput=${change(i, "perk_id")}
        data-testid="perk-id" /></label>
      <label>${L("name")}<input required maxlength="60" value=${r.name} onInput=${change(i, "name")} data-testid="perk-name" /></label>
      <label>${L("perkNameEn")}<input maxlength="60" value=${r.name_en} onInput=${change(i, "name_en")} /></label>
      <label>${L("badgesRequired")}<input type="number" min="1" max="100" required value=${r.badges_required}
        onInput=${change(i, "badges_required")} data-testid="perk-badges" /></label>
      ${isPriority(r) && html`<label>${L("priorityDays")}<input type="number" min="1" max="30" placeholder="7"
        value=${r.priority_days} onInput=${change(i, "priority_days")} data-testid="perk-priority-days" /></label>`}
      <button type="button" class="ghost" onClick=${() => setRows(rows.filter((_, j) => j !== i))}
        data-testid="perk-remove">${L("remove")}</button></div>`)}
    <div class="form-row">
      ${rows.length < 10 && html`<button type="button" class="ghost" data-testid="perk-add"
        onClick=${() => setRows([...rows, { perk_id: "", name: "", name_en: "", badges_required: 1, priority_days: "" }])}>${L("addPerk")}</button>`}
      <button type="submit" disabled=${state.busy} data-testid="perks-save">${L("savePerks")}</button>
    </div>
    ${state.error && html`<p class="error" data-testid="perks-error">${state.error}</p>`}
    ${state.done && html`<p class="ok" data-testid="perks-saved">${state.done}</p>`}
  </form>`;
}

function ExamImport() {
  const [text, setText] = useState("patient_id,taken_on,flags,exam_id\n");
  const [result, setResult] = useState(null);
  const [state, run] = useAction(L);
  const submit = async (event) => {
    event.preventDefault();
    setResult(await run(() => postCsv("/exams/import", text)));
  };
  const readFile = (e) => {
    const file = e.target.files[0];
    if (file) file.text().then(setText);
  };
  return html`<form class="panel" onSubmit=${submit} data-testid="exam-import">
    <p class="muted">${L("importHelp")} <code>patient_id, phone, taken_on, flags, exam_id</code></p>
    <label class="block">${L("importFile")}<input type="file" accept=".csv,text/csv" onChange=${readFile} /></label>
    <label class="block">${L("importText")}<textarea rows="6" style="width: 100%" value=${text}
      onInput=${(e) => setText(e.target.value)} data-testid="exam-csv"></textarea></label>
    <button type="submit" disabled=${state.busy} data-testid="exam-import-btn">${L("importBtn")}</button>
    ${state.error && html`<p class="error" data-testid="exam-import-error">${state.error}</p>`}
    ${result && html`<p class="ok" data-testid="exam-import-result">${L("imported", { exams: result.exams,
      duplicates: result.duplicates, tasks: result.tasks_assigned })}</p>
      ${result.errors.length > 0 && html`<table data-testid="exam-import-errors"><thead><tr><th>${L("line")}</th>
        <th>${L("code")}</th><th>${L("message")}</th></tr></thead>
        <tbody>${result.errors.map((e) => html`<tr data-testid="exam-import-error-row"><td>${e.line}</td>
          <td>${L(e.code)}</td><td>${e.message}</td></tr>`)}</tbody></table>`}`}
  </form>`;
}

function TasksPage() {
  const [reload, setReload] = useState(0);
  const [picked, setPicked] = useState(null);
  const state = useGet("/task-rules", reload);
  const [action, run] = useAction(L);
  const [perksAction, runPerks] = useAction(L);
  const admin = isAdmin();
  const save = async (flag, tasks) => {
    if (await run(() => put(`/task-rules/${encodeURIComponent(flag)}`, { tasks }), L("saved"))) setReload((n) => n + 1);
  };
  if (!state.data) return html`<h1>${L("tasksTitle")}</h1>${state.error && html`<p class="error" data-testid="error">${L.error(state.error)}</p>`}`;
  const { rules, perks } = state.data;
  return html`<div>
    <h1>${L("tasksTitle")}</h1>
    <h2>${L("rules")}</h2>
    <p class="muted">${admin ? L("editHint") : L("adminsOnly")}</p>
    <table data-testid="rules-table"><thead><tr><th>${L("flag")}</th><th>${L("tasks")}</th><th>${L("kind")}</th>
      <th>${L("target")}</th><th>${L("badge")}</th>${admin && html`<th></th>`}</tr></thead>
      <tbody>${rules.flatMap((r) => (r.tasks.length ? r.tasks : [null]).map((task, i) => html`<tr data-testid="rule-row"
          data-flag=${r.flag} data-task=${task ? task.task_key : ""} class=${admin && task ? "clickable" : ""}
          onClick=${() => admin && task && setPicked(taskForm(r.flag, task))}>
        <td>${i === 0 ? L(r.flag) : ""}</td>
        <td>${task ? localName(task) : html`<span class="muted">${L("noTasks")}</span>`}</td>
        <td>${task ? L(task.kind) : ""}</td><td>${task ? taskSummary(task) : ""}</td>
        <td>${task ? localName(task.badge) : ""}</td>
        ${admin && html`<td>${task && html`<button class="ghost" data-testid="rule-remove" disabled=${action.busy}
          onClick=${(e) => { e.stopPropagation(); save(r.flag, r.tasks.filter((x) => x.task_key !== task.task_key)); }}>
          ${L("remove")}</button>`}</td>`}
      </tr>`))}</tbody></table>
    ${action.error && html`<p class="error" data-testid="rule-error">${action.error}</p>`}
    ${action.done && html`<p class="ok" data-testid="rule-saved">${action.done}</p>`}
    ${admin && html`<${RuleEditor} key=${picked ? `${picked.flag}/${picked.task_key}` : "new"} initial=${picked}
      rules=${rules} save=${save} action=${action} />`}
    <h2>${L("perks")}</h2>
    <table data-testid="perks-table"><thead><tr><th>${L("perk")}</th><th>${L("badgesRequired")}</th>
      <th>${L("priorityDays")}</th></tr></thead>
      <tbody>${perks.map((p) => html`<tr data-testid="perk-row" data-id=${p.perk_id}><td>${localName(p)}</td>
        <td data-testid="perk-required">${p.badges_required}</td>
        <td data-testid="perk-priority">${p.priority_days ? L("priorityDaysN", { n: p.priority_days }) : "—"}</td></tr>`)}</tbody></table>
    ${perks.some((p) => p.priority_days) && html`<p class="muted" data-testid="perks-priority-note">${L("priorityNote")}</p>`}
    ${admin && html`<${PerksEditor} key=${"perks-" + reload} perks=${perks} action=${perksAction} run=${runPerks} onSaved=${() => setReload((n) => n + 1)} />`}
    <h2>${L("importTitle")}</h2>
    <${ExamImport} />
  </div>`;
}

// The month picker starts at the clinic's current month (the API refuses a later one).
function BoardPage() {
  const latest = clinicToday().slice(0, 7);
  const [month, setMonth] = useState(latest);
  const [limit, setLimit] = useState(20);
  const state = useGet(`/leaderboard?limit=${limit}&month=${encodeURIComponent(month)}`);
  return html`<div>
    <h1>${L("boardTitle")}</h1>
    <p class="muted">${L("boardNote")}</p>
    <div class="form-row">
      <label>${L("month")}<input type="month" max=${latest} value=${month}
        onChange=${(e) => e.target.value && setMonth(e.target.value)} data-testid="board-month" /></label>
      <label>${L("top")}<select value=${limit} onChange=${(e) => setLimit(Number(e.target.value))} data-testid="board-limit">
        ${[10, 20, 50].map((n) => html`<option value=${n}>${n}</option>`)}</select></label>
    </div>
    ${state.error && html`<p class="error" data-testid="board-error">${L.error(state.error)}</p>`}
    ${state.data && (state.data.items.length === 0 ? html`<p class="muted" data-testid="board-empty">${L("empty")}</p>` : html`
      <table data-testid="board-table" data-month=${state.data.month}><thead><tr><th>${L("rank")}</th><th>${L("patient")}</th>
        <th>${L("score")}</th></tr></thead>
        <tbody>${state.data.items.map((e) => html`<tr data-testid="board-row"><td>${e.rank}</td>
          <td data-testid="board-name">${e.name_masked}</td><td data-testid="board-score">${fmtNumber(e.score)}</td></tr>`)}</tbody></table>`)}
  </div>`;
}

const blankReward = { reward_id: "", name: "", name_en: "", cost: 100, stock: "", per_patient_limit: "", active: true };

function PointsSettings() {
  const [reload, setReload] = useState(0);
  const state = useGet("/clinic", reload);
  const [edits, setEdits] = useState({});
  const [term, setTerm] = useState("");
  const [action, run] = useAction(L);
  if (!state.data) return null;
  const { earning_rules: rules, earning_limits: limits, points_expiry_months: months } = state.data;
  const value = (rule, period) => (edits[rule] && period in edits[rule] ? edits[rule][period] : (limits[rule] || {})[period] ?? "");
  const edit = (rule, period) => (e) => setEdits({ ...edits, [rule]: { ...(limits[rule] || {}), ...(edits[rule] || {}), [period]: e.target.value } });
  const saveLimits = async (event) => {
    event.preventDefault();
    const body = { limits: Object.fromEntries(Object.entries(edits).map(([rule, periods]) => [rule,
      Object.fromEntries(Object.entries(periods).filter(([, v]) => v !== "" && v != null).map(([p, v]) => [p, Number(v)]))])) };
    if (await run(() => put("/clinic/earning-limits", body), L("saved"))) { setEdits({}); setReload((n) => n + 1); }
  };
  const saveTerm = async (event) => {
    event.preventDefault();
    if (await run(() => put("/clinic/points-expiry", { months: Number(term) }), L("saved"))) setReload((n) => n + 1);
  };
  const admin = isAdmin();
  return html`<div class="panel" data-testid="points-settings">
    <h2>${L("earning")}</h2>
    <form onSubmit=${saveLimits}>
      <table data-testid="limits-table"><thead><tr><th>${L("rule")}</th><th>${L("perEvent")}</th><th>${L("perDay")}</th>
        <th>${L("perWeek")}</th><th>${L("perMonth")}</th></tr></thead>
        <tbody>${Object.keys(rules).map((rule) => html`<tr data-testid="limit-row" data-rule=${rule}>
          <td>${L(rule + "_rule")}</td><td>${rules[rule]}</td>
          ${["day", "week", "month"].map((period) => html`<td>${admin
            ? html`<input type="number" min="1" style="width: 6em" value=${value(rule, period)} placeholder=${L("unlimited")}
                onInput=${edit(rule, period)} data-testid=${`limit-${rule}-${period}`} />`
            : html`<span data-testid=${`limit-${rule}-${period}`}>${value(rule, period) || L("unlimited")}</span>`}</td>`)}
        </tr>`)}</tbody></table>
      ${admin && html`<button type="submit" disabled=${action.busy} data-testid="limits-save">${L("saveLimits")}</button>`}
    </form>
    <form class="form-row" onSubmit=${saveTerm}>
      <label>${L("term")} <strong data-testid="points-term">${months}</strong>
        ${admin && html`<input type="number" min="1" max="120" required value=${term} onInput=${(e) => setTerm(e.target.value)}
          data-testid="term-input" />`}</label>
      ${admin && html`<button type="submit" disabled=${action.busy} data-testid="term-save">${L("saveTerm")}</button>`}
      <span class="muted">${L("termNote")}</span>
    </form>
    ${action.error && html`<p class="error" data-testid="settings-error">${action.error}</p>`}
    ${action.done && html`<p class="ok" data-testid="settings-saved">${action.done}</p>`}
  </div>`;
}

// The desk's side of a redemption: the patient shows the code (and its QR code) the mini-program
// gave; staff look it up, check the masked name and the gift, and confirm the hand-over once.
function RedemptionDesk({ initial }) {
  const [code, setCode] = useState(initial || "");
  const [found, setFound] = useState(null);
  const [lookup, look] = useAction(L);
  const [handOver, confirm] = useAction(L);
  const tz = useGet("/clinic").data?.tz;
  // the desk may type it loosely (spaces, a dash, lower case); the API takes the 8 characters
  const path = (typed = code) => `/redemptions/${encodeURIComponent(typed.replace(/[\s-]/g, "").toUpperCase())}`;
  const onLookUp = async (event, typed = code) => {
    if (event) event.preventDefault();
    setFound(null);
    const reply = await look(() => get(path(typed)));
    if (reply) setFound(reply.redemption);
  };
  // a code the patients page's search box recognised (#/rewards?code=...) is looked up at once
  useEffect(() => { if (initial) { setCode(initial); onLookUp(null, initial); } }, [initial]);
  const onFulfil = async () => {
    const reply = await confirm(() => post(`${path()}/fulfil`, null), L("fulfilDone"));
    if (reply) setFound(reply.redemption);
  };
  return html`<div class="panel" data-testid="redemption-desk">
    <p class="muted">${L("deskHelp")}</p>
    <form class="form-row" onSubmit=${onLookUp}>
      <label>${L("redemptionCode")}<input value=${code} onInput=${(e) => setCode(e.target.value)} placeholder="ABCD-EFGH"
        required autocomplete="off" maxlength="20" data-testid="redemption-code" /></label>
      <button type="submit" disabled=${lookup.busy} data-testid="redemption-lookup">${L("lookUp")}</button>
    </form>
    ${lookup.error && html`<p class="error" data-testid="redemption-error">${lookup.error}</p>`}
    ${found && html`<div data-testid="redemption-card">
      <dl class="profile">
        <dt>${L("redemptionCode")}</dt><dd class="mono" data-testid="redemption-card-code">${found.code}</dd>
        <dt>${L("gift")}</dt><dd data-testid="redemption-gift">${found.reward_name}</dd>
        <dt>${L("patient")}</dt><dd data-testid="redemption-patient">${found.patient_name_masked || "—"}</dd>
        <dt>${L("pointsUsed")}</dt><dd>${fmtNumber(found.cost)}</dd>
        <dt>${L("status")}</dt><dd data-testid="redemption-status" class=${found.status === "pending" ? "ok" : "no"}>${L(found.status)}</dd>
        <dt>${L("redeemedAt")}</dt><dd>${fmtDateTime(found.redeemed_at, tz)}</dd>
        ${found.fulfilled_at && html`<dt>${L("fulfilledAt")}</dt><dd data-testid="redemption-fulfilled-at">${fmtDateTime(found.fulfilled_at, tz)}</dd>
          <dt>${L("fulfilledBy")}</dt><dd>${found.fulfilled_by || "—"}</dd>`}
      </dl>
      ${handOver.done && html`<p class="ok" data-testid="redemption-result">${handOver.done}</p>`}
      ${handOver.error && html`<p class="error" data-testid="redemption-fulfil-error">${handOver.error}</p>`}
      <button disabled=${handOver.busy || found.status !== "pending"} onClick=${onFulfil} data-testid="redemption-fulfil">${L("fulfil")}</button>
    </div>`}
  </div>`;
}

function RewardsPage({ route }) {
  const [reload, setReload] = useState(0);
  const [form, setForm] = useState(blankReward);
  const state = useGet("/rewards", reload);
  const [action, run] = useAction(L);
  const set = (key) => (e) => setForm({ ...form, [key]: e.target.type === "checkbox" ? e.target.checked : e.target.value });
  const num = (v) => (v === "" || v == null ? null : Number(v));
  const submit = async (event) => {
    event.preventDefault();
    const body = { reward_id: form.reward_id.trim(), name: form.name.trim(), name_en: form.name_en.trim() || null, cost: Number(form.cost),
      stock: num(form.stock), per_patient_limit: num(form.per_patient_limit), active: form.active };
    if (await run(() => post("/rewards", body), L("saved"))) setReload((n) => n + 1);
  };
  const admin = isAdmin();
  return html`<div>
    <h1>${L("rewardsTitle")}</h1>
    <h2>${L("deskTitle")}</h2>
    <${RedemptionDesk} initial=${new URLSearchParams((route || "").split("?")[1] || "").get("code") || ""} />
    <${PointsSettings} />
    <h2>${L("catalogue")}</h2>
    <p class="muted">${admin ? L("editHint") : L("adminsOnly")}</p>
    ${state.error && html`<p class="error" data-testid="error">${L.error(state.error)}</p>`}
    ${state.data && html`<table data-testid="rewards-table"><thead><tr><th>${L("rewardId")}</th><th>${L("name")}</th>
      <th>${L("cost")}</th><th>${L("stock")}</th><th>${L("perPatient")}</th></tr></thead>
      <tbody>${state.data.items.map((r) => html`<tr data-testid="reward-row" data-id=${r.reward_id} class=${admin ? "clickable" : ""}
          onClick=${() => admin && setForm({ ...blankReward, ...r, name_en: r.name_en || "", stock: r.stock ?? "",
            per_patient_limit: r.per_patient_limit ?? "" })}>
        <td class="mono">${r.reward_id}</td><td>${localName(r)}</td><td>${fmtNumber(r.cost)}</td>
        <td data-testid="reward-stock">${r.stock == null ? L("unlimited") : fmtNumber(r.stock)}</td>
        <td data-testid="reward-limit">${r.per_patient_limit == null ? L("unlimited") : r.per_patient_limit}</td></tr>`)}</tbody></table>`}
    ${admin && html`<form class="panel" onSubmit=${submit} data-testid="reward-form">
      <div class="form-row">
        <label>${L("rewardId")}<input required pattern="[A-Za-z0-9_\\-]+" maxlength="64" value=${form.reward_id} onInput=${set("reward_id")} data-testid="reward-id" /></label>
        <label>${L("name")}<input required maxlength="60" value=${form.name} onInput=${set("name")} data-testid="reward-name" /></label>
        <label>${L("nameEn")}<input maxlength="60" value=${form.name_en} onInput=${set("name_en")} /></label>
        <label>${L("cost")}<input type="number" min="1" required value=${form.cost} onInput=${set("cost")} data-testid="reward-cost" /></label>
        <label>${L("stock")}<input type="number" min="0" value=${form.stock} onInput=${set("stock")} placeholder=${L("unlimited")} data-testid="reward-stock-input" /></label>
        <label>${L("perPatient")}<input type="number" min="1" value=${form.per_patient_limit} onInput=${set("per_patient_limit")} placeholder=${L("unlimited")} data-testid="reward-limit-input" /></label>
        <label>${L("active")}<input type="checkbox" checked=${form.active} onChange=${set("active")} /></label>
      </div>
      <button type="submit" disabled=${action.busy} data-testid="reward-save">${L("saveReward")}</button>
      ${action.error && html`<p class="error" data-testid="reward-error">${action.error}</p>`}
      ${action.done && html`<p class="ok" data-testid="reward-saved">${action.done}</p>`}
    </form>`}
  </div>`;
}

export const tasksPage = { key: "tasks", path: "/tasks", label: { zh: "体检任务", en: "Exam tasks" }, component: TasksPage };
export const boardPage = { key: "board", path: "/board", label: { zh: "月度之星", en: "Star of the month" }, component: BoardPage };
export const rewardsPage = { key: "rewards", path: "/rewards", label: { zh: "积分规则与兑换", en: "Points & rewards" }, component: RewardsPage };
