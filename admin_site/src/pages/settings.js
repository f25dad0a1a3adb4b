// 诊所设置: the clinic's catalogue (conditions, departments, check-in types, exam flags, personas),
// its earning amounts and limits, its message templates and who gets the follow-up plans nobody
// starts by hand. Admins edit; other staff read.
import { useState } from "preact/hooks";
import { put } from "../api.js";
import { fmtNumber, setClinicCatalogue } from "../i18n.js";
import { html, isAdmin, labels, useAction, useGet } from "./shared.js";
import { TemplatesSection } from "./settings_templates.js";
import { FollowupSettings } from "./settings_followup.js";

const L = labels({
  zh: {
    title: "诊所设置", conditions: "病种", departments: "科室", checkin_types: "打卡类型", exam_flags: "体检异常项",
    personas: "人群画像", earning: "积分规则", templates: "消息模板", followups: "随访",
    code: "代码", label: "中文名称", labelEn: "英文名称", active: "启用", unit: "单位", low: "最低", high: "最高",
    places: "小数位", input: "录入方式", low2: "舒张压最低", high2: "舒张压最高", number: "数值",
    blood_pressure: "血压（收缩压/舒张压）", add: "添加", save: "保存", saved: "已保存", inactive: "已停用",
    codeHint: "小写字母、数字和 _，以字母开头，保存后不能修改", adminsOnly: "只有管理员可以修改，当前账号只能查看。",
    catalogueNote: "已在档案中使用的条目不能删除，只能停用：停用后不再供新档案选择，旧档案照常显示。",
    rule: "规则", amount: "每次积分", perDay: "每天上限", perWeek: "每周上限", perMonth: "每月上限", unlimited: "不限",
    revisit_on_time: "按时复诊", share: "分享", referral_registered: "推荐新患者", checkin: "打卡",
    saveAmounts: "保存积分", saveLimits: "保存上限", limitsNote: "留空表示不限；每天上限不能超过每周，每周不能超过每月。",
    invalid_code: "代码格式不对", duplicate_code: "代码重复", duplicate_label: "名称重复", invalid_label: "名称为 1–20 个字",
    invalid_range: "最低值须小于最高值", invalid_catalogue: "填写有误", catalogue_built_in: "内置打卡类型的单位、录入方式和小数位不能修改",
    catalogue_entry_removed: "已使用的条目不能删除，请停用", try_again: "设置刚被他人修改，请刷新后再试",
    limits_out_of_order: "每天上限不能超过每周，每周不能超过每月", invalid_input: "输入有误", wrong_role: "只有管理员可以修改",
  },
  en: {
    title: "Clinic settings", conditions: "Conditions", departments: "Departments", checkin_types: "Check-in types",
    exam_flags: "Exam flags", personas: "Personas", earning: "Earning rules", templates: "Message templates",
    followups: "Follow-ups",
    code: "Code", label: "Chinese name", labelEn: "English name", active: "Active", unit: "Unit", low: "Lowest",
    high: "Highest", places: "Decimals", input: "Input", low2: "Diastolic lowest", high2: "Diastolic highest",
    number: "Number", blood_pressure: "Blood pressure (systolic/diastolic)", add: "Add", save: "Save", saved: "Saved",
    inactive: "Inactive", codeHint: "lower-case letters, digits and _, starting with a letter; fixed once saved",
    adminsOnly: "Only admins may change this; this account can only read it.",
    catalogueNote: "Entries used by records cannot be removed, only deactivated: new records no longer offer them, old records still show them.",
    rule: "Rule", amount: "Points each time", perDay: "Per day", perWeek: "Per week", perMonth: "Per month",
    unlimited: "No limit", revisit_on_time: "On-time revisit", share: "Share", referral_registered: "Referral",
    checkin: "Check-in", saveAmounts: "Save points", saveLimits: "Save limits",
    limitsNote: "Empty means no limit; a day's limit cannot exceed the week's, nor the week's the month's.",
    invalid_code: "Invalid code", duplicate_code: "Code used twice", duplicate_label: "Name used twice",
    invalid_label: "A name is 1-20 characters", invalid_range: "The lowest must be below the highest",
    invalid_catalogue: "Invalid entry", catalogue_built_in: "A built-in check-in type keeps its unit, input and decimals",
    catalogue_entry_removed: "An entry in use cannot be removed; deactivate it", try_again: "Someone changed the settings; reload and try again",
    limits_out_of_order: "A day's limit cannot exceed the week's, nor the week's the month's", invalid_input: "Invalid input",
    wrong_role: "Only admins may change this",
  },
});

const SECTIONS = ["conditions", "departments", "checkin_types", "exam_flags", "personas"];
const TABS = [...SECTIONS, "earning", "templates", "followups"];
const NUMBER_KEYS = ["low", "high", "places", "low2", "high2"];

const blankEntry = (section) => (section === "checkin_types"
  ? { code: "", label: "", label_en: "", active: true, unit: "", low: 0, high: 100, places: 0, input: "number" }
  : { code: "", label: "", label_en: "", active: true });

function SectionEditor({ section, catalogue, onSaved }) {
  const [rows, setRows] = useState(catalogue[section].map((r) => ({ ...r, saved: true })));
  const [action, run] = useAction(L);
  const admin = isAdmin();
  const isType = section === "checkin_types";
  const set = (i, key) => (e) => {
    const raw = e.target.type === "checkbox" ? e.target.checked : e.target.value;
    const value = NUMBER_KEYS.includes(key) && raw !== "" ? Number(raw) : raw;
    setRows(rows.map((r, j) => (j === i ? { ...r, [key]: value } : r)));
  };
  const save = async (event) => {
    event.preventDefault();
    const entries = rows.map(({ saved, ...row }) => {
      const clean = Object.fromEntries(Object.entries(row).filter(([, v]) => v !== "" && v != null));
      if (clean.input !== "blood_pressure") { delete clean.low2; delete clean.high2; }
      return clean;
    });
    const reply = await run(() => put(`/clinic/catalogue/${section}`, { entries }), L("saved"));
    if (reply) {
      setRows(reply[section].map((r) => ({ ...r, saved: true })));
      onSaved(reply);
    }
  };
  const field = (row, i, key, attrs = {}) => html`<input value=${row[key] ?? ""} disabled=${!admin}
    onInput=${set(i, key)} aria-label=${L(key === "label_en" ? "labelEn" : key)} data-testid=${`cat-${key}-${i}`} ...${attrs} />`;
  return html`<form onSubmit=${save} data-testid=${`cat-${section}`}>
    <p class="muted">${L("catalogueNote")}</p>
    <table><thead><tr><th>${L("code")}</th><th>${L("label")}</th><th>${L("labelEn")}</th>
      ${isType && html`<th>${L("input")}</th><th>${L("unit")}</th><th>${L("low")}</th><th>${L("high")}</th>
        <th>${L("places")}</th><th>${L("low2")}</th><th>${L("high2")}</th>`}
      <th>${L("active")}</th></tr></thead>
      <tbody>${rows.map((row, i) => html`<tr data-testid="cat-row" data-code=${row.code} class=${row.active ? "" : "muted"}>
        <td>${row.saved ? html`<code>${row.code}</code>`
          : field(row, i, "code", { required: true, pattern: "[a-z][a-z0-9_]+", title: L("codeHint"), size: 12 })}</td>
        <td>${field(row, i, "label", { required: true, maxlength: 20, size: 8 })}</td>
        <td>${field(row, i, "label_en", { required: true, maxlength: 20, size: 12 })}</td>
        ${isType && html`<td><select value=${row.input} disabled=${!admin || row.saved} onChange=${set(i, "input")}
            aria-label=${L("input")} data-testid=${`cat-input-${i}`}>
            <option value="number">${L("number")}</option><option value="blood_pressure">${L("blood_pressure")}</option></select></td>
          <td>${field(row, i, "unit", { required: true, maxlength: 12, size: 6 })}</td>
          ${["low", "high"].map((k) => html`<td>${field(row, i, k, { type: "number", step: "any", min: 0, style: "width: 6em" })}</td>`)}
          <td>${field(row, i, "places", { type: "number", min: 0, max: 2, style: "width: 4em" })}</td>
          ${["low2", "high2"].map((k) => html`<td>${row.input === "blood_pressure"
            ? field(row, i, k, { type: "number", step: "any", min: 0, style: "width: 6em" }) : "—"}</td>`)}`}
        <td><input type="checkbox" checked=${row.active} disabled=${!admin} onChange=${set(i, "active")}
          aria-label=${L("active")} data-testid=${`cat-active-${i}`} /></td>
      </tr>`)}</tbody></table>
    ${admin && html`<div class="form-row">
      <button type="button" class="ghost" onClick=${() => setRows([...rows, blankEntry(section)])}
        data-testid="cat-add">${L("add")}</button>
      <button type="submit" disabled=${action.busy} data-testid="cat-save">${L("save")}</button></div>`}
    ${action.error && html`<p class="error" data-testid="cat-error">${action.error}</p>`}
    ${action.done && html`<p class="ok" data-testid="cat-saved">${action.done}</p>`}
  </form>`;
}

function EarningSection({ clinic, onSaved }) {
  const [amounts, setAmounts] = useState({ ...clinic.earning_rules });
  const [limits, setLimits] = useState(JSON.parse(JSON.stringify(clinic.earning_limits || {})));
  const [action, run] = useAction(L);
  const admin = isAdmin();
  const rules = Object.keys(clinic.earning_rules);
  const saveAmounts = async () => {
    const body = Object.fromEntries(rules.map((r) => [r, Number(amounts[r])]));
    if (await run(() => put("/clinic/earning-rules", body), L("saved"))) onSaved();
  };
  const saveLimits = async () => {
    const body = { limits: Object.fromEntries(rules.map((r) => [r, Object.fromEntries(
      ["day", "week", "month"].filter((p) => limits[r] && limits[r][p] !== "" && limits[r][p] != null)
        .map((p) => [p, Number(limits[r][p])]))])) };
    if (await run(() => put("/clinic/earning-limits", body), L("saved"))) onSaved();
  };
  const setLimit = (rule, period) => (e) => setLimits({ ...limits, [rule]: { ...(limits[rule] || {}), [period]: e.target.value } });
  return html`<div data-testid="settings-earning">
    <table><thead><tr><th>${L("rule")}</th><th>${L("amount")}</th><th>${L("perDay")}</th><th>${L("perWeek")}</th>
      <th>${L("perMonth")}</th></tr></thead>
      <tbody>${rules.map((rule) => html`<tr data-testid="earning-row" data-rule=${rule}>
        <td>${L(rule)}</td>
        <td>${admin ? html`<input type="number" min="0" max="10000" style="width: 6em" value=${amounts[rule]}
            aria-label=${`${L(rule)} ${L("amount")}`} data-testid=${`earning-${rule}`}
            onInput=${(e) => setAmounts({ ...amounts, [rule]: e.target.value })} />` : fmtNumber(amounts[rule])}</td>
        ${["day", "week", "month"].map((p) => html`<td>${admin
          ? html`<input type="number" min="1" max="1000" style="width: 6em" placeholder=${L("unlimited")}
              value=${(limits[rule] || {})[p] ?? ""} onInput=${setLimit(rule, p)}
              aria-label=${`${L(rule)} ${L(p === "day" ? "perDay" : p === "week" ? "perWeek" : "perMonth")}`}
              data-testid=${`earning-limit-${rule}-${p}`} />`
          : ((limits[rule] || {})[p] ?? L("unlimited"))}</td>`)}
      </tr>`)}</tbody></table>
    <p class="muted">${L("limitsNote")}</p>
    ${admin && html`<div class="form-row">
      <button type="button" disabled=${action.busy} onClick=${saveAmounts} data-testid="earning-save">${L("saveAmounts")}</button>
      <button type="button" disabled=${action.busy} onClick=${saveLimits} data-testid="earning-limits-save">${L("saveLimits")}</button>
    </div>`}
    ${action.error && html`<p class="error" data-testid="earning-error">${action.error}</p>`}
    ${action.done && html`<p class="ok" data-testid="earning-saved">${action.done}</p>`}
  </div>`;
}

function SettingsPage() {
  const [tab, setTab] = useState("conditions");
  const [reload, setReload] = useState(0);
  const [saved, setSaved] = useState(null);
  const state = useGet("/clinic", reload);
  if (state.error) return html`<p class="error">${L.error(state.error)}</p>`;
  if (!state.data) return html`<p class="muted">…</p>`;
  const clinic = state.data;
  const catalogue = saved || clinic.catalogue;
  // every page's labels follow at once (the shell's copy of /clinic is read again on the next sign-in)
  const onCatalogue = (next) => { setSaved(next); setClinicCatalogue(next); };
  return html`<section data-testid="settings-page">
    <h1>${L("title")}</h1>
    ${!isAdmin() && html`<p class="muted" data-testid="settings-read-only">${L("adminsOnly")}</p>`}
    <div class="tabs" role="tablist">${TABS.map((key) => html`<button type="button" role="tab"
      aria-selected=${tab === key} class=${tab === key ? "" : "ghost"} onClick=${() => setTab(key)}
      data-testid=${`settings-tab-${key}`}>${L(key)}</button>`)}</div>
    <div class="panel">
      ${SECTIONS.includes(tab) && html`<${SectionEditor} key=${tab + reload} section=${tab} catalogue=${catalogue}
        onSaved=${onCatalogue} />`}
      ${tab === "earning" && html`<${EarningSection} clinic=${clinic} onSaved=${() => setReload((n) => n + 1)} />`}
      ${tab === "templates" && html`<${TemplatesSection} />`}
      ${tab === "followups" && html`<${FollowupSettings} clinic=${clinic} />`}
    </div>
  </section>`;
}

export default { key: "settings", path: "/settings", label: { zh: "诊所设置", en: "Clinic settings" }, component: SettingsPage };
