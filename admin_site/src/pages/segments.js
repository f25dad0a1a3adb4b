// Segments: the clinic's segments with member counts and build progress, members page by page, a
// CSV export, and for admins a rule builder (conditions combined with all / any).
import { useEffect, useState } from "preact/hooks";
import { del, post, put, session } from "../api.js";
import { catalogueEntries, catalogueLabel, fmtDate, fmtNumber, getLang, t } from "../i18n.js";
import { html, isAdmin, labels, localName, useAction, useGet } from "./shared.js";

const L = labels({
  zh: {
    ruleField: "条件项", ruleOp: "比较方式", ruleOp2: "第二个比较方式（可选）",
    title: "人群与画像", list: "人群列表", name: "名称", nameEn: "英文名称", rule: "规则", members: "人数", status: "状态",
    building: "计算中", ready: "已就绪", progress: "已处理 {done} / 约 {total}", timeRule: "随时间变化",
    view: "查看成员", export: "导出 CSV", create: "新建人群", edit: "修改规则", del: "删除", save: "保存",
    cancel: "取消", confirmDelete: "确定删除这个人群？", saved: "已保存，正在计算成员", none: "还没有人群",
    patient: "患者", joined: "加入日期", more: "下一页", noMembers: "没有成员", combine: "满足",
    all: "全部条件", any: "任一条件", addCondition: "添加条件", addGroup: "添加条件组", remove: "移除",
    values: "取值（逗号分隔）", days: "天数", field: "条件", id: "编号", contentPath: "内容路径 {n} 步",
    condition: "病种", department: "科室", persona: "人群标签", district: "区域", consent: "已同意用途",
    age: "年龄", days_since_visit: "距上次就诊天数", silent_days: "沉默天数", checkins: "近几天内的打卡天数",
    points_balance: "积分余额", points_earned: "累计积分", risk_score: "流失风险分（0–1）",
    in: "属于", not_in: "不属于", gt: "大于", gte: "至少", lt: "小于", lte: "至多",
    rule_too_deep: "条件组最多嵌套 3 层", rule_too_large: "条件太多", unknown_value: "有未知的取值",
    invalid_range: "范围为空", invalid_bounds: "条件不完整", checkin_window: "打卡天数范围为 1–60",
    anxious: "焦虑型", knowledge_seeking: "求知型", social: "社交型",
    segment_exists: "编号已存在", reserved_id: "这个编号不能用", segment_not_found: "没有这个人群",
    deleting: "删除中", empty_group: "条件组不能为空", unknown_rule_field: "未知的条件", invalid_input: "输入有误",
    unknown_field: "有多余的字段", wrong_role: "只有管理员可以修改", invalid_content_path: "内容路径有误",
    try_again: "人群正在更新，请稍后再试", idHint: "小写字母、数字和 -，留空自动生成",
    adminsOnly: "只有管理员可以修改，当前账号只能查看。", valuesHint: "病种、科室、人群标签填写名称，如 高血压、湿疹；多个用逗号或顿号分隔",
    silentTitle: "沉默患者的定义", silentDays: "沉默天数", daysUnit: "天", newDays: "新的天数",
    silentRule: "超过 {n} 天没有任何互动（就诊、打卡、分享、兑换、阅读消息；建档也算一次互动）的患者为沉默患者。",
    silentUse: "数据概览的沉默患者占比、沉默天数分布和下方“沉默”人群都按这个天数计算。",
    silentHint: "30–730 天。修改后沉默人群会重新计算成员，新进入的患者会收到该人群的唤醒消息；数据概览在下次统计（约15分钟内）后更新。",
    silentSaved: "已保存：沉默人群正在按 {n} 天重新计算", followsSetting: "跟随上方的沉默天数",
    rule_follows_setting: "这个人群的规则跟随诊所的沉默天数，请在上方修改", invalid_silent_days: "沉默天数须为 30–730 的整数",
  },
  en: {
    ruleField: "Field", ruleOp: "Comparison", ruleOp2: "Second comparison (optional)",
    title: "Segments & personas", list: "Segments", name: "Name", nameEn: "English name", rule: "Rule", members: "Members",
    status: "Status", building: "Building", ready: "Ready", progress: "{done} of about {total} processed",
    timeRule: "changes with time", view: "Members", export: "Export CSV", create: "New segment",
    edit: "Edit rule", del: "Delete", save: "Save", cancel: "Cancel", confirmDelete: "Delete this segment?",
    saved: "Saved; members are being computed", none: "No segments yet", patient: "Patient", joined: "Joined",
    more: "Next page", noMembers: "No members", combine: "Match", all: "all conditions", any: "any condition",
    addCondition: "Add condition", addGroup: "Add group", remove: "Remove", values: "Values (comma separated)",
    days: "Days", field: "Condition", id: "ID", contentPath: "content path, {n} steps",
    condition: "Condition", department: "Department", persona: "Persona tag", district: "District",
    consent: "Consent granted", age: "Age", days_since_visit: "Days since last visit", silent_days: "Days silent",
    checkins: "Check-in days in the last N", points_balance: "Points balance", points_earned: "Points earned",
    risk_score: "Risk score (0–1)", in: "is one of", not_in: "is none of", gt: "more than", gte: "at least",
    lt: "less than", lte: "at most", rule_too_deep: "Groups nest at most 3 deep", rule_too_large: "Too many conditions",
    unknown_value: "Unknown value", invalid_range: "Empty range", invalid_bounds: "Incomplete condition",
    checkin_window: "Check-in days: 1 to 60", segment_exists: "This ID is taken", reserved_id: "This ID is reserved",
    segment_not_found: "No such segment", deleting: "Deleting", empty_group: "A group needs a condition",
    unknown_rule_field: "Unknown condition", invalid_input: "Invalid input", unknown_field: "Unexpected field",
    wrong_role: "Only admins may change this", invalid_content_path: "The content path is invalid",
    try_again: "The segment is being updated; try again shortly", idHint: "lower-case letters, digits and -; empty makes one",
    adminsOnly: "Only admins may change this; this account can only read it.",
    valuesHint: "Conditions, departments and personas by their names, e.g. Hypertension, Eczema; separate with commas",
    silentTitle: "What counts as silent", silentDays: "Silent days", daysUnit: "days", newDays: "New number of days",
    silentRule: "A patient with no interaction of any kind (visit, check-in, share, redemption, message read; registering counts too) for more than {n} days is silent.",
    silentUse: "The dashboard's silent share and silence chart and the silent segment below all use these days.",
    silentHint: "30 to 730 days. After a change the silent segment recomputes its members, and patients who join it get its reactivation messages; the dashboard follows after the next refresh (within about 15 minutes).",
    silentSaved: "Saved: the silent segment is being recomputed for {n} days", followsSetting: "follows the silent days above",
    rule_follows_setting: "This segment's rule follows the clinic's silent days; change them above",
    invalid_silent_days: "Silent days: a whole number from 30 to 730",
  },
});

const SET_FIELDS = ["condition", "department", "persona", "district", "consent"];
const NUMBER_FIELDS = ["age", "days_since_visit", "silent_days", "checkins", "points_balance", "points_earned",
  "risk_score"];
const BOUNDS = ["gt", "gte", "lt", "lte"];
const apiBase = () => (window.REVISIT_CONFIG && window.REVISIT_CONFIG.apiBase) || "http://127.0.0.1:8000";

async function authorised(method, path) {
  const current = session();
  const reply = await fetch(apiBase() + path, { method, headers: { Authorization: `Bearer ${current && current.idToken}` } });
  if (!reply.ok) {
    const data = await reply.json().catch(() => ({}));
    throw Object.assign(new Error(data.message || String(reply.status)), { code: data.code, status: reply.status });
  }
  return reply;
}

async function downloadCsv(segment) {
  const reply = await authorised("GET", `/segments/${encodeURIComponent(segment.segment_id)}/export`);
  const url = URL.createObjectURL(await reply.blob());
  const link = Object.assign(document.createElement("a"), { href: url, download: `segment-${segment.segment_id}.csv` });
  document.body.appendChild(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}

function ruleText(rule) {
  if (rule.all || rule.any) {
    const kind = rule.all ? "all" : "any";
    const joiner = kind === "all" ? (getLang() === "en" ? " and " : " 且 ") : (getLang() === "en" ? " or " : " 或 ");
    return "(" + rule[kind].map(ruleText).join(joiner) + ")";
  }
  const name = L(rule.field) + (rule.days ? `[${rule.days}]` : "");
  const value = (v) => (CATALOGUE_FIELDS[rule.field] ? catalogueLabel(CATALOGUE_FIELDS[rule.field], v)
    : rule.field === "consent" ? t(v) : v);
  if (rule.in || rule.not_in) return `${name} ${L(rule.in ? "in" : "not_in")} ${(rule.in || rule.not_in).map(value).join("、")}`;
  return name + " " + BOUNDS.filter((b) => rule[b] !== undefined).map((b) => `${L(b)} ${rule[b]}`).join(", ");
}

const blankLeaf = () => ({ field: "silent_days", op: "gt", value: "180", op2: "", value2: "", days: "7" });

// Conditions, departments and personas are the clinic's own: the builder shows and takes their labels
// (typing 高血压 works); the API stores the codes the labels stand for.
const CATALOGUE_FIELDS = { condition: "conditions", department: "departments", persona: "personas" };

// The builder edits a tree of {kind: "all"|"any", items: [...]} groups and flat leaves.
function toTree(rule) {
  if (rule.all || rule.any) return { kind: rule.all ? "all" : "any", items: (rule.all || rule.any).map(toTree) };
  if (rule.in || rule.not_in) {
    const section = CATALOGUE_FIELDS[rule.field];
    const shown = (rule.in || rule.not_in).map((v) => (section ? catalogueLabel(section, v) : v));
    return { field: rule.field, op: rule.in ? "in" : "not_in", value: shown.join("、") };
  }
  const bounds = BOUNDS.filter((b) => rule[b] !== undefined);
  return { field: rule.field, op: bounds[0], value: String(rule[bounds[0]]), op2: bounds[1] || "",
    value2: bounds[1] ? String(rule[bounds[1]]) : "", days: String(rule.days || 7) };
}

function fromTree(node) {
  if (node.kind) return { [node.kind]: node.items.map(fromTree) };
  if (SET_FIELDS.includes(node.field)) {
    return { field: node.field, [node.op === "not_in" ? "not_in" : "in"]: node.value.split(/[,，、]/).map((v) => v.trim()).filter(Boolean) };
  }
  const leaf = { field: node.field, [node.op]: Number(node.value) };
  if (node.op2 && node.value2 !== "") leaf[node.op2] = Number(node.value2);
  if (node.field === "checkins") leaf.days = Number(node.days);
  return leaf;
}

function Leaf({ node, onChange, onRemove }) {
  const set = (key) => (e) => {
    const next = { ...node, [key]: e.target.value };
    if (key === "field") next.op = SET_FIELDS.includes(next.field) ? "in" : "gte";
    onChange(next);
  };
  const isSet = SET_FIELDS.includes(node.field);
  return html`<div class="form-row" data-testid="seg-rule-leaf">
    <select value=${node.field} onChange=${set("field")} aria-label=${L("ruleField")} data-testid="seg-rule-field">
      ${[...SET_FIELDS, ...NUMBER_FIELDS].map((f) => html`<option value=${f}>${L(f)}</option>`)}</select>
    ${node.field === "checkins" && html`<label>${L("days")}<input type="number" min="1" max="60" value=${node.days} onInput=${set("days")} /></label>`}
    <select value=${node.op} onChange=${set("op")} aria-label=${L("ruleOp")} data-testid="seg-rule-op">
      ${(isSet ? ["in", "not_in"] : BOUNDS).map((o) => html`<option value=${o}>${L(o)}</option>`)}</select>
    <input value=${node.value} onInput=${set("value")} placeholder=${isSet ? L("values") : ""}
      aria-label=${isSet ? L("values") : L(node.op)} list=${CATALOGUE_FIELDS[node.field] ? `seg-options-${node.field}` : undefined}
      title=${isSet ? L("valuesHint") : ""} data-testid="seg-rule-value" />
    ${CATALOGUE_FIELDS[node.field] && html`<datalist id=${`seg-options-${node.field}`}>
      ${catalogueEntries(CATALOGUE_FIELDS[node.field]).map((e) => html`<option value=${catalogueLabel(CATALOGUE_FIELDS[node.field], e.code)} />`)}
    </datalist>`}
    ${CATALOGUE_FIELDS[node.field] && html`<span class="muted" data-testid="seg-rule-options">${
      catalogueEntries(CATALOGUE_FIELDS[node.field]).map((e) => catalogueLabel(CATALOGUE_FIELDS[node.field], e.code)).join("、")}</span>`}
    ${!isSet && html`<select value=${node.op2 || ""} onChange=${set("op2")} aria-label=${L("ruleOp2")}><option value="">—</option>
      ${BOUNDS.map((o) => html`<option value=${o}>${L(o)}</option>`)}</select>
      ${node.op2 && html`<input value=${node.value2 || ""} onInput=${set("value2")} aria-label=${L(node.op2)} />`}`}
    ${onRemove && html`<button type="button" class="ghost" onClick=${onRemove}>${L("remove")}</button>`}
  </div>`;
}

function Group({ node, depth, onChange, onRemove }) {
  const update = (i) => (child) => onChange({ ...node, items: node.items.map((c, j) => (j === i ? child : c)) });
  const drop = (i) => () => onChange({ ...node, items: node.items.filter((_, j) => j !== i) });
  return html`<div class="panel" style="margin-left: ${depth * 12}px" data-testid="seg-rule-group">
    <div class="form-row">
      <span>${L("combine")}</span>
      <select value=${node.kind} onChange=${(e) => onChange({ ...node, kind: e.target.value })} aria-label=${L("combine")}
        data-testid="seg-rule-kind">
        <option value="all">${L("all")}</option><option value="any">${L("any")}</option></select>
      ${onRemove && html`<button type="button" class="ghost" onClick=${onRemove}>${L("remove")}</button>`}
    </div>
    ${node.items.map((child, i) => (child.kind
      ? html`<${Group} node=${child} depth=${depth + 1} onChange=${update(i)} onRemove=${drop(i)} />`
      : html`<${Leaf} node=${child} onChange=${update(i)} onRemove=${node.items.length > 1 ? drop(i) : null} />`))}
    <div class="form-row">
      <button type="button" class="ghost" onClick=${() => onChange({ ...node, items: [...node.items, blankLeaf()] })}
        data-testid="seg-rule-add">${L("addCondition")}</button>
      ${depth < 2 && html`<button type="button" class="ghost"
        onClick=${() => onChange({ ...node, items: [...node.items, { kind: "any", items: [blankLeaf()] }] })}>${L("addGroup")}</button>`}
    </div>
  </div>`;
}

function SegmentForm({ initial, onSaved, onCancel }) {
  const editing = !!initial;
  const [f, setF] = useState({
    segment_id: initial ? initial.segment_id : "", name: initial ? initial.name : "",
    name_en: (initial && initial.name_en) || "",
    tree: initial ? (initial.rule.all || initial.rule.any ? toTree(initial.rule) : { kind: "all", items: [toTree(initial.rule)] })
      : { kind: "all", items: [blankLeaf()] },
  });
  const [state, run] = useAction(L);
  const submit = async (event) => {
    event.preventDefault();
    const body = { name: f.name, ...(f.name_en ? { name_en: f.name_en } : {}), rule: fromTree(f.tree),
      ...(initial && initial.content_path ? { content_path: initial.content_path } : {}),
      ...(initial && initial.description ? { description: initial.description } : {}) };
    const reply = await run(() => (editing
      ? put(`/segments/${encodeURIComponent(initial.segment_id)}`, body)
      : post("/segments", { ...body, ...(f.segment_id ? { segment_id: f.segment_id } : {}) })));
    if (reply) onSaved(reply.segment);
  };
  return html`<form class="panel" onSubmit=${submit} data-testid="seg-form">
    <h2>${editing ? L("edit") : L("create")}</h2>
    <div class="form-row">
      <label>${L("id")}<input value=${f.segment_id} disabled=${editing} pattern="[a-z0-9][a-z0-9\\-]+" placeholder=${L("idHint")}
        onInput=${(e) => setF({ ...f, segment_id: e.target.value })} data-testid="seg-id" /></label>
      <label>${L("name")}<input value=${f.name} required maxlength="40"
        onInput=${(e) => setF({ ...f, name: e.target.value })} data-testid="seg-name" /></label>
      <label>${L("nameEn")}<input value=${f.name_en} maxlength="60"
        onInput=${(e) => setF({ ...f, name_en: e.target.value })} /></label>
    </div>
    <${Group} node=${f.tree} depth=${0} onChange=${(tree) => setF({ ...f, tree })} />
    ${state.error && html`<p class="error" data-testid="seg-error">${state.error}</p>`}
    <div class="form-row">
      <button type="submit" disabled=${state.busy} data-testid="seg-save">${L("save")}</button>
      ${onCancel && html`<button type="button" class="ghost" onClick=${onCancel}>${L("cancel")}</button>`}
    </div>
  </form>`;
}

function Members({ segment }) {
  const [pages, setPages] = useState([null]);
  const cursor = pages[pages.length - 1];
  const path = `/segments/${encodeURIComponent(segment.segment_id)}/members?limit=20` + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : "");
  const state = useGet(path);
  if (state.error) return html`<p class="error">${L.error(state.error)}</p>`;
  if (!state.data) return html`<p class="muted">${t("loading")}</p>`;
  return html`<div data-testid="seg-members">
    ${state.data.items.length ? html`<table><thead><tr><th>${L("patient")}</th><th>${L("joined")}</th></tr></thead>
      <tbody>${state.data.items.map((m) => html`<tr data-testid="seg-member-row">
        <td><a href=${"#/patients/" + m.patient_id}>${m.name_masked}</a></td><td>${fmtDate(m.joined_on)}</td></tr>`)}</tbody></table>`
      : html`<p class="muted">${L("noMembers")}</p>`}
    ${state.data.next_cursor && html`<button class="ghost" onClick=${() => setPages([...pages, state.data.next_cursor])}
      data-testid="seg-members-more">${L("more")}</button>`}
  </div>`;
}

// The clinic's one definition of silence: the dashboard and the default silent segment read it.
function SilentSetting({ onSaved }) {
  const [reload, setReload] = useState(0);
  const state = useGet("/clinic", reload);
  const [days, setDays] = useState("");
  const [savedDays, setSavedDays] = useState(null);
  const [action, run] = useAction(L);
  if (!state.data) return null;
  const current = state.data.silent_days;
  const save = async (event) => {
    event.preventDefault();
    const reply = await run(() => put("/clinic/silent-days", { days: Number(days) }));
    if (reply) { setDays(""); setSavedDays(reply.silent_days); setReload((n) => n + 1); onSaved(reply.silent_days); }
  };
  return html`<form class="panel" onSubmit=${save} data-testid="silent-setting">
    <h2>${L("silentTitle")}</h2>
    <p>${L("silentRule", { n: fmtNumber(current) })} ${L("silentUse")}</p>
    <div class="form-row">
      <span>${L("silentDays")}：<strong data-testid="silent-days">${fmtNumber(current)}</strong> ${L("daysUnit")}</span>
      ${isAdmin() && html`<input type="number" min="30" max="730" step="1" required value=${days} placeholder=${L("newDays")}
        aria-label=${L("newDays")} onInput=${(e) => setDays(e.target.value)} data-testid="silent-days-input" />`}
      ${isAdmin() && html`<button type="submit" disabled=${action.busy} data-testid="silent-days-save">${L("save")}</button>`}
    </div>
    <p class="muted">${L("silentHint")}</p>
    ${action.error && html`<p class="error" data-testid="silent-days-error">${action.error}</p>`}
    ${action.done && html`<p class="ok" data-testid="silent-days-saved">${L("silentSaved", { n: fmtNumber(savedDays) })}</p>`}
  </form>`;
}

function SegmentsPage() {
  const [reload, setReload] = useState(0);
  const [open, setOpen] = useState(null);
  const [editing, setEditing] = useState(null);
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState(null);
  const state = useGet("/segments", reload);
  const admin = isAdmin();
  const remove = async (segment) => {
    if (!window.confirm(L("confirmDelete"))) return;
    try {
      await del(`/segments/${encodeURIComponent(segment.segment_id)}`);
      setOpen(null);
      setReload((n) => n + 1);
    } catch (err) {
      setError(L.error(err));
    }
  };
  const onSaved = () => { setSaved(true); setEditing(null); setReload((n) => n + 1); };
  const items = state.data ? state.data.items : [];
  // While a segment builds (or is being deleted) its count moves: read the list again every 10 s.
  const moving = items.some((s) => s.status !== "ready");
  useEffect(() => {
    if (!moving) return undefined;
    const timer = setTimeout(() => setReload((n) => n + 1), 10000);
    return () => clearTimeout(timer);
  }, [moving, reload, state.data]);
  return html`<div>
    <h1>${L("title")}</h1>
    ${state.error && html`<p class="error" data-testid="error">${L.error(state.error)}</p>`}
    ${error && html`<p class="error" data-testid="seg-row-error">${error}</p>`}
    ${!admin && html`<p class="muted">${L("adminsOnly")}</p>`}
    <${SilentSetting} onSaved=${() => { setEditing(null); setReload((n) => n + 1); }} />
    ${state.data && !items.length && html`<p class="muted">${L("none")}</p>`}
    ${items.length > 0 && html`<table data-testid="seg-table">
      <thead><tr><th>${L("name")}</th><th>${L("rule")}</th><th class="nowrap">${L("members")}</th><th class="nowrap">${L("status")}</th><th></th></tr></thead>
      <tbody>${items.map((s) => html`<tr data-testid="seg-row" data-id=${s.segment_id} data-status=${s.status}>
        <td>${localName(s)}${s.content_path && html` <span class="tag">${L("contentPath", { n: s.content_path.steps.length })}</span>`}</td>
        <td><code>${ruleText(s.rule)}</code>${s.time_relative && html` <span class="muted">${L("timeRule")}</span>`}
          ${s.follows_setting && html`<br /><span class="muted" data-testid="seg-follows-setting">${L("followsSetting")}</span>`}</td>
        <td data-testid="seg-members-count">${s.members === null ? "—" : fmtNumber(s.members)}</td>
        <td class=${"nowrap " + (s.status === "ready" ? "ok" : "muted")}>${L(s.status)}
          ${s.status === "building" && html`<br /><span class="muted" data-testid="seg-progress">${L("progress", {
            done: fmtNumber(s.build.processed), total: s.build.total_estimate === null ? "?" : fmtNumber(s.build.total_estimate) })}</span>`}</td>
        <td class="actions">
          <button class="ghost small" onClick=${() => setOpen(open === s.segment_id ? null : s.segment_id)} data-testid="seg-view">${L("view")}</button>
          <button class="ghost small" onClick=${() => downloadCsv(s).catch((err) => setError(L.error(err)))} data-testid="seg-export">${L("export")}</button>
          ${admin && html`${!s.follows_setting && html`<button class="ghost small" onClick=${() => { setSaved(false); setEditing(s); }}
              data-testid="seg-edit">${L("edit")}</button>`}
            <button class="ghost small" onClick=${() => remove(s)} data-testid="seg-delete">${L("del")}</button>`}
        </td></tr>`)}</tbody></table>`}
    ${open && html`<${Members} key=${open} segment=${items.find((s) => s.segment_id === open) || { segment_id: open }} />`}
    ${admin && html`<div style="margin-top: 16px">
      ${saved && html`<p class="ok" data-testid="seg-saved">${L("saved")}</p>`}
      <${SegmentForm} key=${editing ? "edit-" + editing.segment_id : "new-" + reload} initial=${editing}
        onSaved=${onSaved} onCancel=${editing ? () => setEditing(null) : null} />
    </div>`}
  </div>`;
}

export const page = {
  key: "groups",
  path: "/groups",
  label: { zh: "人群与画像", en: "Segments & personas" },
  component: SegmentsPage,
};

export default page;
