// 诊所设置 › 消息模板: per kind of message, the WeChat subscribe template (its id, and which of our
// fields fills each typed key: thing1, time3 ...) and the SMS template (its id and parameters).
import { useState } from "preact/hooks";
import { put } from "../api.js";
import { html, isAdmin, labels, useAction, useGet } from "./shared.js";

const L = labels({
  zh: {
    wechat: "微信订阅消息模板", sms: "短信模板", templateId: "模板 ID", key: "模板字段", source: "填入内容",
    fixed: "固定文字", value: "文字", add: "添加字段", remove: "移除", save: "保存", saved: "已保存", none: "未设置",
    addParam: "添加参数", param: "参数名", clear: "清除",
    clinic: "诊所名称", body: "消息正文", slot: "建议就诊时间", kind_name: "消息类型名称", notice: "健康提示（仅供参考）",
    keyHint: "与微信模板的字段名一致，如 thing1、time3、phrase4",
    limits: "微信的限制：thing 最多 20 个字符（超出部分发送时截断）；phrase 最多 5 个汉字；character_string 最多 32 个字母、数字或符号；number 最多 32 位数字；time、date 为日期时间格式；name 最多 10 个汉字。不符合的设置无法保存，发送时无法满足的消息改由下一个渠道送达。",
    invalid_template_field: "模板字段不符合微信的限制", unknown_template_field: "未知的填入内容",
    invalid_template_id: "模板 ID 格式不对", unknown_kind: "未知的消息类型", invalid_input: "输入有误",
    wrong_role: "只有管理员可以修改",
  },
  en: {
    wechat: "WeChat subscribe template", sms: "SMS template", templateId: "Template ID", key: "Template key",
    source: "Filled with", fixed: "Fixed text", value: "Text", add: "Add key", remove: "Remove", save: "Save",
    saved: "Saved", none: "Not set", addParam: "Add parameter", param: "Parameter", clear: "Clear",
    clinic: "Clinic name", body: "Message text", slot: "Suggested visit time", kind_name: "Kind of message", notice: "Health notice",
    keyHint: "As named in the WeChat template, e.g. thing1, time3, phrase4",
    limits: "WeChat's limits: thing up to 20 characters (cut when sent); phrase up to 5 Chinese characters; character_string up to 32 letters, digits or symbols; number up to 32 digits; time and date in date-time form; name up to 10 Chinese characters. A setting breaking them is refused; a message that cannot keep them goes by the next channel.",
    invalid_template_field: "A key breaks WeChat's limits", unknown_template_field: "Unknown field",
    invalid_template_id: "Invalid template ID", unknown_kind: "Unknown kind of message", invalid_input: "Invalid input",
    wrong_role: "Only admins may change this",
  },
});

const FIXED = "__fixed";

function toRows(items) {
  return (items || []).map((f) => ({ ...f, choice: f.source || FIXED }));
}

function fromRows(rows, nameKey) {
  return rows.map((r) => ({ [nameKey]: r[nameKey], ...(r.choice === FIXED ? { value: r.value || "" } : { source: r.choice }) }));
}

function KindEditor({ kind, sources, onSaved }) {
  const [wechatId, setWechatId] = useState(kind.wechat ? kind.wechat.template_id : "");
  const [fields, setFields] = useState(toRows(kind.wechat && kind.wechat.fields));
  const [smsId, setSmsId] = useState(kind.sms ? kind.sms.template_id : "");
  const [params, setParams] = useState(toRows(kind.sms && kind.sms.params));
  const [action, run] = useAction(L);
  const admin = isAdmin();
  const edit = (rows, setRows, i, key) => (e) => setRows(rows.map((r, j) => (j === i ? { ...r, [key]: e.target.value } : r)));
  const rowsOf = (rows, setRows, nameKey, testid) => rows.map((r, i) => html`<div class="form-row" data-testid=${testid}>
    <label>${nameKey === "key" ? L("key") : L("param")}<input value=${r[nameKey] || ""} disabled=${!admin} required
      title=${nameKey === "key" ? L("keyHint") : ""} onInput=${edit(rows, setRows, i, nameKey)}
      data-testid=${`${testid}-name-${i}`} /></label>
    <label>${L("source")}<select value=${r.choice} disabled=${!admin} onChange=${edit(rows, setRows, i, "choice")}
      data-testid=${`${testid}-source-${i}`}>
      ${sources.map((s) => html`<option value=${s}>${L(s)}</option>`)}<option value=${FIXED}>${L("fixed")}</option></select></label>
    ${r.choice === FIXED && html`<label>${L("value")}<input value=${r.value || ""} disabled=${!admin}
      onInput=${edit(rows, setRows, i, "value")} data-testid=${`${testid}-value-${i}`} /></label>`}
    ${admin && html`<button type="button" class="ghost" onClick=${() => setRows(rows.filter((_, j) => j !== i))}>${L("remove")}</button>`}
  </div>`);
  const save = async (event) => {
    event.preventDefault();
    const body = {
      wechat: wechatId ? { template_id: wechatId, fields: fromRows(fields, "key") } : null,
      sms: smsId ? { template_id: smsId, params: fromRows(params, "name") } : null,
    };
    const reply = await run(() => put(`/clinic/message-templates/${encodeURIComponent(kind.kind)}`, body), L("saved"));
    if (reply) onSaved();
  };
  return html`<form class="panel" onSubmit=${save} data-testid=${`templates-${kind.kind}`}>
    <h3>${kind.name}</h3>
    <h4>${L("wechat")}</h4>
    <label>${L("templateId")}<input value=${wechatId} disabled=${!admin} maxlength="128" placeholder=${L("none")}
      onInput=${(e) => setWechatId(e.target.value)} data-testid="tpl-wechat-id" /></label>
    ${rowsOf(fields, setFields, "key", "tpl-field")}
    ${admin && html`<button type="button" class="ghost" data-testid="tpl-field-add"
      onClick=${() => setFields([...fields, { key: "", choice: sources[0] }])}>${L("add")}</button>`}
    <h4>${L("sms")}</h4>
    <label>${L("templateId")}<input value=${smsId} disabled=${!admin} maxlength="64" placeholder=${L("none")}
      onInput=${(e) => setSmsId(e.target.value)} data-testid="tpl-sms-id" /></label>
    ${rowsOf(params, setParams, "name", "tpl-param")}
    ${admin && html`<div class="form-row">
      <button type="button" class="ghost" onClick=${() => setParams([...params, { name: "", choice: sources[0] }])}>${L("addParam")}</button>
      <button type="submit" disabled=${action.busy} data-testid="tpl-save">${L("save")}</button></div>`}
    ${action.error && html`<p class="error" data-testid="tpl-error">${action.error}</p>`}
    ${action.done && html`<p class="ok" data-testid="tpl-saved">${action.done}</p>`}
  </form>`;
}

export function TemplatesSection() {
  const [reload, setReload] = useState(0);
  const state = useGet("/clinic/message-templates", reload);
  if (state.error) return html`<p class="error">${L.error(state.error)}</p>`;
  if (!state.data) return html`<p class="muted">…</p>`;
  return html`<div data-testid="settings-templates">
    <p class="muted">${L("limits")}</p>
    ${state.data.kinds.map((kind) => html`<${KindEditor} key=${kind.kind} kind=${kind} sources=${state.data.sources}
      onSaved=${() => setReload((n) => n + 1)} />`)}
  </div>`;
}
