// The 家庭 section of a patient's page: the household's members (masked names linking to their pages,
// relation and carer marks) and the shared family cleaning card (uses left, 使用一次, granting a card).
import { useState } from "preact/hooks";
import { post } from "../api.js";
import { clinicToday, fmtDate, fmtNumber } from "../i18n.js";
import { html, labels, useAction, useGet, useWriteKey } from "./shared.js";

const L = labels({
  zh: {
    title: "家庭", none: "未加入家庭", members: "成员", name: "姓名", relation: "关系", marks: "照护",
    self: "本人", spouse: "配偶", child: "子女", parent: "父母", grandparent: "祖父母/外祖父母", other: "其他亲属",
    minor: "未成年", caresForPatient: "照护本患者", caredByPatient: "由本患者照护", mayCheckin: "可代打卡",
    getsReminders: "代收提醒", card: "家庭洁牙卡", noCard: "该家庭还没有家庭卡",
    usesLeft: "剩余 {left} / {total} 次", validUntil: "有效期至 {date}", useOnce: "使用一次", used: "已使用 1 次",
    history: "使用记录", date: "日期", by: "使用成员", grant: "发放家庭卡", uses: "次数", until: "有效期至",
    granted: "已发放家庭卡", grantHint: "发放后该家庭的家庭卡从这些次数重新开始",
    card_used_up: "家庭卡次数已用完", card_expired: "家庭卡已过期", no_family_card: "该患者不在家庭中或家庭没有家庭卡",
    invalid_date: "有效期不能早于今天", invalid_input: "输入有误", patient_not_found: "找不到该患者",
    request_in_progress: "正在处理，请稍候", try_again: "请重试",
  },
  en: {
    title: "Household", none: "Not in a household", members: "Members", name: "Name", relation: "Relation",
    marks: "Care", self: "This patient", spouse: "Spouse", child: "Child", parent: "Parent",
    grandparent: "Grandparent", other: "Other relative", minor: "Minor", caresForPatient: "Cares for this patient",
    caredByPatient: "Cared for by this patient", mayCheckin: "Checks in for them", getsReminders: "Gets their reminders",
    card: "Family cleaning card", noCard: "The household has no family card", usesLeft: "{left} of {total} uses left",
    validUntil: "Valid until {date}", useOnce: "Use once", used: "One use recorded", history: "Uses", date: "Date",
    by: "Member", grant: "Grant a family card", uses: "Uses", until: "Valid until", granted: "Family card granted",
    grantHint: "The household's card starts again with these uses",
    card_used_up: "The family card is used up", card_expired: "The family card has expired",
    no_family_card: "The patient is in no household, or it has no family card",
    invalid_date: "The end cannot be before today", invalid_input: "Invalid input", patient_not_found: "No such patient",
    request_in_progress: "In progress, please wait", try_again: "Try again",
  },
});

function marks(m) {
  return [m.minor && L("minor"), m.cares_for_me && L("caresForPatient"), m.i_care_for && L("caredByPatient"),
    m.may_checkin && L("mayCheckin"), m.gets_reminders && L("getsReminders")].filter(Boolean).join(" · ");
}

function CardPanel({ id, card, onChange }) {
  const [uses, setUses] = useState(5);
  const [until, setUntil] = useState(() => `${Number(clinicToday().slice(0, 4)) + 1}${clinicToday().slice(4)}`);
  const [useResult, runUse] = useAction(L);
  const [grantState, runGrant] = useAction(L);
  const keyed = useWriteKey("family-card-use");
  const path = `/patients/${encodeURIComponent(id)}/family-card`;
  const useOnce = async () => {
    const done = await runUse(() => keyed({ id }, (headers) => post(`${path}/use`, {}, headers)), L("used"));
    if (done) onChange();
  };
  const grant = async (event) => {
    event.preventDefault();
    const done = await runGrant(() => post(path, { uses: Number(uses), valid_until: until }), L("granted"));
    if (done) onChange();
  };
  return html`<div data-testid="family-card">
    <h3>${L("card")}</h3>
    ${card ? html`<p data-testid="family-card-left">${L("usesLeft", { left: fmtNumber(card.uses_left), total: fmtNumber(card.uses_total) })}
        ${card.valid_until ? " · " + L("validUntil", { date: fmtDate(card.valid_until) }) : ""}</p>
      <button type="button" onClick=${useOnce} disabled=${useResult.busy || card.uses_left <= 0}
        data-testid="family-card-use">${L("useOnce")}</button>
      ${useResult.error && html`<p class="error" data-testid="family-card-error">${useResult.error}</p>`}
      ${useResult.done && html`<p class="ok" data-testid="family-card-done">${useResult.done}</p>`}
      ${card.used.length ? html`<table data-testid="family-card-uses"><thead><tr><th>${L("date")}</th><th>${L("by")}</th></tr></thead>
        <tbody>${card.used.map((u) => html`<tr><td>${fmtDate(u.date)}</td><td>${u.name}</td></tr>`)}</tbody></table>` : null}`
    : html`<p class="muted" data-testid="family-card-none">${L("noCard")}</p>`}
    <form onSubmit=${grant} data-testid="family-card-grant" title=${L("grantHint")}>
      <div class="form-row">
        <label>${L("uses")}<input type="number" min="1" max="10" required value=${uses}
          onInput=${(e) => setUses(e.target.value)} data-testid="family-card-uses-input" /></label>
        <label>${L("until")}<input type="date" required value=${until} onInput=${(e) => setUntil(e.target.value)}
          data-testid="family-card-until" /></label>
      </div>
      <button type="submit" disabled=${grantState.busy} data-testid="family-card-grant-submit">${L("grant")}</button>
      ${grantState.error && html`<p class="error" data-testid="family-grant-error">${grantState.error}</p>`}
      ${grantState.done && html`<p class="ok" data-testid="family-grant-done">${grantState.done}</p>`}
    </form>
  </div>`;
}

// On a patient's page: the household the patient belongs to, if any.
export function FamilySection({ id }) {
  const [reload, setReload] = useState(0);
  const state = useGet(`/patients/${encodeURIComponent(id)}/family`, reload);
  if (!state.data) return state.error ? html`<p class="error" data-testid="family-error">${L.error(state.error)}</p>` : null;
  const data = state.data;
  return html`<div class="panel section" data-testid="family-section">
    <h2>${L("title")}</h2>
    ${!data.family_id ? html`<p class="muted" data-testid="family-none">${L("none")}</p>` : html`
      <table data-testid="family-members"><thead><tr><th>${L("name")}</th><th>${L("relation")}</th><th>${L("marks")}</th></tr></thead>
        <tbody>${data.members.map((m) => html`<tr data-testid="family-member" data-id=${m.member_id}>
          <td>${m.member_id === id ? m.name
            : html`<a href=${"#/patients/" + encodeURIComponent(m.member_id)} data-testid="family-member-link">${m.name}</a>`}</td>
          <td data-testid="family-relation">${L(m.relation)}</td>
          <td data-testid="family-marks">${marks(m)}</td></tr>`)}</tbody></table>
      <${CardPanel} id=${id} card=${data.card} onChange=${() => setReload((n) => n + 1)} />`}
  </div>`;
}
