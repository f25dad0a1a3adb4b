// A/B experiments on reminders: the clinic's experiments, each one's results per arm (uplift
// against the holdout with its interval and p-value), and for admins the form to define one
// and the start, stop and promote buttons.
import { useState } from "preact/hooks";
import { post } from "../api.js";
import { fmtNumber, fmtPercent, locale, t } from "../i18n.js";
import { html, isAdmin, labels, useAction, useGet, useWriteKey } from "./shared.js";

const L = labels({
  zh: {
    title: "A/B 实验", list: "实验列表", create: "新建实验", name: "名称", target: "提醒规则", status: "状态",
    draft: "草稿", running: "进行中", stopped: "已停止", promoted: "已推广", holdout: "对照组（不发送）",
    holdoutShare: "对照组比例", window: "转化窗口（天）", alpha: "显著性水平", sampleSize: "每组样本量",
    baseline: "基线复诊率", minUplift: "最小提升", arms: "实验组", arm: "组", weight: "权重", template: "文案",
    sendAt: "发送时间", incentive: "激励文字", incentivePoints: "到诊积分", addArm: "添加组", removeArm: "删除",
    save: "保存", start: "开始", stop: "停止", promote: "推广此组", results: "结果", exposures: "触达",
    conversions: "复诊", rate: "复诊率", uplift: "提升", ci: "95% 置信区间", p: "p 值", pAdj: "校正 p 值",
    significant: "显著", winner: "胜出组", none: "暂无", pending: "窗口未结束", reached: "样本量已达到",
    notReached: "样本量未达到：结果仅供观察，请勿提前下结论", select: "查看", noExperiments: "还没有实验",
    templateHint: "可用 {nickname} {clinic} {incentive}；留空沿用规则文案", sizeHint: "填写样本量，或填写基线与最小提升自动计算",
    target_busy: "该规则已有进行中的实验", invalid_arm_count: "实验组需 2 至 4 个",
    invalid_holdout_share: "对照组比例需在 0 至 0.5 之间", duplicate_arm: "组编号重复",
    invalid_template: "文案占位符不正确", recall_rule_not_found: "没有这个提醒规则",
    sample_size_required: "请填写样本量，或基线与最小提升", invalid_state: "实验状态已变化",
    cannot_promote_holdout: "对照组不能推广", promotedTo: "规则已采用：",
    invalid_send_at: "发送时间格式须为 HH:MM", invalid_weight: "权重须大于 0", invalid_plan: "样本量参数不合理",
    experiment_not_found: "没有这个实验", experiment_exists: "实验已存在", arm_not_found: "没有这个组",
    unknown_target_kind: "未知的实验对象", wrong_role: "只有管理员可以修改", invalid_input: "输入有误",
    unknown_field: "有多余的字段", invalid_idempotency_key: "请求编号有误", adminsOnly: "只有管理员可以新建和操作实验，当前账号只能查看。",
    noRules: "诊所还没有召回规则", saved: "已保存为草稿", started: "已开始", stoppedMsg: "已停止", promotedMsg: "已推广",
    kind: "实验内容", kind_recall_rule: "文案、发送时间与激励", kind_recall_timing: "发送日：固定天数 对 学习的发送日",
    arm_fixed: "固定天数", arm_learned: "学习的发送日", timing: "发送日",
    timingNote: "两组都会收到提醒，只是发送日不同：固定组按规则填写的天数，学习组按该病种流失曲线学到的发送日。从起算日次日起，窗口内回诊即计为复诊；不设对照组，固定组为参照。",
    invalid_timing_arms: "发送日实验只有“固定天数”和“学习的发送日”两组", invalid_window: "转化窗口超出范围",
    learned_needs_condition: "发送日实验只适用于按病种的规则", learned_not_for_anchor: "服务包到期提醒不能做发送日实验",
  },
  en: {
    title: "A/B experiments", list: "Experiments", create: "New experiment", name: "Name", target: "Recall rule",
    status: "Status", draft: "Draft", running: "Running", stopped: "Stopped", promoted: "Promoted",
    holdout: "Holdout (no message)", holdoutShare: "Holdout share", window: "Outcome window (days)",
    alpha: "Alpha", sampleSize: "Sample size per group", baseline: "Baseline revisit rate", minUplift: "Minimum uplift",
    arms: "Arms", arm: "Arm", weight: "Weight", template: "Wording", sendAt: "Send time", incentive: "Incentive text",
    incentivePoints: "Points on revisit", addArm: "Add arm", removeArm: "Remove", save: "Save", start: "Start",
    stop: "Stop", promote: "Promote", results: "Results", exposures: "Exposures", conversions: "Revisits",
    rate: "Rate", uplift: "Uplift", ci: "95% CI", p: "p-value", pAdj: "Adjusted p", significant: "Significant",
    winner: "Winner", none: "None yet", pending: "Window open", reached: "Sample size reached",
    notReached: "Sample size not reached: watch, do not conclude yet", select: "Open",
    noExperiments: "No experiments yet", templateHint: "Use {nickname} {clinic} {incentive}; empty keeps the rule's",
    sizeHint: "Give a sample size, or a baseline and minimum uplift to compute it",
    target_busy: "An experiment already runs on this rule", invalid_arm_count: "2 to 4 arms",
    invalid_holdout_share: "Holdout share must be 0 to 0.5", duplicate_arm: "Arm id used twice",
    invalid_template: "Wrong placeholder in the wording", recall_rule_not_found: "No such recall rule",
    sample_size_required: "Give a sample size, or a baseline and minimum uplift",
    invalid_state: "The experiment's state changed", cannot_promote_holdout: "The holdout cannot be promoted",
    promotedTo: "The rule now uses: ", invalid_send_at: "Send time is HH:MM", invalid_weight: "Weights must be above 0",
    invalid_plan: "The sample size inputs do not work", experiment_not_found: "No such experiment",
    experiment_exists: "The experiment exists", arm_not_found: "No such arm", unknown_target_kind: "Unknown target",
    wrong_role: "Only admins may change this", invalid_input: "Invalid input", unknown_field: "Unexpected field",
    invalid_idempotency_key: "Malformed request key",
    adminsOnly: "Only admins define and run experiments; this account can only read them.",
    noRules: "The clinic has no recall rules yet", saved: "Saved as a draft", started: "Started", stoppedMsg: "Stopped",
    promotedMsg: "Promoted",
    kind: "What is tested", kind_recall_rule: "Wording, send time and incentive", kind_recall_timing: "Send day: fixed against learned",
    arm_fixed: "Fixed days", arm_learned: "Learned send day", timing: "Send day",
    timingNote: "Both arms are reminded, on different days: the fixed arm on the rule's days, the learned arm on the day learned from the condition's drop-out curve. A visit from the day after the anchor to the window's end counts as a revisit; no holdout, the fixed arm is the reference.",
    invalid_timing_arms: "A send-day experiment has the arms fixed and learned", invalid_window: "The outcome window is out of range",
    learned_needs_condition: "Send-day experiments apply to rules of a condition", learned_not_for_anchor: "Package-end reminders cannot be tested on their send day",
  },
});

const pct = (x) => fmtPercent(x);
// Differences of rates in percentage points, signed: "+4.2".
const pts = (x) => (x === null || x === undefined ? "—"
  : new Intl.NumberFormat(locale(), { signDisplay: "exceptZero", minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(x * 100));
const pval = (x) => (x === null || x === undefined ? "—" : x < 0.001 ? "<" + new Intl.NumberFormat(locale()).format(0.001)
  : new Intl.NumberFormat(locale(), { minimumFractionDigits: 3, maximumFractionDigits: 3 }).format(x));

// What a promoted arm changed in its rule, by the rule's field.
const CHANGED = { template: "template", send_at: "sendAt", incentive_text: "incentive", incentive_points: "incentivePoints",
  timing: "timing" };

// An arm by its name: a send-day experiment's two arms in words, any other arm by its id.
const armName = (id) => (id === "fixed" || id === "learned" ? L("arm_" + id) : html`<code>${id}</code>`);
const changedValue = (key, value) => (key === "timing" ? L("arm_" + value) : value);
// A rule a send-day experiment can take: a condition's, not counted from a package's end.
const learnable = (r) => r.condition && r.anchor !== "package_end";

// A recall rule by its name where the site knows one, else its id (as a code where markup is allowed).
const ruleText = (id) => (t("rule_" + id) === "rule_" + id ? id : t("rule_" + id));
const ruleName = (id) => (ruleText(id) === id ? html`<code>${id}</code>` : ruleText(id));

const blankArm = (n) => ({ arm_id: `arm${n}`, weight: 1, template: "", send_at: "", incentive_text: "", incentive_points: 0 });

function bodyFrom(f) {
  if (f.kind === "recall_timing") {
    const size = f.sample_size ? { sample_size_per_arm: Number(f.sample_size) }
      : { baseline_rate: Number(f.baseline), min_uplift: Number(f.min_uplift) };
    return { name: f.name, target_kind: "recall_timing", target_id: f.target_id, arms: [{ arm_id: "fixed" }, { arm_id: "learned" }],
             holdout_share: 0, window_days: Number(f.window_days), alpha: Number(f.alpha), ...size };
  }
  const arms = f.arms.map((a) => ({
    arm_id: a.arm_id, weight: Number(a.weight), ...(a.template ? { template: a.template } : {}),
    ...(a.send_at ? { send_at: a.send_at } : {}), ...(a.incentive_text ? { incentive_text: a.incentive_text } : {}),
    incentive_points: Number(a.incentive_points || 0),
  }));
  const size = f.sample_size ? { sample_size_per_arm: Number(f.sample_size) }
    : { baseline_rate: Number(f.baseline), min_uplift: Number(f.min_uplift) };
  return { name: f.name, target_kind: "recall_rule", target_id: f.target_id, arms, holdout_share: Number(f.holdout_share),
           window_days: Number(f.window_days), alpha: Number(f.alpha), ...size };
}

function ExperimentForm({ rules, onSaved }) {
  const [f, setF] = useState({ kind: "recall_rule", name: "", target_id: rules.length ? rules[0].rule_id : "", holdout_share: 0.1, window_days: 14,
                               alpha: 0.05, sample_size: "", baseline: 0.2, min_uplift: 0.1,
                               arms: [blankArm(1), blankArm(2)] });
  const [state, run] = useAction(L);
  const withKey = useWriteKey("experiment");
  const set = (key) => (e) => setF({ ...f, [key]: e.target.value });
  const timing = f.kind === "recall_timing";
  const targets = timing ? rules.filter(learnable) : rules;
  const setKind = (e) => {
    const kind = e.target.value;
    const choices = kind === "recall_timing" ? rules.filter(learnable) : rules;
    setF({ ...f, kind, target_id: choices.some((r) => r.rule_id === f.target_id) ? f.target_id : (choices[0] || {}).rule_id || "",
           window_days: kind === "recall_timing" ? 90 : 14 });
  };
  const setArm = (i, key) => (e) => setF({ ...f, arms: f.arms.map((a, j) => (j === i ? { ...a, [key]: e.target.value } : a)) });
  const submit = async (event) => {
    event.preventDefault();
    const body = bodyFrom(f);
    const reply = await run(() => withKey(body, (headers) => post("/experiments", body, headers)), L("saved"));
    if (reply) onSaved(reply.experiment);
  };
  return html`<form class="panel" onSubmit=${submit} data-testid="experiment-form">
    <h2>${L("create")}</h2>
    <div class="form-row">
      <label>${L("name")}<input value=${f.name} onInput=${set("name")} required maxlength="80" data-testid="experiment-name" /></label>
      <label>${L("kind")}<select value=${f.kind} onChange=${setKind} data-testid="experiment-kind">
        ${["recall_rule", "recall_timing"].map((k) => html`<option value=${k}>${L("kind_" + k)}</option>`)}</select></label>
      <label>${L("target")}<select value=${f.target_id} onChange=${set("target_id")} required data-testid="experiment-target">
        ${targets.map((r) => html`<option value=${r.rule_id}>${ruleText(r.rule_id)} · ${t(r.condition || r.department)}</option>`)}</select></label>
      ${!timing && html`<label>${L("holdoutShare")}<input type="number" step="0.01" min="0" max="0.5" value=${f.holdout_share} onInput=${set("holdout_share")} /></label>`}
      <label>${L("window")}<input type="number" min="1" max=${timing ? 365 : 90} value=${f.window_days} onInput=${set("window_days")} /></label>
      <label>${L("alpha")}<input type="number" step="0.01" min="0.01" max="0.2" value=${f.alpha} onInput=${set("alpha")} /></label>
    </div>
    <div class="form-row">
      <label>${L("sampleSize")}<input type="number" min="10" value=${f.sample_size} onInput=${set("sample_size")} /></label>
      <label>${L("baseline")}<input type="number" step="0.01" min="0.01" max="0.99" value=${f.baseline} onInput=${set("baseline")} /></label>
      <label>${L("minUplift")}<input type="number" step="0.01" min="0.01" max="0.99" value=${f.min_uplift} onInput=${set("min_uplift")} /></label>
      <span class="muted">${L("sizeHint")}</span>
    </div>
    ${timing && html`<p class="muted" data-testid="experiment-timing-note">${L("timingNote")}</p>`}
    ${!timing && html`<h3>${L("arms")}</h3>
    <p class="muted">${L("templateHint").split(/(\{\w+\})/).map((part, i) => (i % 2 ? html`<code>${part}</code>` : part))}</p>
    ${f.arms.map((a, i) => html`<div class="form-row" data-testid="experiment-arm">
      <label>${L("arm")}<input value=${a.arm_id} onInput=${setArm(i, "arm_id")} required pattern="[A-Za-z0-9_\\-]+" /></label>
      <label>${L("weight")}<input type="number" step="0.1" min="0.1" value=${a.weight} onInput=${setArm(i, "weight")} /></label>
      <label>${L("template")}<input value=${a.template} onInput=${setArm(i, "template")} maxlength="500" /></label>
      <label>${L("sendAt")}<input type="time" value=${a.send_at} onInput=${setArm(i, "send_at")} /></label>
      <label>${L("incentive")}<input value=${a.incentive_text} onInput=${setArm(i, "incentive_text")} maxlength="60" /></label>
      <label>${L("incentivePoints")}<input type="number" min="0" max="1000" value=${a.incentive_points} onInput=${setArm(i, "incentive_points")} /></label>
      ${f.arms.length > 2 && html`<button type="button" class="ghost" onClick=${() => setF({ ...f, arms: f.arms.filter((_, j) => j !== i) })}>${L("removeArm")}</button>`}
    </div>`)}`}
    <div class="form-row">
      ${!timing && f.arms.length < 4 && html`<button type="button" class="ghost" onClick=${() => setF({ ...f, arms: [...f.arms, blankArm(f.arms.length + 1)] })}>${L("addArm")}</button>`}
      <button type="submit" disabled=${state.busy} data-testid="experiment-submit">${L("save")}</button>
    </div>
    ${state.error && html`<p class="error" data-testid="experiment-error">${state.error}</p>`}
  </form>`;
}

function Results({ experiment, onChanged, onDone }) {
  const [reload, setReload] = useState(0);
  const res = useGet(`/experiments/${encodeURIComponent(experiment.experiment_id)}/results`, reload);
  const [state, run] = useAction(L);
  const [changed, setChanged] = useState(null);
  const act = async (path, body) => {
    const reply = await run(() => post(`/experiments/${encodeURIComponent(experiment.experiment_id)}/${path}`, body || {}));
    if (reply) {
      setChanged(reply.rule_changes || null);
      onDone(path);
      setReload((n) => n + 1);
      onChanged();
    }
  };
  if (res.error) return html`<p class="error" data-testid="experiment-results-error">${L.error(res.error)}</p>`;
  if (!res.data) return null;
  const d = res.data;
  const status = d.experiment.status;
  const admin = isAdmin();
  return html`<div class="panel" data-testid="experiment-results">
    <h2>${L("results")}: ${d.experiment.name}</h2>
    <p class=${d.sample_size_reached ? "ok" : "muted"}>${d.sample_size_reached ? L("reached") : L("notReached")}
      · ${L("sampleSize")} ${fmtNumber(d.sample_size_per_arm)} · ${L("winner")}: ${d.winner ? armName(d.winner) : L("none")}</p>
    <table data-testid="experiment-results-table">
      <thead><tr><th>${L("arm")}</th><th>${L("exposures")}</th><th>${L("conversions")}</th><th>${L("rate")}</th>
        <th>${L("uplift")}</th><th>${L("ci")}</th><th>${L("p")}</th><th>${L("pAdj")}</th><th>${L("pending")}</th>
        ${admin && html`<th></th>`}</tr></thead>
      <tbody>${d.groups.map((g) => html`<tr data-testid="experiment-group" data-id=${g.arm_id}>
        <td>${g.holdout ? L("holdout") : armName(g.arm_id)}${g.significant ? html` <span class="tag">${L("significant")}</span>` : ""}</td>
        <td>${fmtNumber(g.exposures)}</td><td>${fmtNumber(g.conversions)}</td><td>${pct(g.rate)}</td>
        <td>${g.reference ? "—" : pts(g.uplift)}</td>
        <td>${g.reference || g.ci_low === undefined ? "—" : `${pts(g.ci_low)} … ${pts(g.ci_high)}`}</td>
        <td>${pval(g.p_value)}</td><td>${pval(g.p_adjusted)}</td><td>${fmtNumber(g.pending)}</td>
        ${admin && html`<td>${!g.holdout && (status === "running" || status === "stopped")
          && html`<button class="ghost" disabled=${state.busy} onClick=${() => act("promote", { arm_id: g.arm_id })}>${L("promote")}</button>`}</td>`}
      </tr>`)}</tbody>
    </table>
    ${admin && html`<div class="form-row">
      ${status === "draft" && html`<button disabled=${state.busy} onClick=${() => act("start")} data-testid="experiment-start">${L("start")}</button>`}
      ${status === "running" && html`<button class="ghost" disabled=${state.busy} onClick=${() => act("stop")} data-testid="experiment-stop">${L("stop")}</button>`}
    </div>`}
    ${changed && html`<p class="ok">${L("promotedTo")}${Object.entries(changed).map(([k, v]) => `${L(CHANGED[k] || k)}：${changedValue(k, v)}`).join("；")}</p>`}
    ${state.error && html`<p class="error" data-testid="experiment-action-error">${state.error}</p>`}
  </div>`;
}

function ExperimentsPage() {
  const [reload, setReload] = useState(0);
  const [chosen, setChosen] = useState(null);
  const [message, setMessage] = useState(null);
  const list = useGet("/experiments", reload);
  const rules = useGet("/recall-rules");
  const items = list.data ? list.data.items : [];
  const admin = isAdmin();
  const said = { start: "started", stop: "stoppedMsg", promote: "promotedMsg" };
  return html`<div>
    <h1>${L("title")}</h1>
    <h2>${L("list")}</h2>
    ${list.error && html`<p class="error" data-testid="error">${L.error(list.error)}</p>`}
    ${!admin && html`<p class="muted">${L("adminsOnly")}</p>`}
    ${message && html`<p class="ok" data-testid="experiment-saved">${message}</p>`}
    ${list.data && !items.length && html`<p class="muted" data-testid="experiments-empty">${L("noExperiments")}</p>`}
    ${items.length > 0 && html`<table data-testid="experiments-table">
      <thead><tr><th>${L("name")}</th><th>${L("target")}</th><th>${L("arms")}</th><th>${L("holdoutShare")}</th>
        <th>${L("window")}</th><th>${L("status")}</th><th></th></tr></thead>
      <tbody>${items.map((e) => html`<tr data-testid="experiment-row" data-id=${e.experiment_id} data-status=${e.status}>
        <td>${e.name}</td><td>${ruleName(e.target_id)}</td>
        <td>${e.arms.map((a, i) => html`${i ? "、" : ""}${armName(a.arm_id)}`)}</td>
        <td>${pct(e.holdout_share)}</td><td>${e.window_days}</td>
        <td data-testid="experiment-status">${L(e.status)}${e.promoted_arm ? html` (${armName(e.promoted_arm)})` : ""}</td>
        <td><button class="ghost" onClick=${() => setChosen(e)} data-testid="experiment-open">${L("select")}</button></td>
      </tr>`)}</tbody>
    </table>`}
    ${chosen && html`<${Results} key=${chosen.experiment_id + reload} experiment=${chosen}
      onChanged=${() => setReload((n) => n + 1)} onDone=${(what) => setMessage(L(said[what]))} />`}
    ${admin && rules.data && (rules.data.items.length
      ? html`<${ExperimentForm} key=${"form-" + reload} rules=${rules.data.items}
          onSaved=${(e) => { setMessage(L("saved")); setChosen(e); setReload((n) => n + 1); }} />`
      : html`<p class="muted">${L("noRules")}</p>`)}
  </div>`;
}

export const page = {
  key: "experiments",
  path: "/experiments",
  label: { zh: "A/B 实验", en: "A/B experiments" },
  component: ExperimentsPage,
};

export default page;
