// Clinics (#/clinics, the platform's operators): every clinic, and a new one with today's default
// settings and its first administrator, whose temporary password is shown once.
import { useState } from "preact/hooks";
import { post } from "../api.js";
import { t } from "../i18n.js";
import { html, labels, useAction, useGet, useWriteKey } from "./shared.js";

const CONDITIONS = ["eczema", "diabetes", "postpartum", "dental", "health_check", "hypertension"];
const ZONES = ["Asia/Shanghai", "Asia/Urumqi", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Europe/London"];

const L = labels({
  zh: {
    title: "诊所", id: "诊所编号", name: "诊所名称", zone: "时区", conditions: "开展的病种", admin: "首位管理员用户名",
    create: "创建诊所", created: "已创建 {name}。管理员 {admin} 的临时密码：{password}（只显示这一次，首次登录需设置新密码）",
    idHint: "小写字母、数字和短横线，2–40 位，创建后不能修改", none: "还没有诊所", pickOne: "至少选一个病种",
    clinic_exists: "这个诊所编号已被使用", invalid_clinic_id: "诊所编号只能用小写字母、数字和短横线（platform 为保留字）",
    invalid_tz: "时区无效", unknown_condition: "未知的病种", username_taken: "这个用户名已被使用",
    invalid_username: "用户名只能用字母、数字和 . _ @ + -，3–64 位", invalid_input: "输入有误",
    wrong_role: "只有平台运营人员可以创建诊所",
  },
  en: {
    title: "Clinics", id: "Clinic ID", name: "Clinic name", zone: "Time zone", conditions: "Conditions treated",
    admin: "First administrator's username", create: "Create clinic",
    created: "{name} is created. Temporary password of {admin}: {password} (shown this once; the first sign-in chooses a new one)",
    idHint: "Lower-case letters, digits and dashes, 2–40; it cannot change later", none: "No clinics yet",
    pickOne: "Choose at least one condition",
    clinic_exists: "This clinic ID is taken", invalid_clinic_id: "Lower-case letters, digits and dashes only (platform is reserved)",
    invalid_tz: "Unknown time zone", unknown_condition: "Unknown condition", username_taken: "This username is taken",
    invalid_username: "Letters, digits and . _ @ + - only, 3–64 characters", invalid_input: "Invalid input",
    wrong_role: "Only the platform's operators create clinics",
  },
});

function CreateForm({ onDone }) {
  const [form, setForm] = useState({ clinic_id: "", name: "", tz: ZONES[0], admin_username: "" });
  const [chosen, setChosen] = useState(["diabetes", "hypertension"]);
  const [action, run] = useAction(L);
  const [shown, setShown] = useState(null);
  const keyed = useWriteKey("clinic");
  const field = (key) => (e) => setForm({ ...form, [key]: e.target.value });
  const toggle = (code) => setChosen(chosen.includes(code) ? chosen.filter((c) => c !== code) : [...chosen, code]);
  const submit = async (event) => {
    event.preventDefault();
    setShown(null);
    if (!chosen.length) return;
    const body = { ...form, clinic_id: form.clinic_id.trim(), name: form.name.trim(),
      admin_username: form.admin_username.trim(), conditions: chosen };
    const made = await run(() => keyed(body, (headers) => post("/clinics", body, headers)));
    if (made) { setShown(made); onDone(); }
  };
  return html`<h3>${L("create")}</h3>
    <form class="form-row" onSubmit=${submit} data-testid="clinic-create">
      <label>${L("id")}<input value=${form.clinic_id} required pattern="[a-z0-9][a-z0-9-]{1,39}" title=${L("idHint")}
        data-testid="clinic-id" onInput=${field("clinic_id")} /></label>
      <label>${L("name")}<input value=${form.name} required maxlength="60" data-testid="clinic-name-input"
        onInput=${field("name")} /></label>
      <label>${L("zone")}<select value=${form.tz} data-testid="clinic-tz" onChange=${field("tz")}>
        ${ZONES.map((z) => html`<option value=${z}>${z}</option>`)}</select></label>
      <label>${L("admin")}<input value=${form.admin_username} required minlength="3" maxlength="64"
        data-testid="clinic-admin" onInput=${field("admin_username")} /></label>
      <fieldset data-testid="clinic-conditions"><legend>${L("conditions")}</legend>
        ${CONDITIONS.map((code) => html`<label><input type="checkbox" checked=${chosen.includes(code)}
          onChange=${() => toggle(code)} /> ${t(code)}</label>`)}</fieldset>
      <button type="submit" disabled=${action.busy || !chosen.length} data-testid="clinic-submit">${L("create")}</button>
    </form>
    ${!chosen.length && html`<p class="muted">${L("pickOne")}</p>`}
    ${action.error && html`<p class="error" data-testid="clinic-error">${action.error}</p>`}
    ${shown && html`<p class="ok" data-testid="clinic-created">${L("created", { name: shown.clinic.name,
      admin: shown.admin.username, password: shown.admin.temporary_password })}</p>`}`;
}

function ClinicsPage() {
  const [reload, setReload] = useState(0);
  const state = useGet("/clinics", reload);
  return html`<section data-testid="clinics-page">
    <h2>${L("title")}</h2>
    ${state.error && html`<p class="error">${L.error(state.error)}</p>`}
    ${state.data && (state.data.items.length ? html`<table data-testid="clinics-table">
      <thead><tr><th>${L("id")}</th><th>${L("name")}</th></tr></thead>
      <tbody>${state.data.items.map((c) => html`<tr><td>${c.clinic_id}</td><td>${c.name}</td></tr>`)}</tbody></table>`
      : html`<p class="muted">${L("none")}</p>`)}
    <${CreateForm} onDone=${() => setReload((n) => n + 1)} />
  </section>`;
}

export default { key: "clinics", path: "/clinics", roles: ["operator"], label: { zh: "诊所", en: "Clinics" },
  component: ClinicsPage };
