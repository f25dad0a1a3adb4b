// The front desk: the patients list with one search box (mobile, full name, hospital number, or a
// voucher or redemption code, which opens its desk), registering a patient (建档) with the consent
// the patient chose, and the one-time QR code a desk-registered patient scans to link WeChat.
import { useEffect, useState } from "preact/hooks";
import qrcode from "qrcode-generator";
import { get, post, put } from "../api.js";
import { fmtDate, fmtDateTime, fmtNumber, getLang, t } from "../i18n.js";
import { html, labels, useGet, useWriteKey } from "./shared.js";

const L = labels({
  zh: {
    title: "患者", searchLabel: "查找患者或券码", searchHint: "手机号 / 姓名 / 住院号或门诊号 / 券码或兑换码",
    searchBtn: "查找", clear: "清除", found: "找到 {n} 位患者", notFound: "没有找到匹配的患者",
    moreSameName: "同名患者较多，只列出前 {n} 位，请改用手机号或住院号查找",
    matched_phone: "手机号", matched_name: "姓名", matched_hospital_no: "住院号", matchedBy: "匹配方式",
    hospitalNo: "住院号/门诊号", wechat: "微信", linked: "已绑定", notLinked: "未绑定",
    newPatient: "新建档案", closeForm: "收起", registerTitle: "建档", phoneLabel: "手机号",
    sexLabel: "性别", birthYear: "出生年份", district: "区域", conditions: "病种", department: "科室",
    none: "不填", consents: "授权同意（按患者本人的选择勾选）", required: "必需", consentVersion: "同意书版本 {v}",
    submit: "建档", registered: "已为 {name} 建档", openPatient: "打开患者页面",
    bindTitle: "扫码绑定微信", makeQr: "生成绑定二维码", remakeQr: "重新生成",
    bindHelp: "请患者打开诊所小程序，点「扫码绑定」扫描此二维码。二维码 10 分钟内有效，只能使用一次。",
    validUntil: "有效期至 {at}", alreadyLinked: "该患者已绑定微信",
    wentToDesk: "这是一个{what}，正在打开核销页面…", voucher: "券码", redemption: "兑换码",
    phone_registered: "这个手机号已建档，请用手机号查找该患者", hospital_no_taken: "这个住院号已属于另一位患者",
    invalid_hospital_no: "住院号只能包含字母和数字", invalid_phone: "手机号格式不对",
    patient_already_linked: "该患者已绑定微信，无需再生成二维码", patient_not_found: "没有找到该患者",
    unknown_condition: "未知病种", invalid_input: "填写的内容有误，请检查", wrong_role: "当前账号没有此权限",
    concurrent_change: "档案刚被修改过，请刷新后再试",
    edit: "修改", save: "保存", cancel: "取消",
  },
  en: {
    title: "Patients", searchLabel: "Find a patient or a code", searchHint: "Mobile / full name / hospital no. / voucher or redemption code",
    searchBtn: "Find", clear: "Clear", found: "{n} patient(s) found", notFound: "No matching patient",
    moreSameName: "Many patients share this name; the first {n} are listed. Search by mobile or hospital number.",
    matched_phone: "Mobile", matched_name: "Name", matched_hospital_no: "Hospital no.", matchedBy: "Matched by",
    hospitalNo: "Hospital / clinic no.", wechat: "WeChat", linked: "Linked", notLinked: "Not linked",
    newPatient: "Register a patient", closeForm: "Close", registerTitle: "Registration", phoneLabel: "Mobile",
    sexLabel: "Sex", birthYear: "Birth year", district: "District", conditions: "Conditions", department: "Department",
    none: "None", consents: "Consent (as the patient chose)", required: "required", consentVersion: "Consent text version {v}",
    submit: "Register", registered: "{name} is registered", openPatient: "Open the patient's page",
    bindTitle: "Link WeChat by QR code", makeQr: "Make a binding QR code", remakeQr: "Make a new one",
    bindHelp: "Ask the patient to open the clinic's mini-program, tap 扫码绑定 and scan this code. It works once, for 10 minutes.",
    validUntil: "Valid until {at}", alreadyLinked: "This patient's WeChat is linked",
    wentToDesk: "This is a {what}; opening its desk…", voucher: "voucher code", redemption: "redemption code",
    phone_registered: "This mobile is registered already; find the patient by it", hospital_no_taken: "Another patient has this hospital number",
    invalid_hospital_no: "A hospital number holds letters and digits only", invalid_phone: "Not a valid mobile number",
    patient_already_linked: "This patient's WeChat is linked already", patient_not_found: "No such patient",
    unknown_condition: "Unknown condition", invalid_input: "Please check what you entered", wrong_role: "This account may not do this",
    edit: "Edit", save: "Save", cancel: "Cancel",
    concurrent_change: "The record changed meanwhile; reload and try again",
  },
});

const sexText = (s) => ({ F: t("sexF"), M: t("sexM"), U: t("sexU") }[s] || "—");
const openPatient = (id) => { window.location.hash = `#/patients/${encodeURIComponent(id)}`; };

function Status({ state }) {
  if (state.loading) return html`<p class="muted">${t("loading")}</p>`;
  if (state.error) return html`<p class="error" data-testid="error">${L.error(state.error)}</p>`;
  return null;
}

// `pager`: the list's cursor stack, kept by the site's shell (a patient's back link returns to the
// same page; the side nav starts afresh): {cursor, page, next(cursor), prev()}.
function PatientList({ pager }) {
  const query = `limit=20${pager.cursor ? `&cursor=${encodeURIComponent(pager.cursor)}` : ""}`;
  const state = useGet(`/patients?${query}`);
  if (!state.data) return html`<${Status} state=${state} />`;
  return html`<div>
    <table data-testid="patients-table">
      <thead><tr><th>${t("name")}</th><th>${t("conditions")}</th><th>${t("department")}</th>
        <th>${t("lastVisit")}</th><th>${t("balance")}</th><th>${t("created")}</th></tr></thead>
      <tbody>${state.data.items.map((p) => html`<tr class="clickable" data-testid="patient-row" data-id=${p.patient_id}
          onClick=${() => openPatient(p.patient_id)}>
        <td>${p.name_masked}</td><td>${p.conditions.map((c) => html`<span class="tag">${t(c)}</span>`)}</td>
        <td>${p.department ? t(p.department) : "—"}</td><td>${p.last_visit_date ? fmtDate(p.last_visit_date) : t("never")}</td>
        <td>${fmtNumber(p.balance)}</td><td>${fmtDateTime(p.created_at)}</td></tr>`)}</tbody>
    </table>
    <div class="pager">
      <button class="ghost" disabled=${pager.page <= 1} data-testid="page-prev" onClick=${pager.prev}>${t("prev")}</button>
      <span class="muted" data-testid="page-number">${t("page", { n: pager.page })}</span>
      <button class="ghost" disabled=${!state.data.next_cursor} data-testid="page-next"
        onClick=${() => pager.next(state.data.next_cursor)}>${t("next")}</button>
    </div>
  </div>`;
}

// Where the desk handles a code the search box recognised: the voucher desk or the redemption desk,
// with the code filled in.
const DESKS = { voucher: "#/challenges", redemption: "#/rewards" };

function SearchResults({ result }) {
  if (result.kind !== "patients") {
    return html`<p class="muted" data-testid="desk-code">${L("wentToDesk", { what: L(result.kind) })}</p>`;
  }
  if (!result.items.length) return html`<p class="muted" data-testid="search-empty">${L("notFound")}</p>`;
  return html`<div data-testid="search-results">
    <p class="muted">${L("found", { n: result.items.length })}</p>
    ${result.more && html`<p class="note" data-testid="search-more">${L("moreSameName", { n: result.items.length })}</p>`}
    <table>
      <thead><tr><th>${t("name")}</th><th>${t("phone")}</th><th>${L("hospitalNo")}</th><th>${t("sex")}</th>
        <th>${t("birthYear")}</th><th>${t("conditions")}</th><th>${t("lastVisit")}</th><th>${L("wechat")}</th>
        <th>${L("matchedBy")}</th></tr></thead>
      <tbody>${result.items.map((r) => html`<tr class="clickable" data-testid="search-row" data-id=${r.patient_id}
          onClick=${() => openPatient(r.patient_id)}>
        <td>${r.name_masked}</td><td class="mono">${r.phone_masked}</td><td class="mono">${r.hospital_no_masked || "—"}</td>
        <td>${sexText(r.sex)}</td><td>${r.birth_year || "—"}</td>
        <td>${r.conditions.map((c) => html`<span class="tag">${t(c)}</span>`)}</td>
        <td>${r.last_visit_date ? fmtDate(r.last_visit_date) : t("never")}</td>
        <td>${r.wechat_linked ? L("linked") : L("notLinked")}</td><td>${L("matched_" + r.matched_by)}</td></tr>`)}</tbody>
    </table>
  </div>`;
}

function SearchBox() {
  const [text, setText] = useState("");
  const [state, setState] = useState({ busy: false, error: null, result: null });
  const onSearch = async (event) => {
    event.preventDefault();
    const q = text.trim();
    if (!q) return;
    setState({ busy: true, error: null, result: null });
    try {
      const result = await get(`/patients/search?q=${encodeURIComponent(q)}`);
      setState({ busy: false, error: null, result });
      if (result.kind !== "patients") {
        window.location.hash = `${DESKS[result.kind]}?code=${encodeURIComponent(result.code)}`;
      }
    } catch (err) {
      setState({ busy: false, error: L.error(err), result: null });
    }
  };
  const onClear = () => { setText(""); setState({ busy: false, error: null, result: null }); };
  return html`<div class="panel" data-testid="desk-search">
    <form class="form-row" role="search" onSubmit=${onSearch}>
      <label>${L("searchLabel")}<input type="search" value=${text} onInput=${(e) => setText(e.target.value)}
        placeholder=${L("searchHint")} autocomplete="off" maxlength="60" size="36" data-testid="search-input" /></label>
      <button type="submit" disabled=${state.busy} data-testid="search-submit">${L("searchBtn")}</button>
      ${state.result && html`<button type="button" class="ghost" onClick=${onClear} data-testid="search-clear">${L("clear")}</button>`}
    </form>
    ${state.error && html`<p class="error" data-testid="search-error">${state.error}</p>`}
    ${state.result && html`<${SearchResults} result=${state.result} />`}
  </div>`;
}

const blank = () => ({
  name: "", phone: "", hospital_no: "", sex: "", birth_year: "", district: "", department: "", conditions: [],
  consents: {},
});

// 建档 at the desk: POST /patients with an Idempotency-Key (a retried request registers once).
function RegisterForm({ onDone }) {
  const form = useGet("/desk/registration-form");
  const [v, setV] = useState(blank);
  const [state, setState] = useState({ busy: false, error: null });
  const [created, setCreated] = useState(null);
  const send = useWriteKey("register");
  const set = (name) => (e) => setV({ ...v, [name]: e.target.value });
  const toggle = (list, value) => (list.includes(value) ? list.filter((x) => x !== value) : [...list, value]);
  if (!form.data) return html`<${Status} state=${form} />`;
  const { conditions, departments, consent } = form.data;
  const onSubmit = async (event) => {
    event.preventDefault();
    const body = {
      name: v.name.trim(), phone: v.phone.trim(), conditions: v.conditions, consent_version: consent.version,
      consents: Object.fromEntries(consent.purposes.map((p) => [p.purpose, !!v.consents[p.purpose]])),
    };
    if (v.hospital_no.trim()) body.hospital_no = v.hospital_no.trim();
    if (v.sex) body.sex = v.sex;
    if (v.birth_year) body.birth_year = Number(v.birth_year);
    if (v.district.trim()) body.district = v.district.trim();
    if (v.department) body.department = v.department;
    setState({ busy: true, error: null });
    try {
      const reply = await send(body, (headers) => post("/patients", body, headers));
      setState({ busy: false, error: null });
      setCreated(reply.patient);
      setV(blank());
      onDone();
    } catch (err) {
      setState({ busy: false, error: L.error(err) });
    }
  };
  const conditionLabel = (c) => (getLang() === "en" ? t(c.condition) : c.label);
  return html`<div class="panel" data-testid="register-panel">
    <h2>${L("registerTitle")}</h2>
    ${created && html`<div class="panel" data-testid="register-done">
      <p class="ok">${L("registered", { name: created.name })}</p>
      <p><a href=${"#/patients/" + encodeURIComponent(created.patient_id)} data-testid="register-open">${L("openPatient")}</a></p>
      <p>${L("hospitalNo")}: <${HospitalNoField} patientId=${created.patient_id} value=${created.hospital_no}
        onChange=${(p) => setCreated(p)} /></p>
      <${BindQrCode} patientId=${created.patient_id} linked=${created.wechat_linked} />
    </div>`}
    <form onSubmit=${onSubmit} data-testid="register-form">
      <div class="form-row">
        <label>${t("name")}<input value=${v.name} onInput=${set("name")} required maxlength="40" data-testid="reg-name" /></label>
        <label>${L("phoneLabel")}<input value=${v.phone} onInput=${set("phone")} required inputmode="tel" maxlength="20"
          pattern="[+0-9 \\-]{6,20}" data-testid="reg-phone" /></label>
        <label>${L("hospitalNo")}<input value=${v.hospital_no} onInput=${set("hospital_no")} maxlength="40" autocomplete="off"
          data-testid="reg-hospital-no" /></label>
      </div>
      <div class="form-row">
        <label>${L("sexLabel")}<select value=${v.sex} onChange=${set("sex")} data-testid="reg-sex">
          <option value="">${L("none")}</option><option value="F">${t("sexF")}</option>
          <option value="M">${t("sexM")}</option><option value="U">${t("sexU")}</option></select></label>
        <label>${L("birthYear")}<input type="number" min="1900" max="2100" value=${v.birth_year} onInput=${set("birth_year")}
          data-testid="reg-birth-year" /></label>
        <label>${L("district")}<input value=${v.district} onInput=${set("district")} maxlength="40" data-testid="reg-district" /></label>
        <label>${L("department")}<select value=${v.department} onChange=${set("department")} data-testid="reg-department">
          <option value="">${L("none")}</option>
          ${departments.map((d) => html`<option value=${d}>${t(d)}</option>`)}</select></label>
      </div>
      <fieldset class="form-row" data-testid="reg-conditions"><legend>${L("conditions")}</legend>
        ${conditions.map((c) => html`<label class="check"><input type="checkbox" checked=${v.conditions.includes(c.condition)}
          onChange=${() => setV({ ...v, conditions: toggle(v.conditions, c.condition) })}
          data-testid=${"reg-condition-" + c.condition} />${conditionLabel(c)}</label>`)}
      </fieldset>
      <fieldset data-testid="reg-consents"><legend>${L("consents")}</legend>
        <p class="note">${L("consentVersion", { v: consent.version })}</p>
        ${consent.purposes.map((p) => html`<div class="consent">
          <label class="check"><input type="checkbox" checked=${!!v.consents[p.purpose]} required=${p.required}
            onChange=${(e) => setV({ ...v, consents: { ...v.consents, [p.purpose]: e.target.checked } })}
            data-testid=${"reg-consent-" + p.purpose} />
            <strong>${p.title}</strong>${p.required ? html` <span class="tag warn">${L("required")}</span>` : ""}</label>
          <p class="note">${p.text}</p></div>`)}
      </fieldset>
      ${state.error && html`<p class="error" data-testid="register-error">${state.error}</p>`}
      <button type="submit" disabled=${state.busy} data-testid="reg-submit">${L("submit")}</button>
    </form>
  </div>`;
}

/**
 * 扫码绑定: a one-time code (ten minutes) for a desk-registered patient, shown as a QR code holding
 * the mini-program page and the code. For the patient's page: `<BindQrCode patientId=… linked=… />`,
 * `linked` being the patient's `wechat_linked`.
 */
export function BindQrCode({ patientId, linked }) {
  const [made, setMade] = useState(null);
  const [state, setState] = useState({ busy: false, error: null });
  useEffect(() => { setMade(null); setState({ busy: false, error: null }); }, [patientId]);
  if (linked) return html`<p class="ok" data-testid="bind-linked">${L("alreadyLinked")}</p>`;
  const make = async () => {
    setState({ busy: true, error: null });
    try {
      setMade(await post(`/patients/${encodeURIComponent(patientId)}/bind-codes`, null));
      setState({ busy: false, error: null });
    } catch (err) {
      setState({ busy: false, error: L.error(err) });
    }
  };
  let image = null;
  if (made) {
    const qr = qrcode(0, "M");
    qr.addData(made.path);
    qr.make();
    image = qr.createDataURL(5, 4);
  }
  return html`<div class="bind-qr" data-testid="bind-qr">
    <h3>${L("bindTitle")}</h3>
    ${made && html`<figure>
      <img src=${image} alt=${L("bindTitle")} width="200" height="200" data-testid="bind-qr-image" data-path=${made.path} />
      <figcaption>
        <p>${L("bindHelp")}</p>
        <p class="muted" data-testid="bind-valid-until">${L("validUntil", { at: fmtDateTime(made.expires_at) })}</p>
      </figcaption>
    </figure>`}
    ${state.error && html`<p class="error" data-testid="bind-error">${state.error}</p>`}
    <button type="button" disabled=${state.busy} onClick=${make} data-testid="bind-make">${made ? L("remakeQr") : L("makeQr")}</button>
  </div>`;
}

/**
 * The patient's hospital number (住院号 / 门诊号), edited in place by staff; an empty field removes it.
 * For the patient's page: `<HospitalNoField patientId=… value=${p.hospital_no} onChange=… />`.
 */
export function HospitalNoField({ patientId, value, onChange }) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(value || "");
  const [state, setState] = useState({ busy: false, error: null });
  useEffect(() => { setText(value || ""); setEditing(false); }, [patientId, value]);
  const save = async (event) => {
    event.preventDefault();
    setState({ busy: true, error: null });
    try {
      const reply = await put(`/patients/${encodeURIComponent(patientId)}/hospital-no`, { hospital_no: text.trim() || null });
      setState({ busy: false, error: null });
      setEditing(false);
      if (onChange) onChange(reply.patient);
    } catch (err) {
      setState({ busy: false, error: L.error(err) });
    }
  };
  if (!editing) {
    return html`<span data-testid="hospital-no"><span class="mono">${value || "—"}</span>
      <button type="button" class="ghost" onClick=${() => setEditing(true)} data-testid="hospital-no-edit">${L("edit")}</button></span>`;
  }
  return html`<form class="form-row" onSubmit=${save} data-testid="hospital-no-form">
    <label>${L("hospitalNo")}<input value=${text} onInput=${(e) => setText(e.target.value)} maxlength="40" autocomplete="off"
      data-testid="hospital-no-input" /></label>
    <button type="submit" disabled=${state.busy} data-testid="hospital-no-save">${L("save")}</button>
    <button type="button" class="ghost" onClick=${() => setEditing(false)}>${L("cancel")}</button>
    ${state.error && html`<p class="error" data-testid="hospital-no-error">${state.error}</p>`}
  </form>`;
}

export function Patients({ pager }) {
  const [open, setOpen] = useState(false);
  const [listKey, setListKey] = useState(0);
  return html`<div>
    <h1>${L("title")}</h1>
    <${SearchBox} />
    <p><button type="button" class=${open ? "ghost" : ""} onClick=${() => setOpen(!open)} data-testid="register-toggle"
      aria-expanded=${open}>${open ? L("closeForm") : L("newPatient")}</button></p>
    ${open && html`<${RegisterForm} onDone=${() => setListKey((n) => n + 1)} />`}
    <${PatientList} key=${listKey} pager=${pager} />
  </div>`;
}
