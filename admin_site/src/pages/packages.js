// Member packages: a patient's packages and the sale desk on the patient's page; the catalogue
// (admins edit it) and the renewal rate for a chosen period on #/packages.
import { useState } from "preact/hooks";
import { post, put } from "../api.js";
import { clinicToday, fmtDate, fmtNumber, fmtPercent } from "../i18n.js";
import { html, isAdmin, labels, localName, useAction, useGet, useWriteKey } from "./shared.js";

const L = labels({
  zh: {
    title: "会员服务包", packages: "服务包", start: "开始", end: "结束", state: "状态", renewal: "续约",
    active: "生效中", ended: "已结束", upcoming: "未开始", renewedBy: "已续约({date} 起)", renewalOf: "续约自 {from} – {to}",
    none: "暂无服务包", recordSale: "登记售出", packageType: "服务包", startDate: "开始日期",
    saleRef: "合同/销售单号(可选)", saleRefHint: "字母、数字、. _ -；同一单号只登记一次", record: "登记",
    recorded: "已登记，{date} 到期", recordedRenewal: "已登记为续约，{date} 到期", noTypes: "目录里没有在售的服务包",
    catalogue: "服务包目录", id: "编号", name: "名称", nameEn: "英文名称", term: "期限(月)", window: "续约窗口(天)",
    sold: "在售", yes: "是", no: "否", save: "保存", saved: "已保存", newType: "新服务包",
    editHint: "点击一行可载入到下方表单修改；已售出的服务包保留售出时的期限。",
    adminsOnly: "只有管理员可以修改目录，当前账号只能查看。",
    months: "{n} 个月", all: "全部服务包", rateTitle: "续约率", from: "从", to: "到", endedN: "期内到期", renewed: "已续约", lapsed: "未续约(窗口已过)",
    pending: "待定(窗口未过)", rate: "续约率", perType: "按服务包", rateNote: "续约率 = 已续约 ÷ (已续约 + 未续约)；窗口未过的不计入。",
    asOf: "截至 {date}",
    package_type_not_found: "目录里没有这个服务包", package_type_inactive: "这个服务包已停售",
    package_exists: "这笔销售已登记过(同一单号只登记一次)", try_again: "原服务包刚被修改，请重试",
    invalid_date: "开始日期不能晚于一年后", invalid_input: "输入有误", unknown_field: "输入有误",
    invalid_period: "结束日不能早于开始日，期间最长两年", patient_not_found: "找不到该患者",
    wrong_role: "只有管理员可以修改", forbidden: "没有权限",
  },
  en: {
    title: "Member packages", packages: "Packages", start: "Start", end: "End", state: "State", renewal: "Renewal",
    active: "Active", ended: "Ended", upcoming: "Upcoming", renewedBy: "Renewed (from {date})", renewalOf: "Renews {from} – {to}",
    none: "No packages", recordSale: "Record a sale", packageType: "Package", startDate: "Start date",
    saleRef: "Contract / sale no. (optional)", saleRefHint: "Letters, digits, . _ -; one number is recorded once",
    record: "Record", recorded: "Recorded, ends on {date}", recordedRenewal: "Recorded as a renewal, ends on {date}",
    noTypes: "No package on sale in the catalogue", catalogue: "Package catalogue", id: "ID", name: "Name",
    nameEn: "English name", term: "Term (months)", window: "Renewal window (days)", sold: "On sale", yes: "Yes", no: "No",
    save: "Save", saved: "Saved", newType: "New package",
    editHint: "Click a row to load it into the form below; packages already sold keep the term they were sold with.",
    adminsOnly: "Only admins may change the catalogue; this account can only read it.",
    months: "{n} months", all: "All packages", rateTitle: "Renewal rate", from: "From", to: "To", endedN: "Ended in the period", renewed: "Renewed",
    lapsed: "Lapsed (window closed)", pending: "Pending (window open)", rate: "Rate", perType: "By package",
    rateNote: "Rate = renewed ÷ (renewed + lapsed); packages still inside their window are left out.",
    asOf: "as of {date}",
    package_type_not_found: "No such package in the catalogue", package_type_inactive: "This package is no longer sold",
    package_exists: "This sale is already recorded (one sale number is recorded once)",
    try_again: "The package it renews changed meanwhile; try again",
    invalid_date: "The start date cannot be more than a year ahead", invalid_input: "Invalid input",
    unknown_field: "Invalid input", invalid_period: "The end cannot precede the start; two years at most",
    patient_not_found: "No such patient", wrong_role: "Only admins may change this", forbidden: "Not allowed",
  },
});

const STATE_CLASS = { active: "ok", ended: "muted", upcoming: "" };

function renewalText(pkg, bySale) {
  const parts = [];
  if (pkg.renewal_of) {
    const old = bySale[pkg.renewal_of];
    parts.push(old ? L("renewalOf", { from: fmtDate(old.start_date), to: fmtDate(old.end_date) }) : L("renewalOf",
      { from: pkg.renewal_of, to: "" }));
  }
  if (pkg.renewed_by) parts.push(L("renewedBy", { date: fmtDate(pkg.renewed_on) }));
  return parts.join(" · ");
}

function SaleForm({ id, onRecorded }) {
  const types = useGet("/package-types");
  const [packageId, setPackageId] = useState("");
  const [start, setStart] = useState(clinicToday);
  const [saleRef, setSaleRef] = useState("");
  const [action, run] = useAction(L);
  const keyed = useWriteKey("sale");
  if (types.error) return html`<p class="error" data-testid="sale-error">${L.error(types.error)}</p>`;
  if (!types.data) return null;
  const onSale = types.data.items.filter((x) => x.active);
  if (!onSale.length) return html`<p class="muted" data-testid="sale-no-types">${L("noTypes")}</p>`;
  const chosen = packageId || onSale[0].package_id;
  const submit = async (event) => {
    event.preventDefault();
    onRecorded(null);
    const body = { package_id: chosen, start_date: start, ...(saleRef.trim() ? { sale_ref: saleRef.trim() } : {}) };
    const result = await run(() => keyed(body, (headers) => post(`/patients/${encodeURIComponent(id)}/packages`, body, headers)));
    if (result) {
      const p = result.package;
      onRecorded(L(p.renewal_of ? "recordedRenewal" : "recorded", { date: fmtDate(p.end_date) }));
      setSaleRef("");
    }
  };
  return html`<form onSubmit=${submit} data-testid="sale-form">
    <div class="form-row">
      <label>${L("packageType")}<select value=${chosen} onChange=${(e) => setPackageId(e.target.value)}
        data-testid="sale-package">${onSale.map((x) => html`<option value=${x.package_id}>${localName(x)} · ${L("months", { n: x.term_months })}</option>`)}</select></label>
      <label>${L("startDate")}<input type="date" required value=${start} onInput=${(e) => setStart(e.target.value)}
        data-testid="sale-start" /></label>
      <label title=${L("saleRefHint")}>${L("saleRef")}<input pattern="[A-Za-z0-9_.\\-]+" maxlength="64" value=${saleRef}
        onInput=${(e) => setSaleRef(e.target.value)} data-testid="sale-ref" /></label>
    </div>
    <button type="submit" disabled=${action.busy} data-testid="sale-submit">${L("record")}</button>
    ${action.error && html`<p class="error" data-testid="sale-error">${action.error}</p>`}
  </form>`;
}

// On a patient's page: the packages sold (newest first, as the API gives them) and the sale desk.
function PackagesSection({ id, onChange }) {
  const [reload, setReload] = useState(0);
  const [note, setNote] = useState(null);
  const state = useGet(`/patients/${encodeURIComponent(id)}/packages`, reload);
  if (!state.data) return state.error ? html`<p class="error" data-testid="packages-error">${L.error(state.error)}</p>` : null;
  const items = state.data.items;
  const bySale = Object.fromEntries(items.map((p) => [p.sale_id, p]));
  return html`<div class="panel section" data-testid="packages-section">
    <h2>${L("title")}</h2>
    ${items.length === 0 ? html`<p class="muted" data-testid="packages-empty">${L("none")}</p>` : html`
      <table data-testid="packages-table"><thead><tr><th>${L("packages")}</th><th>${L("start")}</th><th>${L("end")}</th>
        <th>${L("state")}</th><th>${L("renewal")}</th></tr></thead>
        <tbody>${items.map((p) => html`<tr data-testid="package-row" data-id=${p.sale_id} data-state=${p.state}>
          <td>${localName(p)}</td><td data-testid="package-start">${fmtDate(p.start_date)}</td>
          <td data-testid="package-end">${fmtDate(p.end_date)}</td>
          <td data-testid="package-state" class=${STATE_CLASS[p.state] || ""}>${L(p.state)}</td>
          <td data-testid="package-renewal">${renewalText(p, bySale)}</td></tr>`)}</tbody></table>`}
    <h3>${L("recordSale")}</h3>
    <${SaleForm} id=${id} onRecorded=${(text) => { setNote(text); if (text) { setReload((n) => n + 1); onChange(); } }} />
    ${note && html`<p class="ok" data-testid="sale-recorded">${note}</p>`}
  </div>`;
}

const blankType = { package_id: "", name: "", name_en: "", term_months: 12, renewal_window_days: 30, active: true };

function TypeForm({ initial, onSaved }) {
  const [form, setForm] = useState(initial || blankType);
  const [action, run] = useAction(L);
  const set = (key) => (e) => setForm({ ...form, [key]: e.target.type === "checkbox" ? e.target.checked : e.target.value });
  const submit = async (event) => {
    event.preventDefault();
    const body = { name: form.name.trim(), name_en: form.name_en.trim() || null, term_months: Number(form.term_months),
      renewal_window_days: Number(form.renewal_window_days), active: form.active };
    if (await run(() => put(`/package-types/${encodeURIComponent(form.package_id.trim())}`, body), L("saved"))) onSaved();
  };
  return html`<form class="panel" onSubmit=${submit} data-testid="type-form">
    <div class="form-row">
      <label>${L("id")}<input required pattern="[A-Za-z0-9_\\-]+" maxlength="64" value=${form.package_id}
        onInput=${set("package_id")} data-testid="type-id" /></label>
      <label>${L("name")}<input required maxlength="60" value=${form.name} onInput=${set("name")} data-testid="type-name" /></label>
      <label>${L("nameEn")}<input maxlength="80" value=${form.name_en} onInput=${set("name_en")} data-testid="type-name-en" /></label>
      <label>${L("term")}<input type="number" required min="1" max="60" value=${form.term_months}
        onInput=${set("term_months")} data-testid="type-term" /></label>
      <label>${L("window")}<input type="number" required min="0" max="180" value=${form.renewal_window_days}
        onInput=${set("renewal_window_days")} data-testid="type-window" /></label>
      <label>${L("sold")}<input type="checkbox" checked=${form.active} onChange=${set("active")} data-testid="type-active" /></label>
    </div>
    <div class="form-row">
      <button type="submit" disabled=${action.busy} data-testid="type-save">${L("save")}</button>
      <button type="button" class="ghost" onClick=${() => setForm(blankType)}>${L("newType")}</button>
    </div>
    ${action.error && html`<p class="error" data-testid="type-error">${action.error}</p>`}
    ${action.done && html`<p class="ok" data-testid="type-saved">${action.done}</p>`}
  </form>`;
}

// The same calendar day a year back, plus one: twelve whole months ending today.
function yearBefore(day) {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y - 1, m - 1, d + 1)).toISOString().slice(0, 10);
}

function Figures({ figures, testid, label }) {
  return html`<tr data-testid=${testid} data-id=${label.id || ""}>
    <td>${label.text}</td>
    <td data-testid="rate-ended">${fmtNumber(figures.ended)}</td><td data-testid="rate-renewed">${fmtNumber(figures.renewed)}</td>
    <td data-testid="rate-lapsed">${fmtNumber(figures.lapsed)}</td><td data-testid="rate-pending">${fmtNumber(figures.pending)}</td>
    <td data-testid="rate-value"><strong>${fmtPercent(figures.rate)}</strong></td></tr>`;
}

function RenewalRate({ types }) {
  const today = clinicToday();
  const [from, setFrom] = useState(() => yearBefore(today));
  const [to, setTo] = useState(today);
  const state = useGet(`/packages/renewals?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
  const names = Object.fromEntries((types || []).map((x) => [x.package_id, localName(x)]));
  const r = state.data;
  return html`<div class="panel section" data-testid="renewal-rate">
    <h2>${L("rateTitle")}</h2>
    <div class="form-row">
      <label>${L("from")}<input type="date" value=${from} max=${to} onChange=${(e) => e.target.value && setFrom(e.target.value)}
        data-testid="rate-from" /></label>
      <label>${L("to")}<input type="date" value=${to} min=${from} onChange=${(e) => e.target.value && setTo(e.target.value)}
        data-testid="rate-to" /></label>
      ${r && html`<span class="muted">${L("asOf", { date: fmtDate(r.as_of) })}</span>`}
    </div>
    ${state.error && html`<p class="error" data-testid="rate-error">${L.error(state.error)}</p>`}
    ${r && html`<table data-testid="rate-table"><thead><tr><th></th><th>${L("endedN")}</th><th>${L("renewed")}</th>
        <th>${L("lapsed")}</th><th>${L("pending")}</th><th>${L("rate")}</th></tr></thead>
      <tbody>
        <${Figures} figures=${r} testid="rate-overall" label=${{ text: L("all") }} />
        ${Object.entries(r.by_package).map(([kind, figures]) => html`<${Figures} figures=${figures} testid="rate-row"
          label=${{ id: kind, text: names[kind] || kind }} />`)}
      </tbody></table>
      <p class="muted">${L("rateNote")}</p>`}
  </div>`;
}

function PackagesPage() {
  const [reload, setReload] = useState(0);
  const [picked, setPicked] = useState(null);
  const state = useGet("/package-types", reload);
  const admin = isAdmin();
  const items = state.data ? state.data.items : null;
  return html`<div>
    <h1>${L("title")}</h1>
    <h2>${L("catalogue")}</h2>
    <p class="muted">${admin ? L("editHint") : L("adminsOnly")}</p>
    ${state.error && html`<p class="error" data-testid="error">${L.error(state.error)}</p>`}
    ${items && html`<table data-testid="types-table"><thead><tr><th>${L("id")}</th><th>${L("name")}</th><th>${L("term")}</th>
      <th>${L("window")}</th><th>${L("sold")}</th></tr></thead>
      <tbody>${items.map((x) => html`<tr data-testid="type-row" data-id=${x.package_id} class=${admin ? "clickable" : ""}
          onClick=${() => admin && setPicked({ ...x, name_en: x.name_en || "" })}>
        <td class="mono">${x.package_id}</td><td>${localName(x)}</td><td data-testid="type-term-cell">${x.term_months}</td>
        <td data-testid="type-window-cell">${x.renewal_window_days}</td>
        <td data-testid="type-active-cell" class=${x.active ? "ok" : "no"}>${x.active ? L("yes") : L("no")}</td></tr>`)}</tbody></table>`}
    ${admin && html`<${TypeForm} key=${picked ? picked.package_id : "new"} initial=${picked}
      onSaved=${() => setReload((n) => n + 1)} />`}
    <${RenewalRate} types=${items} />
  </div>`;
}

export { PackagesSection };
export default { key: "packages", path: "/packages", label: { zh: "会员服务包", en: "Packages" }, component: PackagesPage };
