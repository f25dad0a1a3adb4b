// The audit trail (admins): who looked at or changed which patient's personal data, when, from where and
// why; filtered by period, patient and staff member, page by page, and exported as CSV (the export is
// recorded too). Nothing here edits or deletes an event: the API has no such route.
import { useState } from "preact/hooks";
import { session } from "../api.js";
import { clinicToday, fmtDateTime } from "../i18n.js";
import { html, labels, useGet } from "./shared.js";

const L = labels({
  zh: {
    openPatient: "打开患者档案", patientErased: "（档案已删除）",
    title: "审计日志", intro: "记录每次查看患者解密信息、显示完整手机号、导出、删除档案、代患者更改同意、更改员工角色、停用员工和员工登录：谁、何时、哪位患者、从哪里、为什么。日志只能查看和导出，不能修改或删除，保存期满后自动清除。",
    from: "开始日期", to: "结束日期", patient: "患者编号", actor: "员工账号", search: "查询", reset: "清空条件",
    exportCsv: "导出 CSV", exported: "已导出（本次导出也已记入日志）", at: "时间", action: "操作", who: "操作人",
    role: "角色", patientCol: "患者", reason: "原因", where: "来源", detail: "说明", empty: "这段时间没有记录",
    prev: "上一页", next: "下一页", shortPage: "本页未满，但后面还有记录",
    view_patient: "查看患者信息", reveal_phone: "显示完整手机号", export: "导出数据", audit_export: "导出审计日志",
    erase: "删除患者档案", consent_change: "更改同意（员工）", role_change: "更改员工角色", staff_disable: "停用员工",
    sign_in: "员工登录", staff_invite: "新增员工账号", staff_enable: "启用员工", clinic_create: "创建诊所", family_change: "家庭成员变更",
    role_admin: "管理员", role_staff: "员工", role_front_desk: "前台", role_health_manager: "健康管理师",
    role_analyst: "数据分析员", role_operator: "平台运营", role_patient: "患者本人", role_command_line: "运维命令",
    segment: "人群 {id}", ownData: "患者导出本人数据", items: "删除 {n} 条记录", username: "账号 {name}",
    roleFromTo: "{from} → {to}", period: "{from} 至 {to}", clinic: "诊所 {id}", atRegistration: "前台建档时",
    purpose_service: "诊疗服务", purpose_marketing: "活动与优惠", purpose_analytics: "服务改进分析", agreed: "同意", declined: "不同意",
    wrong_role: "只有管理员可以查看审计日志", invalid_period: "开始日期不能晚于结束日期",
    period_too_long: "一次最多查询 366 天", invalid_cursor: "分页已失效，请重新查询", invalid_input: "输入有误",
  },
  en: {
    openPatient: "Open the patient's record", patientErased: "(record erased)",
    title: "Audit trail", intro: "Every view of a patient's decrypted data, full phone number shown, export, erasure, consent changed by staff, role change, staff account disabled and staff sign-in: who, when, which patient, from where, why. The trail can be read and exported, never changed or deleted; events expire after the retention period.",
    from: "From", to: "To", patient: "Patient ID", actor: "Staff username", search: "Search", reset: "Clear",
    exportCsv: "Export CSV", exported: "Exported (this export is recorded too)", at: "Time", action: "Action",
    who: "By", role: "Role", patientCol: "Patient", reason: "Reason", where: "From", detail: "Detail",
    empty: "Nothing recorded in this period", prev: "Previous", next: "Next",
    shortPage: "A short page, but there is more",
    view_patient: "Viewed a patient", reveal_phone: "Full phone shown", export: "Data exported",
    audit_export: "Audit trail exported", erase: "Patient record erased", consent_change: "Consent changed by staff",
    role_change: "Staff role changed", staff_disable: "Staff account disabled", sign_in: "Staff sign-in",
    staff_invite: "Staff account made", staff_enable: "Staff account enabled", clinic_create: "Clinic created", family_change: "Household changed",
    role_admin: "Admin", role_staff: "Staff", role_front_desk: "Front desk", role_health_manager: "Health manager",
    role_analyst: "Analyst", role_operator: "Platform operator", role_patient: "The patient", role_command_line: "Operator command",
    segment: "Segment {id}", ownData: "The patient's own data", items: "{n} records erased", username: "Account {name}",
    roleFromTo: "{from} → {to}", period: "{from} to {to}", clinic: "Clinic {id}", atRegistration: "At registration at the desk",
    purpose_service: "care", purpose_marketing: "offers", purpose_analytics: "analytics", agreed: " agreed", declined: " declined",
    wrong_role: "Only admins may read the audit trail", invalid_period: "From must not be after to",
    period_too_long: "At most 366 days at a time", invalid_cursor: "The page expired; search again",
    invalid_input: "Invalid input",
  },
});

const apiBase = () => (window.REVISIT_CONFIG && window.REVISIT_CONFIG.apiBase) || "http://127.0.0.1:8000";
const qs = (params) => Object.entries(params).filter(([, v]) => v)
  .map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
const roleName = (role) => (role ? L("role_" + role) : "—");

function detailText(e) {
  const d = e.detail || {};
  const parts = [];
  if (d.segment_id) parts.push(L("segment", { id: d.segment_id }));
  if (d.what === "own_data") parts.push(L("ownData"));
  if (d.items != null) parts.push(L("items", { n: d.items }));
  if (d.username) parts.push(L("username", { name: d.username }));
  if (d.role && e.action === "staff_invite") parts.push(roleName(d.role));
  if (d.clinic) parts.push(L("clinic", { id: d.clinic }));
  if (d.registration) {
    parts.push(L("atRegistration") + "：" + ["service", "marketing", "analytics"].filter((p) => p in d)
      .map((p) => `${L("purpose_" + p)}${d[p] ? L("agreed") : L("declined")}`).join("、"));
  }
  if (d.from && d.to && e.action === "role_change") parts.push(L("roleFromTo", { from: roleName(d.from), to: roleName(d.to) }));
  else if (d.from && d.to) parts.push(L("period", { from: d.from, to: d.to }));
  return parts.join("；") || "—";
}

// The browser's user agent in a few words: the full text is in the export.
const shortAgent = (ua) => (ua ? ua.replace(/\s*\(.*?\)\s*/g, " ").trim().slice(0, 40) : "");

async function downloadCsv(filter) {
  const current = session();
  const reply = await fetch(`${apiBase()}/audit/export?${qs(filter)}`,
    { headers: { Authorization: `Bearer ${current && current.idToken}` } });
  if (!reply.ok) {
    const data = await reply.json().catch(() => ({}));
    throw Object.assign(new Error(data.message || String(reply.status)), { code: data.code, status: reply.status });
  }
  const url = URL.createObjectURL(await reply.blob());
  const link = Object.assign(document.createElement("a"), { href: url, download: `audit-${filter.from}-${filter.to}.csv` });
  document.body.appendChild(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}

function weekBefore(day) {
  const d = new Date(day + "T00:00:00Z");
  d.setUTCDate(d.getUTCDate() - 6);
  return d.toISOString().slice(0, 10);
}

function AuditPage() {
  const today = clinicToday();
  const blank = { from: weekBefore(today), to: today, patient_id: "", actor: "" };
  const [filter, setFilter] = useState(blank);
  const [draft, setDraft] = useState(blank);
  const [cursors, setCursors] = useState([""]);
  const [note, setNote] = useState(null);
  const cursor = cursors[cursors.length - 1];
  const state = useGet(`/audit?${qs({ ...filter, limit: 50, cursor })}`);
  const search = (event) => {
    event.preventDefault();
    setFilter({ ...draft });
    setCursors([""]);
    setNote(null);
  };
  const field = (name, type = "text") => html`<label>${L(name === "patient_id" ? "patient" : name)}
    <input type=${type} value=${draft[name]} data-testid=${"audit-" + name}
      onInput=${(e) => setDraft({ ...draft, [name]: e.target.value })} /></label>`;
  const exportCsv = () => downloadCsv(filter).then(() => setNote({ ok: true, text: L("exported") }))
    .catch((err) => setNote({ ok: false, text: L.error(err) }));
  const data = state.data;
  return html`<div>
    <h1>${L("title")}</h1>
    <p class="muted">${L("intro")}</p>
    <form class="filters" onSubmit=${search} data-testid="audit-filter">
      ${field("from", "date")}${field("to", "date")}${field("patient_id")}${field("actor")}
      <button type="submit" data-testid="audit-search">${L("search")}</button>
      <button type="button" class="ghost" onClick=${() => { setDraft(blank); setFilter(blank); setCursors([""]); }}>${L("reset")}</button>
      <button type="button" class="ghost" onClick=${exportCsv} data-testid="audit-export">${L("exportCsv")}</button>
    </form>
    ${note && html`<p class=${note.ok ? "ok" : "error"} data-testid="audit-note">${note.text}</p>`}
    ${state.error && html`<p class="error" data-testid="error">${L.error(state.error)}</p>`}
    ${data && (!data.items.length ? html`<p class="muted" data-testid="audit-empty">${L("empty")}</p>` : html`
    <table data-testid="audit-table"><thead><tr>
      <th>${L("at")}</th><th>${L("action")}</th><th>${L("who")}</th><th>${L("role")}</th><th>${L("patientCol")}</th>
      <th>${L("reason")}</th><th>${L("where")}</th><th>${L("detail")}</th></tr></thead>
      <tbody>${data.items.map((e) => html`<tr data-testid="audit-row" data-action=${e.action} key=${e.event_id}>
        <td class="nowrap">${fmtDateTime(e.at)}</td>
        <td class="nowrap" data-testid="audit-action">${L(e.action)}</td>
        <td>${e.actor_role === "patient" ? L("role_patient") : e.actor}</td>
        <td class="nowrap">${roleName(e.actor_role)}</td>
        <td class="nowrap" data-testid="audit-patient">${!e.patient_id ? "—" : e.patient_name_masked
          ? html`<a href=${"#/patients/" + encodeURIComponent(e.patient_id)} title=${L("openPatient")}>${e.patient_name_masked}</a>`
          : html`<span title=${e.patient_id}>${L("patientErased")}</span>`}</td>
        <td class="wrap">${e.reason || "—"}</td>
        <td class="nowrap" title=${e.user_agent || ""}>${e.source_ip || "—"}<br /><span class="muted mono">${shortAgent(e.user_agent)}</span></td>
        <td class="wrap">${detailText(e)}</td></tr>`)}</tbody></table>`)}
    ${data && data.next_cursor && data.items.length < 50 && html`<p class="muted">${L("shortPage")}</p>`}
    <div class="pager">
      <button class="ghost" disabled=${cursors.length <= 1} onClick=${() => setCursors(cursors.slice(0, -1))}
        data-testid="audit-prev">${L("prev")}</button>
      <button class="ghost" disabled=${!data || !data.next_cursor} onClick=${() => setCursors([...cursors, data.next_cursor])}
        data-testid="audit-next">${L("next")}</button>
    </div>
  </div>`;
}

export default { key: "audit", path: "/audit", roles: ["admin"], label: { zh: "审计日志", en: "Audit trail" }, component: AuditPage };
