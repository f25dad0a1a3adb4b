// The uplift model card on the risk page: whom a marketing reminder actually moves, how well the
// model ranks them on patients it never saw (Qini against a random order and against ranking by
// lapse risk), how many reminders it learned from, and which recall rules target by it; or why
// there is no model (then those rules reach everyone).
import { fmtDateTime, fmtNumber, t } from "../i18n.js";
import { html, labels, useGet } from "./shared.js";

const L = labels({
  zh: {
    meaning: "预测提升 = 收到提醒时回诊的可能 − 不提醒时回诊的可能（{n} 天内）。按它排序，先提醒“提醒了才会来”的患者，而不是无论如何都会来、或无论如何都不来的患者。",
    noModel: "暂无提升模型", version: "版本", trainedAt: "训练时间", examples: "样本数",
    reminded: "收到提醒", heldOut: "未提醒（对照）", sources: "来源", experiment: "A/B 实验的对照组", clinic_holdout: "长期对照组",
    qini: "Qini 系数（每千名患者多带来的复诊）", byModel: "按预测提升排序", byRisk: "按流失风险排序", byRandom: "随机顺序",
    noRisk: "没有流失风险模型可比较", top: "只提醒前 {share}：每千名患者多带来的复诊", evaluated: "以上数字来自 {n} 个没有参与训练的样本",
    rules: "按提升定向的召回规则", noRules: "还没有召回规则按提升定向",
    fallback: "当前没有提升模型：这些规则照常发给所有人。",
    active: "预测提升不高于阈值（默认 {x}）的患者不发这些营销召回；服务类提醒从不因此不发。",
    too_few_examples: "随机决定是否提醒的样本不足：提醒组和对照组各需至少 50 个已满观察期的样本",
    one_outcome: "提醒组或对照组的结果全部相同", too_few_to_evaluate: "留出的样本太少，无法评估模型",
    not_trained_yet: "尚未训练（每天与流失风险模型一同训练）", lastRun: "上次训练",
    title: "提醒提升模型：谁会因为提醒而回诊",
  },
  en: {
    meaning: "Predicted uplift = chance of a revisit within {n} days if reminded − if not. Ranking by it reminds first the patients who come because of the reminder, not those who come anyway or never.",
    noModel: "No uplift model yet", version: "Version", trainedAt: "Trained", examples: "Examples",
    reminded: "Reminded", heldOut: "Not reminded (control)", sources: "Sources", experiment: "A/B experiment holdouts",
    clinic_holdout: "Lasting holdout", qini: "Qini coefficient (extra revisits per 1,000 patients)",
    byModel: "By predicted uplift", byRisk: "By lapse risk", byRandom: "Random order", noRisk: "No risk model to compare with",
    top: "Reminding only the top {share}: extra revisits per 1,000 patients",
    evaluated: "Figures from {n} examples not used in training", rules: "Recall rules targeting by uplift",
    noRules: "No recall rule targets by uplift yet", fallback: "No uplift model now: these rules reach everyone.",
    active: "Patients whose predicted uplift is at or below the threshold (default {x}) get none of these marketing recalls; service reminders are never withheld by it.",
    too_few_examples: "Too few reminders decided by chance: each group needs at least 50 examples whose window has closed",
    one_outcome: "The reminded or the control examples all had the same outcome",
    too_few_to_evaluate: "Too few held-out examples to judge a model",
    not_trained_yet: "Not trained yet (it trains daily with the risk model)", lastRun: "Last run",
    title: "Uplift model: who comes back because of a reminder",
  },
});

const perThousand = (value) => (value == null ? "—" : fmtNumber(Math.round(value * 10000) / 10));

export function UpliftCard() {
  const state = useGet("/risk/uplift-model");
  if (!state.data) {
    return state.error ? html`<p class="error" data-testid="error">${L.error(state.error)}</p>`
      : html`<p class="muted">${t("loading")}</p>`;
  }
  const d = state.data;
  const m = d.model;
  const run = d.last_run;
  const rules = html`<p data-testid="uplift-rules">${d.targeting_rules.length
    ? html`${L("rules")}：${d.targeting_rules.join("、")}。${d.targeting_active
      ? L("active", { x: fmtNumber(d.default_threshold) }) : L("fallback")}`
    : L("noRules")}</p>`;
  if (!m) {
    const reason = (run && run.reason) || "not_trained_yet";
    return html`<div class="panel" data-testid="uplift-card">
      <p class="muted" data-testid="no-uplift-model" data-reason=${reason}>${L("noModel")}：${L(reason)}
        ${run && html` · ${L("lastRun")} ${fmtDateTime(run.at)}`}</p>
      ${rules}
    </div>`;
  }
  const ev = m.evaluation || {};
  const c = m.counts || {};
  const sources = Object.entries(c.sources || {}).map(([k, n]) => `${L(k)} ${fmtNumber(n)}`).join("，");
  return html`<div class="panel" data-testid="uplift-card">
    <p>${L("meaning", { n: fmtNumber(m.window_days) })}</p>
    <div class="cards">
      <div class="card"><div class="label">${L("version")}</div><div class="value" data-testid="uplift-version">${m.version}</div></div>
      <div class="card"><div class="label">${L("examples")}</div><div class="value" data-testid="uplift-examples">${fmtNumber(c.examples)}</div>
        <div class="muted">${L("reminded")} ${fmtNumber(c.reminded)} · ${L("heldOut")} ${fmtNumber(c.held_out)}</div></div>
      <div class="card"><div class="label">${L("qini")}</div><div class="value" data-testid="uplift-qini">${perThousand(ev.qini)}</div>
        <div class="muted">${L("byRandom")} ${perThousand(ev.qini_random)} · ${ev.qini_risk == null ? L("noRisk")
          : html`${L("byRisk")} <span data-testid="uplift-qini-risk">${perThousand(ev.qini_risk)}</span>`}</div></div>
    </div>
    <table data-testid="uplift-top"><thead><tr><th></th><th>${L("top", { share: `${Math.round((ev.top_share || 0.2) * 100)}%` })}</th></tr></thead>
      <tbody>
        <tr><td>${L("byModel")}</td><td>${perThousand(ev.top_extra)}</td></tr>
        <tr><td>${L("byRisk")}</td><td>${ev.top_extra_risk == null ? L("noRisk") : perThousand(ev.top_extra_risk)}</td></tr>
        <tr><td>${L("byRandom")}</td><td>${perThousand(ev.top_extra_random)}</td></tr>
      </tbody></table>
    <p class="muted">${L("trainedAt")} ${fmtDateTime(m.trained_at)} · ${L("evaluated", { n: fmtNumber(ev.examples) })}
      ${sources && html` · ${L("sources")}：${sources}`}</p>
    ${rules}
  </div>`;
}

export function UpliftSection() {
  return html`<h2>${L("title")}</h2><${UpliftCard} />`;
}
