// Follow-ups & risk: today's calls with outcome buttons, patients by lapse risk with their top
// factors, the risk model card and the drop-out curve of each condition (Chart.js line chart).
import { useEffect, useRef, useState } from "preact/hooks";
import {
  CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip,
} from "chart.js";
import { post } from "../api.js";
import { fmtDate, fmtDateTime, fmtNumber, fmtPercent, getLang } from "../i18n.js";
import { html, labels, useAction, useGet, useWriteKey } from "./shared.js";

Chart.register(CategoryScale, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip);

const L = labels({
  zh: {
    title: "随访与流失风险", worklist: "今日随访", noCalls: "今天没有要打的随访电话", patient: "患者",
    conditions: "病种", risk: "流失风险", factors: "主要因素", due: "应随访日", overdue: "逾期 {n} 天",
    last: "上次结果", actions: "结果", reached: "已接通", booked: "已预约", declined: "拒绝", wrong_number: "空号/错号",
    bookingDate: "预约日期", saved: "已记录", atRisk: "高风险患者", none: "暂无评分", model: "风险模型",
    noModel: "暂无模型", version: "版本", trainedAt: "训练时间", auc: "AUC（留出集）", baseline: "仅按距上次就诊天数",
    examples: "样本数", coefficients: "各因素的作用", raises: "升高风险", lowers: "降低风险", dropout: "各病种流失曲线",
    dropoutNote: "就诊后第 d 天已回诊的患者比例", dropoutDay: "流失日", recallDay: "建议召回日", dayN: "第 {n} 天",
    noCurves: "还没有计算流失曲线", more: "下一页", flag: "号码有误",
    plan_changed: "该随访刚被别人记录，请刷新", plan_not_active: "随访计划已暂停或结束",
    booking_date_required: "请填写预约日期",
  },
  en: {
    title: "Follow-ups & risk", worklist: "Today's calls", noCalls: "No follow-up calls due today", patient: "Patient",
    conditions: "Conditions", risk: "Lapse risk", factors: "Top factors", due: "Due", overdue: "{n} days overdue",
    last: "Last outcome", actions: "Outcome", reached: "Reached", booked: "Booked", declined: "Declined",
    wrong_number: "Wrong number", bookingDate: "Booking date", saved: "Recorded", atRisk: "Patients at risk",
    none: "Not scored yet", model: "Risk model", noModel: "No model yet", version: "Version", trainedAt: "Trained",
    auc: "AUC (hold-out)", baseline: "Days since last visit alone", examples: "Examples",
    coefficients: "What each factor does", raises: "raises risk", lowers: "lowers risk",
    dropout: "Drop-out curves by condition", dropoutNote: "Share of patients back by day d after a visit",
    dropoutDay: "Drop-out day", recallDay: "Suggested recall day", dayN: "day {n}", noCurves: "No curves computed yet",
    more: "Next page", flag: "Wrong number on file",
    plan_changed: "Someone just recorded this call; reload", plan_not_active: "The plan is paused or ended",
    booking_date_required: "Enter the booking date",
  },
});

const label = (item) => (getLang() === "en" ? item.label_en : item.label_zh);
const factorText = (factors) => (factors || []).map((f) => `${label(f)} ${f.direction === "raises" ? "↑" : "↓"}`).join("；");
const score = (value) => (value == null ? L("none") : fmtPercent(value));

function CallRow({ row, onDone }) {
  const [state, run] = useAction(L);
  const [booking, setBooking] = useState("");
  const withKey = useWriteKey("followup");
  const record = (outcome) => {
    const body = outcome === "booked" ? { outcome, booking_date: booking || undefined } : { outcome };
    run(() => withKey(body, (headers) => post(`/patients/${row.patient_id}/followup/outcomes`, body, headers)))
      .then((r) => r && onDone());
  };
  return html`<tr data-testid=${"call-" + row.patient_id}>
    <td><a href=${"#/patients/" + row.patient_id}>${row.name_masked}</a>${row.followup_flag && html` <span class="warn">${L("flag")}</span>`}</td>
    <td>${(row.conditions || []).join(", ")}</td>
    <td>${score(row.risk_score)}</td>
    <td>${factorText(row.risk_factors)}</td>
    <td>${fmtDate(row.next_due)}${row.days_overdue > 0 ? " · " + L("overdue", { n: row.days_overdue }) : ""}</td>
    <td>${row.last_outcome ? L(row.last_outcome) : "—"}</td>
    <td>
      ${["reached", "declined", "wrong_number"].map((o) => html`<button disabled=${state.busy} onClick=${() => record(o)}>${L(o)}</button> `)}
      <input type="date" value=${booking} onInput=${(e) => setBooking(e.target.value)} aria-label=${L("bookingDate")} />
      <button disabled=${state.busy} onClick=${() => record("booked")}>${L("booked")}</button>
      ${state.error && html`<div class="error">${state.error}</div>`}
    </td>
  </tr>`;
}

function Worklist() {
  const [reload, setReload] = useState(0);
  const state = useGet("/followups/due", reload);
  if (!state.data) return html`<p>${state.error ? L.error(state.error) : "…"}</p>`;
  if (!state.data.items.length) return html`<p data-testid="no-calls">${L("noCalls")}</p>`;
  return html`<table data-testid="worklist"><thead><tr>
      <th>${L("patient")}</th><th>${L("conditions")}</th><th>${L("risk")}</th><th>${L("factors")}</th>
      <th>${L("due")}</th><th>${L("last")}</th><th>${L("actions")}</th></tr></thead>
    <tbody>${state.data.items.map((row) => html`<${CallRow} key=${row.patient_id} row=${row} onDone=${() => setReload((n) => n + 1)} />`)}</tbody>
  </table>`;
}

function AtRisk() {
  const [cursor, setCursor] = useState("");
  const state = useGet("/risk/patients?limit=20" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
  if (!state.data) return html`<p>${state.error ? L.error(state.error) : "…"}</p>`;
  return html`<div><table data-testid="at-risk"><thead><tr>
      <th>${L("patient")}</th><th>${L("conditions")}</th><th>${L("risk")}</th><th>${L("factors")}</th></tr></thead>
    <tbody>${state.data.items.map((r) => html`<tr>
      <td><a href=${"#/patients/" + r.patient_id}>${r.name_masked}</a></td><td>${r.conditions.join(", ")}</td>
      <td>${score(r.risk_score)}</td><td>${factorText(r.risk_factors)}</td></tr>`)}</tbody></table>
    ${state.data.next_cursor && html`<button onClick=${() => setCursor(state.data.next_cursor)}>${L("more")}</button>`}
  </div>`;
}

function ModelCard() {
  const state = useGet("/risk/model");
  if (!state.data) return html`<p>${state.error ? L.error(state.error) : "…"}</p>`;
  const m = state.data.model;
  if (!m) return html`<p data-testid="no-model">${L("noModel")}: ${state.data.message}</p>`;
  return html`<div data-testid="model-card">
    <p>${L("version")} ${m.version} · ${L("trainedAt")} ${fmtDateTime(m.trained_at)} · ${L("auc")} ${m.auc ?? "—"}
      · ${L("baseline")} ${m.baseline_auc ?? "—"} · ${L("examples")} ${fmtNumber(m.counts.examples)}</p>
    <details><summary>${L("coefficients")}</summary><ul>
      ${m.coefficients.map((c) => html`<li>${label(c)}: ${L(c.direction)} (${c.coefficient})</li>`)}
    </ul></details>
  </div>`;
}

const COLOURS = ["#2f6fdf", "#d9534f", "#5cb85c", "#f0ad4e", "#7952b3", "#17a2b8"];

function Curves() {
  const state = useGet("/risk/dropout");
  const canvas = useRef(null);
  const conditions = state.data ? Object.entries(state.data.conditions) : [];
  useEffect(() => {
    if (!canvas.current || !conditions.length) return undefined;
    const days = conditions[0][1].curve.map((_, d) => d);
    const chart = new Chart(canvas.current, {
      type: "line",
      data: { labels: days, datasets: conditions.map(([name, c], i) => ({
        label: name, data: c.curve, borderColor: COLOURS[i % COLOURS.length], pointRadius: 0, borderWidth: 2 })) },
      options: { scales: { y: { min: 0, max: 1 } }, plugins: { legend: { position: "bottom" } } },
    });
    return () => chart.destroy();
  }, [state.data, getLang()]);
  if (!state.data) return html`<p>${state.error ? L.error(state.error) : "…"}</p>`;
  if (!conditions.length) return html`<p>${L("noCurves")}</p>`;
  return html`<div>
    <p>${L("dropoutNote")}</p>
    <canvas ref=${canvas} data-testid="dropout-chart" height="220"></canvas>
    <table><thead><tr><th>${L("conditions")}</th><th>${L("dropoutDay")}</th><th>${L("recallDay")}</th></tr></thead>
      <tbody>${conditions.map(([name, c]) => html`<tr><td>${name}</td>
        <td>${c.dropout_day == null ? "—" : L("dayN", { n: c.dropout_day })}</td>
        <td>${c.suggested_recall_day == null ? "—" : L("dayN", { n: c.suggested_recall_day })}</td></tr>`)}</tbody></table>
  </div>`;
}

function RiskPage() {
  return html`<div>
    <h1>${L("title")}</h1>
    <h2>${L("worklist")}</h2><${Worklist} />
    <h2>${L("atRisk")}</h2><${AtRisk} />
    <h2>${L("model")}</h2><${ModelCard} />
    <h2>${L("dropout")}</h2><${Curves} />
  </div>`;
}

export default { key: "risk", path: "/risk", label: { zh: "随访与风险", en: "Follow-ups & risk" }, component: RiskPage };
