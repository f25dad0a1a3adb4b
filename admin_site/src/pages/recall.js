// Recall rules and delivery settings: the clinic's rules (admins create, edit, switch on/off and
// delete them; staff read them) and its quiet hours, weekly and daily caps, how many days a
// message of each kind may still go out late, and opening times.
import { useState } from "preact/hooks";
import { del, post, put } from "../api.js";
import { fmtDateTime, fmtNumber, t } from "../i18n.js";
import { html, isAdmin, labels, useAction, useGet, useWriteKey } from "./shared.js";

const L = labels({
  zh: {
    title: "召回规则与发送设置", targeting: "发送对象", target_all: "所有符合条件的患者",
    target_uplift: "仅预测提醒有效的患者", threshold: "提升阈值（留空为 0）",
    targetingNote: "按“提醒提升模型”（随访与风险页）只发给预测提升高于阈值的患者；还没有模型时照常发给所有人。只用于营销消息：服务提醒从不因模型不发。",
    uplift_needs_marketing: "只有营销消息可以按预测提升定向", invalid_uplift_threshold: "阈值在 -1 到 1 之间",
    rules: "召回规则", ruleId: "规则编号", scope: "适用", byCondition: "按病种",
    byDepartment: "按科室", anchor: "起算事件", offsets: "发送时间点(起算后第几天)", offsetsShort: "发送日", offsetsHint: "多个用逗号分隔，如 30, 60",
    sendAt: "发送时刻", purpose: "用途", stopOn: "停止条件", active: "启用", template: "文案", updated: "更新时间",
    on: "启用中", off: "已停用", activate: "启用", deactivate: "停用", remove: "删除", save: "保存规则", newRule: "新规则",
    saved: "已保存", removed: "已删除", confirmRemove: "删除这条规则？已计划的提醒到期时将停止发送。",
    editHint: "点击一行可载入到下方表单修改；编号相同即替换原规则。", adminsOnly: "只有管理员可以修改，当前账号只能查看。",
    none: "还没有召回规则", dayN: "第 {n} 天", variables: "文案可用变量",
    var_nickname: "{nickname}：姓氏加称呼，如“张女士”（患者阅读或微信、短信发送时填入，不保存姓名）",
    var_clinic: "{clinic}：诊所名称", var_package: "{package}：患者的会员服务包名称",
    var_doctor: "{doctor}：起算事件记录的医生，未记录时为“您的医生”",
    var_slot: "{slot}：为患者保留的一个真实空号（科室有排班时，保留 3 天，消息里的链接一点即可预约），如“11月23日（周一）09:00（李医生）”；科室没有排班时为发送日两天后第一个开诊日的开诊时间，只是建议",
    remission: "病情缓解", visit: "就诊", surgery: "手术", delivery: "分娩", package_end: "服务包到期",
    booked: "已预约", visited: "已就诊", service: "服务消息", marketing: "营销消息",
    delivery_: "发送设置", quietHours: "免打扰时段", quietStart: "开始", quietEnd: "结束",
    quietNote: "免打扰时段内到期的消息顺延到时段结束后发送。", caps: "每位患者每周上限", capsNote: "按用途分别计数；超出的消息顺延到下周。",
    dailyCap: "每位患者每日上限", dailyCapLabel: "所有用途合计", dailyCapNote: "超出的消息顺延到次日。",
    capacity: "按号源控制复诊提醒", capacityDays: "看未来几天的号源", capacityShare: "提醒最多占用空余号源的比例（%）",
    capacityNote: "一个科室同时发出的复诊提醒（每条为患者保留一个号）不超过这些天里空余号源的这一比例；超出的按流失风险和回应可能排队，等有空位再发，不会丢。没有排班的科室不受限制。",
    holdout: "长期对照组", holdoutShare: "对照组比例（%）", holdoutSave: "保存比例", holdoutSaved: "已保存",
    holdoutNote: "按患者固定抽取的一部分患者不收营销类提醒和内容推送（服务类复诊提醒照常发送），用来衡量复诊引擎的总效果，结果见数据概览。0–20%，默认 5%，填 0 即取消对照组。",
    holdoutNow: "当前比例", invalid_body: "比例须为 0–20 之间的数字",
    relevance: "消息有效天数", relevanceNote: "晚于计划时间超过这些天数的消息不再发送，记为“已过时效”；召回提醒在下一条提醒到期或起算日已过后也不再发送。",
    kind_recall: "召回提醒", kind_content: "内容推送", daysUnit: "天",
    opening: "开诊日与开诊时间", openAt: "开诊时间", saveSettings: "保存发送设置", defaults: "默认",
    days: "一,二,三,四,五,六,日", templates: "微信订阅消息模板", channelOrder: "发送渠道顺序",
    wechat: "微信订阅消息", inbox: "站内信", sms: "短信", offsets_format: "发送时间点须为整数天数，用逗号分隔",
    no_open_day: "至少选择一个开诊日",
    condition_or_department: "请在病种和科室中选择一项", unknown_condition: "诊所没有这个病种", unknown_department: "未知的科室",
    unknown_anchor: "未知的起算事件", empty_offsets: "至少填写一个发送时间点", too_many_offsets: "发送时间点最多 6 个",
    offset_out_of_range: "发送时间点须在 1 至 730 天之间", duplicate_offset: "发送时间点重复",
    invalid_time: "时间格式须为 HH:MM", invalid_template: "文案中的占位符写法不对", empty_template: "文案不能为空",
    unknown_template_variable: "文案中有未知变量，只能用 {nickname} {clinic} {doctor} {slot}",
    unknown_stop_condition: "未知的停止条件", unknown_purpose: "未知的用途", invalid_rule_id: "规则编号只能用字母、数字、- 和 _（最多 64 个）",
    rule_not_found: "没有这条规则", wrong_role: "只有管理员可以修改", invalid_input: "输入有误", unknown_field: "有多余的字段",
    unknown_kind: "未知的消息类型", invalid_template_id: "模板编号须为 1–128 个字符",
    timing: "发送日", timing_fixed: "固定天数（按上面填写的天数）", timing_learned: "按流失曲线学习",
    timingHint: "学习：首条提醒在该病种流失曲线的建议召回日（流失日的三分之二）发送，限制在诊所设置的最早、最晚天数内，其余提醒保持与首条的间隔；每天随风险模型训练更新；还没有曲线时按填写的天数发送。已安排的提醒保持原发送日。",
    learnedTag: "学习", learnedNone: "尚无流失曲线，按填写的天数", learnedDay: "学到的发送日：第 {n} 天",
    preview: "预估覆盖人数", reachTitle: "按诊所已记录的起算事件估算",
    reach: "现在即到期 {now} 位患者，未来 30 天内到期 {next} 位；起算日已在发送窗口内、尚未安排提醒的 {in} 位。",
    reachDays: "发送日：{days}", reachNote: "只计同意接收此类消息的患者；已就诊、已预约而停止的不计。",
    backfill: "为窗口内的 {n} 位患者安排提醒", confirmBackfill: "为起算日已在窗口内的 {n} 位患者安排这条规则尚未发送的提醒？每条提醒只会安排一次。",
    backfilled: "已为 {patients} 位患者安排 {planned} 条提醒", saveFirst: "保存规则后可为窗口内的患者安排提醒",
    learned_needs_condition: "按流失曲线学习只适用于按病种的规则", learned_not_for_anchor: "服务包到期提醒不能按流失曲线学习",
    rule_inactive: "规则已停用，先启用再安排", bounds: "学习发送日的范围", earliest: "最早（起算后第几天）",
    latest: "最晚（起算后第几天）", saveBounds: "保存范围", boundsNote: "学到的发送日会限制在这个范围内，默认第 14 至 180 天。",
    learnedTable: "各病种学到的发送日", suggested: "曲线建议", applied: "实际使用", computedAt: "更新于",
    noCurves: "还没有足够的就诊记录生成流失曲线（每天训练后更新）", day_out_of_range: "天数须为 1 至 365 之间的整数",
    bounds_reversed: "最早天数不能晚于最晚天数",
  },
  en: {
    title: "Recall rules & delivery", rules: "Recall rules", ruleId: "Rule ID", scope: "Applies to",
    byCondition: "Condition", byDepartment: "Department", anchor: "Counted from", targeting: "Sent to",
    target_all: "Every matching patient", target_uplift: "Only patients a reminder is predicted to move",
    threshold: "Uplift threshold (empty: 0)",
    targetingNote: "By the uplift model (Follow-ups & risk page), only patients whose predicted uplift is above the threshold; everyone while there is no model. Marketing only: service reminders are never withheld by a model.",
    uplift_needs_marketing: "Only a marketing rule can target by uplift", invalid_uplift_threshold: "The threshold is between -1 and 1",
    offsets: "Send on day (after the anchor)", offsetsShort: "Send on", offsetsHint: "Comma separated, e.g. 30, 60", sendAt: "Send time",
    purpose: "Purpose", stopOn: "Stops on", active: "Active", template: "Wording", updated: "Updated", on: "Active",
    off: "Inactive", activate: "Activate", deactivate: "Deactivate", remove: "Delete", save: "Save rule",
    newRule: "New rule", saved: "Saved", removed: "Deleted",
    confirmRemove: "Delete this rule? Reminders already planned stop when they come due.",
    editHint: "Click a row to load it into the form below; the same ID replaces the rule.",
    adminsOnly: "Only admins may change this; this account can only read it.", none: "No recall rules yet",
    dayN: "day {n}", variables: "Variables for the wording",
    var_nickname: "{nickname}: surname and courtesy title, e.g. 张女士 (filled in when read or sent by WeChat or SMS; the name is not stored)",
    var_clinic: "{clinic}: the clinic's name", var_package: "{package}: the name of the patient's member package",
    var_doctor: "{doctor}: the doctor recorded with the anchor event, else 您的医生 (your doctor)",
    var_slot: "{slot}: a real open slot held for the patient where the department keeps schedules (held 3 days; the message's link books it in one tap), e.g. 11月23日（周一）09:00（李医生）; where it keeps none, the first opening at least two days after sending, a suggestion only",
    remission: "Remission", visit: "Visit", surgery: "Surgery", delivery: "Delivery", package_end: "Package end",
    booked: "Booked", visited: "Visited", service: "Service", marketing: "Marketing",
    delivery_: "Delivery settings", quietHours: "Quiet hours", quietStart: "From", quietEnd: "Until",
    quietNote: "A message due in quiet hours goes out when they end.", caps: "Weekly cap per patient",
    capsNote: "Counted per purpose; a message over the cap waits for the next week.", opening: "Opening days and time",
    dailyCap: "Daily cap per patient", dailyCapLabel: "All purposes together", dailyCapNote: "A message over it waits for the next day.",
    capacity: "Recall by open capacity", capacityDays: "Days of slots counted", capacityShare: "Most of the free places recall may hold (%)",
    capacityNote: "A department's recall reminders outstanding (each holds a slot for the patient) stay within this share of its free places over these days; the rest wait, most at risk and most likely to answer first, and go when places open. Departments without schedules are not limited.",
    holdout: "Lasting holdout", holdoutShare: "Holdout share (%)", holdoutSave: "Save the share", holdoutSaved: "Saved",
    holdoutNote: "A share of patients, fixed per patient, receives no marketing reminder or content (service reminders still go), to measure the engine's total effect; the result is on the dashboard. 0 to 20%, 5% by default; 0 ends the holdout.",
    holdoutNow: "Current share", invalid_body: "The share is a number from 0 to 20",
    relevance: "Days a message stays worth sending",
    relevanceNote: "A message later than this after its planned time is not sent (closed as too late); a recall also ends when the next reminder is due or the anchor day has passed.",
    kind_recall: "Recall", kind_content: "Content", daysUnit: "days",
    openAt: "Opens at", saveSettings: "Save delivery settings", defaults: "Default",
    days: "Mon,Tue,Wed,Thu,Fri,Sat,Sun", templates: "WeChat subscribe templates", channelOrder: "Channel order",
    wechat: "WeChat message", inbox: "In-app inbox", sms: "SMS",
    offsets_format: "Days to send on are whole numbers, comma separated", no_open_day: "Choose at least one opening day",
    condition_or_department: "Choose either a condition or a department", unknown_condition: "The clinic has no such condition",
    unknown_department: "Unknown department", unknown_anchor: "Unknown anchor event", empty_offsets: "Give at least one day to send on",
    too_many_offsets: "At most 6 days to send on", offset_out_of_range: "Days to send on run from 1 to 730",
    duplicate_offset: "A day to send on appears twice", invalid_time: "Times are HH:MM",
    invalid_template: "A placeholder in the wording is malformed", empty_template: "The wording is empty",
    unknown_template_variable: "Unknown variable in the wording; use {nickname} {clinic} {doctor} {slot}",
    unknown_stop_condition: "Unknown stop condition", unknown_purpose: "Unknown purpose",
    invalid_rule_id: "Rule IDs are letters, digits, - and _ (at most 64)", rule_not_found: "No such rule",
    wrong_role: "Only admins may change this", invalid_input: "Invalid input", unknown_field: "Unexpected field",
    unknown_kind: "Unknown kind of message", invalid_template_id: "A template ID is 1-128 characters",
    timing: "Send day", timing_fixed: "Fixed (the days above)", timing_learned: "Learned from the drop-out curve",
    timingHint: "Learned: the first reminder goes out on the condition's suggested recall day (two thirds of its drop-out day), held within the clinic's earliest and latest days; later reminders keep their distance from it. Refreshed by the daily training; until a curve exists the days above are used. Reminders already planned keep their day.",
    learnedTag: "learned", learnedNone: "No drop-out curve yet: the days as written", learnedDay: "Learned send day: day {n}",
    preview: "Estimate reach", reachTitle: "Estimated from the anchor events the clinic has recorded",
    reach: "{now} patients due now, {next} due within the next 30 days; {in} with an anchor already inside the window and no reminder planned yet.",
    reachDays: "Send days: {days}", reachNote: "Only patients who accept this kind of message; those stopped by a visit or booking are not counted.",
    backfill: "Plan reminders for the {n} patients in the window", confirmBackfill: "Plan this rule's remaining reminders for the {n} patients whose anchor is already inside its window? Each reminder is planned once.",
    backfilled: "Planned {planned} reminders for {patients} patients", saveFirst: "Save the rule to plan it for the patients in its window",
    learned_needs_condition: "Learned timing applies to rules of a condition", learned_not_for_anchor: "Package-end reminders cannot be learned",
    rule_inactive: "The rule is inactive; activate it first", bounds: "Range of learned send days", earliest: "Earliest (day after the anchor)",
    latest: "Latest (day after the anchor)", saveBounds: "Save the range", boundsNote: "A learned send day is held within this range; days 14 to 180 by default.",
    learnedTable: "Learned send day per condition", suggested: "Curve suggests", applied: "Used", computedAt: "Updated",
    noCurves: "Not enough visits yet for drop-out curves (refreshed by the daily training)", day_out_of_range: "Days are whole numbers from 1 to 365",
    bounds_reversed: "The earliest day cannot come after the latest",
  },
});

const dayNames = () => L("days").split(",");

// A wording with its template variables ({nickname} …) marked as the codes they are.
const withVariables = (text) => String(text || "").split(/(\{\w+\})/).map((part, i) => (i % 2 ? html`<code>${part}</code>` : part));

const blankRule = { rule_id: "", scope: "condition", condition: "", department: "", anchor: "remission", offsets: "30",
  send_at: "10:00", purpose: "service", stop_on: ["booked", "visited"], active: true, template: "", timing: "fixed",
  targeting: "all", uplift_threshold: "" };

const ruleForm = (r) => ({ ...blankRule, ...r, scope: r.department ? "department" : "condition",
  condition: r.condition || "", department: r.department || "", offsets: r.offsets.join(", "), timing: r.timing || "fixed",
  targeting: r.targeting || "all", uplift_threshold: r.uplift_threshold == null ? "" : String(r.uplift_threshold) });

// Learned timing follows a condition's drop-out curve, so only a condition's rule not counted from a package's end takes it.
const learnable = (form) => form.scope === "condition" && form.anchor !== "package_end";

const dayList = (days) => days.map((n) => L("dayN", { n: fmtNumber(n) })).join("、");

// How many patients a rule reaches from the recorded anchors, and (admins, a saved rule) planning it
// for those already inside its window.
function Reach({ reach, ruleId, onPlanned }) {
  const [state, run] = useAction(L);
  const withKey = useWriteKey("backfill");
  const plan = async () => {
    if (!window.confirm(L("confirmBackfill", { n: fmtNumber(reach.already_in_window) }))) return;
    const path = `/recall-rules/${encodeURIComponent(ruleId)}/backfill`;
    const done = await run(() => withKey({ path }, (headers) => post(path, null, headers)));
    if (done) onPlanned(done);
  };
  return html`<div class="panel" data-testid="recall-reach">
    <p class="muted">${L("reachTitle")}</p>
    <p data-testid="recall-reach-text">${L("reach", { now: fmtNumber(reach.now), next: fmtNumber(reach.next_30_days),
      in: fmtNumber(reach.already_in_window) })}</p>
    <p class="muted">${L("reachDays", { days: dayList(reach.send_days) })}${reach.timing === "learned" ? ` (${L("learnedTag")})` : ""} · ${L("reachNote")}</p>
    ${reach.already_in_window > 0 && (ruleId
      ? html`<button type="button" disabled=${state.busy} onClick=${plan} data-testid="recall-backfill">
          ${L("backfill", { n: fmtNumber(reach.already_in_window) })}</button>`
      : html`<p class="muted">${L("saveFirst")}</p>`)}
    ${state.error && html`<p class="error" data-testid="recall-backfill-error">${state.error}</p>`}
  </div>`;
}

// "30, 60" (also with Chinese commas or spaces) as whole days; null when a part is not a number.
function parseOffsets(text) {
  const parts = text.split(/[,，、\s]+/).filter(Boolean);
  const days = parts.map(Number);
  return days.every((d) => Number.isInteger(d)) ? days : null;
}

// `state`/`run` belong to the section, so the saved message outlives the form's remount.
// `reach`/`planned` belong to the section too: saving a new rule remounts the form as that rule's.
function RuleEditor({ options, initial, onSaved, state, run, reach, setReach, planned, setPlanned }) {
  const [form, setForm] = useState(() => initial || { ...blankRule, condition: options.conditions[0] || "",
    department: options.departments[0] || "" });
  const [local, setLocal] = useState(null);
  const [estimating, estimate] = useAction(L);
  const set = (key) => (e) => setForm({ ...form, [key]: e.target.type === "checkbox" ? e.target.checked : e.target.value });
  const toggleStop = (event) => (e) => setForm({ ...form,
    stop_on: e.target.checked ? [...form.stop_on, event] : form.stop_on.filter((s) => s !== event) });
  const bodyOf = () => {
    const offsets = parseOffsets(form.offsets);
    if (!offsets) { setLocal(L("offsets_format")); return null; }
    setLocal(null);
    return { anchor: form.anchor, offsets, send_at: form.send_at, template: form.template, purpose: form.purpose,
      stop_on: options.stop_on.filter((s) => form.stop_on.includes(s)), active: form.active,
      timing: learnable(form) ? form.timing : "fixed",
      // targeting by uplift is for marketing rules only (the API refuses it on a service rule)
      ...(form.purpose === "marketing" && form.targeting === "uplift" ? { targeting: "uplift",
        uplift_threshold: String(form.uplift_threshold).trim() === "" ? null : Number(form.uplift_threshold) } : {}),
      ...(form.scope === "department" ? { department: form.department } : { condition: form.condition }) };
  };
  // The reach of the rule as in the form; `savedId`: the rule was just saved under this id.
  const showReach = async (body, savedId) => {
    setPlanned(null);
    const id = savedId || form.rule_id.trim();
    const withId = /^[A-Za-z0-9_-]{1,64}$/.test(id) ? { rule_id: id } : {};
    const found = await estimate(() => post("/recall-rules/preview", { ...body, ...withId }));
    setReach(found ? { reach: found, ruleId: savedId || null } : null);
  };
  const submit = async (event) => {
    event.preventDefault();
    const body = bodyOf();
    if (!body) return;
    const id = form.rule_id.trim();
    const reply = await run(() => put(`/recall-rules/${encodeURIComponent(id)}`, body), L("saved"));
    if (reply) {
      await showReach(body, reply.rule.rule_id);
      onSaved(reply.rule);
    }
  };
  const previewOnly = async () => {
    const body = bodyOf();
    if (body) await showReach(body, null);
  };
  return html`<form class="panel section" onSubmit=${submit} data-testid="recall-form">
    <div class="form-row">
      <label>${L("ruleId")}<input required maxlength="64" pattern="[A-Za-z0-9_\\-]+" value=${form.rule_id}
        onInput=${set("rule_id")} data-testid="recall-id" /></label>
      <label>${L("scope")}<select value=${form.scope} onChange=${set("scope")} data-testid="recall-scope">
        <option value="condition">${L("byCondition")}</option><option value="department">${L("byDepartment")}</option></select></label>
      ${form.scope === "condition"
        ? html`<label>${L("byCondition")}<select value=${form.condition} onChange=${set("condition")} data-testid="recall-condition">
            ${options.conditions.map((c) => html`<option value=${c}>${t(c)}</option>`)}</select></label>`
        : html`<label>${L("byDepartment")}<select value=${form.department} onChange=${set("department")} data-testid="recall-department">
            ${options.departments.map((d) => html`<option value=${d}>${t(d)}</option>`)}</select></label>`}
      <label>${L("anchor")}<select value=${form.anchor} onChange=${set("anchor")} data-testid="recall-anchor">
        ${options.anchors.map((a) => html`<option value=${a}>${L(a)}</option>`)}</select></label>
      <label>${L("offsets")}<input required value=${form.offsets} onInput=${set("offsets")} placeholder=${L("offsetsHint")}
        title=${L("offsetsHint")} data-testid="recall-offsets" /></label>
      <label>${L("sendAt")}<input type="time" required value=${form.send_at} onInput=${set("send_at")} data-testid="recall-send-at" /></label>
      <label>${L("purpose")}<select value=${form.purpose} onChange=${set("purpose")} data-testid="recall-purpose">
        ${options.purposes.map((p) => html`<option value=${p}>${L(p)}</option>`)}</select></label>
      ${learnable(form) && html`<label>${L("timing")}<select value=${form.timing} onChange=${set("timing")} data-testid="recall-timing">
        ${options.timings.map((k) => html`<option value=${k}>${L("timing_" + k)}</option>`)}</select></label>`}
      ${form.purpose === "marketing" && html`<label>${L("targeting")}<select value=${form.targeting}
          onChange=${set("targeting")} data-testid="recall-targeting">
        ${options.targeting.map((v) => html`<option value=${v}>${L("target_" + v)}</option>`)}</select></label>`}
      ${form.purpose === "marketing" && form.targeting === "uplift" && html`<label>${L("threshold")}<input type="number"
        step="0.01" min="-1" max="1" value=${form.uplift_threshold} onInput=${set("uplift_threshold")}
        data-testid="recall-threshold" /></label>`}
    </div>
    ${learnable(form) && form.timing === "learned" && html`<p class="muted" data-testid="recall-timing-hint">${L("timingHint")}</p>`}
    ${form.purpose === "marketing" && form.targeting === "uplift" && html`<p class="muted">${L("targetingNote")}</p>`}
    <div class="form-row">
      ${options.stop_on.map((s) => html`<label class="check"><input type="checkbox" checked=${form.stop_on.includes(s)}
        onChange=${toggleStop(s)} data-testid=${"recall-stop-" + s} />${L("stopOn")}: ${L(s)}</label>`)}
      <label class="check"><input type="checkbox" checked=${form.active} onChange=${set("active")}
        data-testid="recall-active-input" />${L("active")}</label>
    </div>
    <label class="block">${L("template")}
      <textarea rows="3" required maxlength="500" value=${form.template} onInput=${set("template")}
        data-testid="recall-template"></textarea></label>
    <details class="hint" open><summary>${L("variables")}</summary><ul data-testid="recall-variables">
      ${options.variables.map((v) => html`<li>${withVariables(L("var_" + v, { [v]: `{${v}}` }))}</li>`)}</ul></details>
    <div class="form-row">
      <button type="submit" disabled=${state.busy} data-testid="recall-save">${L("save")}</button>
      <button type="button" class="ghost" disabled=${estimating.busy} onClick=${previewOnly} data-testid="recall-preview">${L("preview")}</button>
      <button type="button" class="ghost" onClick=${() => { setLocal(null); setReach(null); setPlanned(null); setForm({ ...blankRule,
        condition: options.conditions[0] || "", department: options.departments[0] || "" }); }}>${L("newRule")}</button>
    </div>
    ${(local || state.error || estimating.error) && html`<p class="error" data-testid="recall-error">${local || state.error || estimating.error}</p>`}
    ${state.done && html`<p class="ok" data-testid="recall-saved">${state.done}</p>`}
    ${reach && html`<${Reach} reach=${reach.reach} ruleId=${reach.ruleId}
      onPlanned=${async (done) => { setPlanned(done); const body = bodyOf(); if (body) await showReach(body, reach.ruleId); setPlanned(done); }} />`}
    ${planned && html`<p class="ok" data-testid="recall-backfilled">${L("backfilled", { planned: fmtNumber(planned.planned),
      patients: fmtNumber(planned.patients) })}</p>`}
  </form>`;
}

function RulesSection() {
  const [reload, setReload] = useState(0);
  const [picked, setPicked] = useState(null);
  const [picks, setPicks] = useState(0);
  const [action, run] = useAction(L);
  const [saving, runSave] = useAction(L);
  const [reach, setReach] = useState(null); // {reach, ruleId}: the last estimate, and the saved rule it is of
  const [planned, setPlanned] = useState(null); // the last backfill's answer
  const state = useGet("/recall-rules", reload);
  const admin = isAdmin();
  if (!state.data) {
    return html`${state.error ? html`<p class="error" data-testid="error">${L.error(state.error)}</p>`
      : html`<p class="muted">${t("loading")}</p>`}`;
  }
  const { items, options } = state.data;
  const again = () => setReload((n) => n + 1);
  const toggle = async (rule) => {
    if (await run(() => put(`/recall-rules/${encodeURIComponent(rule.rule_id)}/active`, { active: !rule.active }), L("saved"))) again();
  };
  const remove = async (rule) => {
    if (!window.confirm(L("confirmRemove"))) return;
    if (await run(() => del(`/recall-rules/${encodeURIComponent(rule.rule_id)}`), L("removed"))) {
      if (picked && picked.rule_id === rule.rule_id) setPicked(null);
      again();
    }
  };
  return html`<div>
    <p class="muted">${admin ? L("editHint") : L("adminsOnly")}</p>
    ${items.length === 0 ? html`<p class="muted" data-testid="recall-empty">${L("none")}</p>` : html`
    <table data-testid="recall-table"><thead><tr class="nowrap-row"><th>${L("ruleId")}</th><th>${L("scope")}</th><th>${L("anchor")}</th>
      <th>${L("offsetsShort")}</th><th>${L("sendAt")}</th><th>${L("purpose")}</th><th>${L("stopOn")}</th><th>${L("active")}</th>
      <th>${L("template")}</th>${admin && html`<th></th>`}</tr></thead>
      <tbody>${items.map((r) => html`<tr data-testid="recall-row" data-id=${r.rule_id} data-active=${String(r.active)}
          class=${admin ? "clickable" : ""} onClick=${() => { if (admin) { setPicked(ruleForm(r)); setPicks((n) => n + 1); setReach(null); setPlanned(null); } }}>
        <td class="mono">${r.rule_id}</td>
        <td>${r.department ? `${L("byDepartment")}: ${t(r.department)}` : t(r.condition)}</td>
        <td>${L(r.anchor)}</td>
        <td data-testid="recall-offsets-cell">${dayList(r.timing === "learned" ? r.send_days : r.offsets)}${r.timing === "learned"
          && html` <span class="tag" data-testid="recall-learned" title=${r.learned_day ? L("learnedDay", { n: fmtNumber(r.learned_day) })
            : L("learnedNone")}>${L("learnedTag")}</span>`}</td>
        <td>${r.send_at}</td><td>${L(r.purpose)}${r.targeting === "uplift"
          ? html`<div class="muted" data-testid="recall-targeting-cell">${L("target_uplift")}</div>` : ""}</td>
        <td>${r.stop_on.length ? r.stop_on.map((s) => L(s)).join("、") : "—"}</td>
        <td class=${r.active ? "ok" : "muted"} data-testid="recall-active">${r.active ? L("on") : L("off")}</td>
        <td class="wrap" title=${`${L("updated")} ${fmtDateTime(r.updated_at)}`}>${withVariables(r.template)}</td>
        ${admin && html`<td class="actions" onClick=${(e) => e.stopPropagation()}>
          <button class="ghost" disabled=${action.busy} onClick=${() => toggle(r)} data-testid="recall-toggle">
            ${r.active ? L("deactivate") : L("activate")}</button>
          <button class="ghost" disabled=${action.busy} onClick=${() => remove(r)} data-testid="recall-delete">${L("remove")}</button>
        </td>`}
      </tr>`)}</tbody></table>`}
    ${action.error && html`<p class="error" data-testid="recall-row-error">${action.error}</p>`}
    ${action.done && html`<p class="ok" data-testid="recall-row-done">${action.done}</p>`}
    ${admin && html`<${RuleEditor} key=${(picked ? "edit-" + picked.rule_id : "new") + "-" + picks}
      options=${options} initial=${picked} state=${saving} run=${runSave} reach=${reach} setReach=${setReach}
      planned=${planned} setPlanned=${setPlanned}
      onSaved=${(rule) => { setPicked(ruleForm(rule)); again(); }} />`}
  </div>`;
}

const settingsForm = (d) => ({ quiet_start: d.quiet_hours.start, quiet_end: d.quiet_hours.end,
  marketing: d.caps.marketing, service: d.caps.service, daily_cap: d.daily_cap, relevance: { ...d.relevance_days },
  days: d.opening.days, at: d.opening.at, capacity_days: d.capacity_days,
  capacity_share: Math.round(d.capacity_share * 100) });

function DeliverySettings() {
  const [reload, setReload] = useState(0);
  const [saved, setSaved] = useState(null);
  const [action, run] = useAction(L);
  const state = useGet("/clinic/delivery");
  if (!state.data) {
    return state.error ? html`<p class="error" data-testid="delivery-error">${L.error(state.error)}</p>` : null;
  }
  // The settings are cached a minute per API container, so a read right after a save may be stale:
  // the save's own reply (read fresh by the container that wrote) is what the form shows next.
  return html`<${DeliveryForm} key=${"delivery-" + reload} data=${saved || state.data} state=${action} run=${run}
    onSaved=${(reply) => { setSaved(reply); setReload((n) => n + 1); }} />`;
}

// Starts from the settings as read, or as the last save answered.
function DeliveryForm({ data, onSaved, state, run }) {
  const [form, setForm] = useState(() => settingsForm(data));
  const [local, setLocal] = useState(null);
  const admin = isAdmin();
  const set = (key) => (e) => setForm({ ...form, [key]: e.target.value });
  const setRelevance = (kind) => (e) => setForm({ ...form, relevance: { ...form.relevance, [kind]: e.target.value } });
  const toggleDay = (day) => (e) => setForm({ ...form,
    days: e.target.checked ? [...form.days, day].sort() : form.days.filter((d) => d !== day) });
  const submit = async (event) => {
    event.preventDefault();
    if (!form.days.length) { setLocal(L("no_open_day")); return; }
    const kinds = Object.keys(form.relevance);
    setLocal(null);
    const body = { quiet_hours: { start: form.quiet_start, end: form.quiet_end },
      caps: { marketing: Number(form.marketing), service: Number(form.service) }, daily_cap: Number(form.daily_cap),
      relevance_days: Object.fromEntries(kinds.map((k) => [k, Number(form.relevance[k])])),
      opening: { days: form.days, at: form.at }, capacity_days: Number(form.capacity_days),
      capacity_share: Number(form.capacity_share) / 100 };
    const reply = await run(() => put("/clinic/delivery", body), L("saved"));
    if (reply) onSaved(reply);
  };
  const d = data.defaults;
  const names = dayNames();
  const shown = (value) => html`<strong>${value}</strong>`;
  return html`<form class="panel" onSubmit=${submit} data-testid="delivery-form">
    <h3>${L("quietHours")}</h3>
    <div class="form-row">
      ${admin ? html`
        <label>${L("quietStart")}<input type="time" required value=${form.quiet_start} onInput=${set("quiet_start")} data-testid="quiet-start" /></label>
        <label>${L("quietEnd")}<input type="time" required value=${form.quiet_end} onInput=${set("quiet_end")} data-testid="quiet-end" /></label>`
      : html`<span data-testid="quiet-hours">${shown(`${data.quiet_hours.start} – ${data.quiet_hours.end}`)}</span>`}
      <span class="muted">${L("quietNote")} ${L("defaults")} ${d.quiet_hours.start} – ${d.quiet_hours.end}</span>
    </div>
    <h3>${L("caps")}</h3>
    <div class="form-row">
      ${["marketing", "service"].map((p) => (admin
        ? html`<label>${L(p)}<input type="number" min="0" max="50" required value=${form[p]} onInput=${set(p)}
            data-testid=${"cap-" + p} /></label>`
        : html`<span>${L(p)} ${shown(html`<span data-testid=${"cap-" + p}>${fmtNumber(data.caps[p])}</span>`)}</span>`))}
      <span class="muted">${L("capsNote")} ${L("defaults")} ${L("marketing")} ${fmtNumber(d.caps.marketing)} · ${L("service")} ${fmtNumber(d.caps.service)}</span>
    </div>
    <h3>${L("dailyCap")}</h3>
    <div class="form-row">
      ${admin
        ? html`<label>${L("dailyCapLabel")}<input type="number" min="1" max="20" required value=${form.daily_cap}
            onInput=${set("daily_cap")} data-testid="daily-cap" /></label>`
        : html`<span>${L("dailyCapLabel")} ${shown(html`<span data-testid="daily-cap">${fmtNumber(data.daily_cap)}</span>`)}</span>`}
      <span class="muted">${L("dailyCapNote")} ${L("defaults")} ${fmtNumber(d.daily_cap)}</span>
    </div>
    <h3>${L("relevance")}</h3>
    <div class="form-row">
      ${Object.keys(data.relevance_days).map((k) => (admin
        ? html`<label>${L("kind_" + k)} (${L("daysUnit")})<input type="number" min="1" max="365" required
            value=${form.relevance[k]} onInput=${setRelevance(k)} data-testid=${"relevance-" + k} /></label>`
        : html`<span>${L("kind_" + k)} ${shown(html`<span data-testid=${"relevance-" + k}>${fmtNumber(data.relevance_days[k])}</span>`)} ${L("daysUnit")}</span>`))}
      <span class="muted" data-testid="relevance-note">${L("relevanceNote")} ${L("defaults")} ${
        Object.entries(d.relevance_days).map(([k, n]) => `${L("kind_" + k)} ${fmtNumber(n)} ${L("daysUnit")}`).join(" · ")}</span>
    </div>
    <h3>${L("capacity")}</h3>
    <div class="form-row">
      ${admin ? html`
        <label>${L("capacityDays")}<input type="number" min="1" max="28" required value=${form.capacity_days}
          onInput=${set("capacity_days")} data-testid="capacity-days" /></label>
        <label>${L("capacityShare")}<input type="number" min="5" max="100" required value=${form.capacity_share}
          onInput=${set("capacity_share")} data-testid="capacity-share" /></label>`
      : html`<span>${L("capacityDays")} ${shown(html`<span data-testid="capacity-days">${fmtNumber(data.capacity_days)}</span>`)}</span>
        <span>${L("capacityShare")} ${shown(html`<span data-testid="capacity-share">${fmtNumber(Math.round(data.capacity_share * 100))}</span>`)}</span>`}
      <span class="muted" data-testid="capacity-note">${L("capacityNote")} ${L("defaults")} ${fmtNumber(d.capacity_days)} · ${fmtNumber(Math.round(d.capacity_share * 100))}%</span>
    </div>
    <h3>${L("opening")}</h3>
    <div class="form-row" data-testid="opening-days">
      ${names.map((name, day) => html`<label class="check"><input type="checkbox" disabled=${!admin}
        checked=${form.days.includes(day)} onChange=${toggleDay(day)} data-testid=${"open-day-" + day} />${name}</label>`)}
      ${admin ? html`<label>${L("openAt")}<input type="time" required value=${form.at} onInput=${set("at")} data-testid="open-at" /></label>`
        : html`<span>${L("openAt")} ${shown(html`<span data-testid="open-at">${data.opening.at}</span>`)}</span>`}
    </div>
    <p class="muted">${L("channelOrder")}: ${data.channel_order.map((c) => L(c)).join(" → ")}
      ${Object.keys(data.wechat_templates || {}).length > 0 && html` · ${L("templates")}:
        ${Object.entries(data.wechat_templates).map(([kind, id], i) => html`${i ? "；" : ""}${L("kind_" + kind)}：<code>${id}</code>`)}`}</p>
    ${admin && html`<button type="submit" disabled=${state.busy} data-testid="delivery-save">${L("saveSettings")}</button>`}
    ${(local || state.error) && html`<p class="error" data-testid="delivery-error">${local || state.error}</p>`}
    ${state.done && html`<p class="ok" data-testid="delivery-saved">${state.done}</p>`}
  </form>`;
}

function RecallPage() {
  return html`<div>
    <h1>${L("title")}</h1>
    <h2>${L("rules")}</h2>
    <${RulesSection} />
    <h2>${L("bounds")}</h2>
    <${TimingSettings} />
    <h2>${L("delivery_")}</h2>
    <${DeliverySettings} />
    <h2>${L("holdout")}</h2>
    <${HoldoutSetting} />
  </div>`;
}

// The range a learned send day is held in, and each condition's learned day from the daily training.
function TimingSettings() {
  const state = useGet("/clinic/recall-timing");
  const [saved, setSaved] = useState(null);
  const [form, setForm] = useState(null);
  const [action, run] = useAction(L);
  if (!state.data) return state.error ? html`<p class="error">${L.error(state.error)}</p>` : null;
  const data = saved || state.data;
  const values = form || { earliest_day: data.earliest_day, latest_day: data.latest_day };
  const set = (key) => (e) => setForm({ ...values, [key]: e.target.value });
  const submit = async (event) => {
    event.preventDefault();
    const reply = await run(() => put("/clinic/recall-timing", { earliest_day: Number(values.earliest_day),
      latest_day: Number(values.latest_day) }), L("saved"));
    if (reply) { setSaved(reply); setForm(null); }
  };
  return html`<form class="panel" onSubmit=${submit} data-testid="timing-form">
    <p class="muted">${L("boundsNote")}</p>
    <div class="form-row">
      ${isAdmin() ? html`
        <label>${L("earliest")}<input type="number" min="1" max="365" required value=${values.earliest_day}
          onInput=${set("earliest_day")} data-testid="timing-earliest" /></label>
        <label>${L("latest")}<input type="number" min="1" max="365" required value=${values.latest_day}
          onInput=${set("latest_day")} data-testid="timing-latest" /></label>
        <button disabled=${action.busy} data-testid="timing-save">${L("saveBounds")}</button>`
      : html`<span data-testid="timing-bounds">${dayList([data.earliest_day, data.latest_day]).replace("、", " – ")}</span>`}
    </div>
    ${action.error && html`<p class="error" data-testid="timing-error">${action.error}</p>`}
    ${action.done && html`<p class="ok" data-testid="timing-saved">${action.done}</p>`}
    <h3>${L("learnedTable")}</h3>
    ${data.conditions.length === 0 ? html`<p class="muted" data-testid="timing-none">${L("noCurves")}</p>` : html`
    <table data-testid="timing-table"><thead><tr><th>${L("byCondition")}</th><th>${L("suggested")}</th><th>${L("applied")}</th></tr></thead>
      <tbody>${data.conditions.map((c) => html`<tr data-testid="timing-row" data-id=${c.condition}>
        <td>${t(c.condition)}</td><td>${L("dayN", { n: fmtNumber(c.suggested_day) })}</td>
        <td>${c.learned_day ? L("dayN", { n: fmtNumber(c.learned_day) }) : "—"}</td></tr>`)}</tbody></table>
    <p class="muted">${L("computedAt")} ${fmtDateTime(data.computed_at)}</p>`}
  </form>`;
}

// The clinic's lasting holdout: who receives no marketing message, so the dashboard can show
// what those messages bring (domain/holdout.py).
function HoldoutSetting() {
  const state = useGet("/clinic");
  const [value, setValue] = useState(null);
  const [saved, setSaved] = useState(null);
  const [action, run] = useAction(L);
  if (!state.data) return state.error ? html`<p class="error">${L.error(state.error)}</p>` : null;
  const current = saved != null ? saved : state.data.holdout_share;
  const percent = (share) => Math.round(share * 1000) / 10;
  const submit = async (event) => {
    event.preventDefault();
    const reply = await run(() => put("/clinic/holdout", { share: Number(value) / 100 }), L("holdoutSaved"));
    if (reply) setSaved(reply.holdout_share);
  };
  return html`<form class="panel" onSubmit=${submit} data-testid="holdout-form">
    <p class="muted">${L("holdoutNote")}</p>
    <div class="form-row">
      <span>${L("holdoutNow")} <strong data-testid="holdout-share">${fmtNumber(percent(current))}%</strong></span>
      ${isAdmin() && html`<label>${L("holdoutShare")}<input type="number" min="0" max="20" step="0.5" required
          value=${value != null ? value : percent(current)} onInput=${(e) => setValue(e.target.value)}
          data-testid="holdout-input" /></label>
        <button disabled=${action.busy} data-testid="holdout-save">${L("holdoutSave")}</button>`}
    </div>
    ${action.error && html`<p class="error" data-testid="holdout-error">${action.error}</p>`}
    ${action.done && html`<p class="ok" data-testid="holdout-saved">${action.done}</p>`}
  </form>`;
}

export default { key: "recall", path: "/recall", label: { zh: "召回规则", en: "Recall rules" }, component: RecallPage };
