// Challenges and vouchers: the clinic's streak challenges (admins define and edit them) and the
// voucher desk, where staff find a voucher by its code and redeem it once.
import { h } from "preact";
import { useEffect, useState } from "preact/hooks";
import htm from "htm";
import { get, post, put, session } from "../api.js";
import { catalogueLabel, checkinTypes, fmtDateTime, fmtNumber, getLang, t } from "../i18n.js";

const html = htm.bind(h);

const TEXT = {
  zh: {
    title: "挑战与券", list: "打卡挑战", create: "新建挑战", edit: "修改挑战", desk: "到店核销",
    id: "编号", name: "名称", nameEn: "英文名称", type: "打卡类型", days: "连续天数", grace: "允许漏打",
    graceNone: "不允许", graceOne: "每轮 1 天", reward: "奖励", voucher: "券", points: "积分",
    voucherKind: "券种编号", voucherName: "券名称", validDays: "有效天数", start: "开始日期", end: "结束日期",
    who: "参与对象", everyone: "所有患者", participants: "参与人数", status: "状态", open: "进行中",
    closed: "已结束", inactive: "已停用", active: "启用", save: "保存", cancel: "取消", editBtn: "修改",
    saved: "已保存", noChallenges: "还没有挑战", daysN: "{n} 天", pointsN: "{n} 积分", validN: "有效 {n} 天",
    code: "券码", lookUp: "查询", redeem: "核销", patient: "患者", validUntil: "有效期至", issuedAt: "发放时间",
    redeemedAt: "核销时间", issued: "未使用", redeemed: "已核销", expired: "已过期", redeemDone: "核销成功",
    voucher_redeemed: "该券已核销过", voucher_expired: "该券已过期", voucher_not_found: "没有这个券码",
    invalid_voucher_code: "券码格式不对（8 位，不含 0、O、1、I、L）", challenge_exists: "编号已存在",
    unknown_condition: "未知病种", editNote: "修改只对之后加入的患者生效，已加入的患者保持加入时的规则。",
    segmentNote: "参与对象暂按病种筛选，后续改为人群。",
  },
  en: {
    title: "Challenges", list: "Streak challenges", create: "New challenge", edit: "Edit challenge",
    desk: "Voucher desk", id: "ID", name: "Name", nameEn: "English name", type: "Check-in type",
    days: "Days in a row", grace: "Missed days allowed", graceNone: "None", graceOne: "1 per streak",
    reward: "Reward", voucher: "Voucher", points: "Points", voucherKind: "Voucher kind", voucherName: "Voucher name",
    validDays: "Valid days", start: "Start", end: "End", who: "Who may join", everyone: "Everyone",
    participants: "Participants", status: "Status", open: "Running", closed: "Ended", inactive: "Inactive",
    active: "Active", save: "Save", cancel: "Cancel", editBtn: "Edit", saved: "Saved",
    noChallenges: "No challenges yet", daysN: "{n} days", pointsN: "{n} points", validN: "valid {n} days",
    code: "Code", lookUp: "Look up", redeem: "Redeem", patient: "Patient", validUntil: "Valid until",
    issuedAt: "Issued", redeemedAt: "Redeemed", issued: "Unused", redeemed: "Redeemed", expired: "Expired",
    redeemDone: "Redeemed", voucher_redeemed: "This voucher was already redeemed",
    voucher_expired: "This voucher has expired", voucher_not_found: "No voucher with this code",
    invalid_voucher_code: "Not a voucher code (8 characters, no 0, O, 1, I or L)",
    challenge_exists: "This ID is taken", unknown_condition: "Unknown condition",
    editNote: "Edits apply to patients who join afterwards; enrolled patients keep the terms they joined under.",
    segmentNote: "Who may join is chosen by condition for now; segments come later.",
  },
};

const L = (key, vars = {}) => {
  const text = TEXT[getLang()][key] ?? TEXT.zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
};

const message = (err) => (err && err.code && TEXT.zh[err.code] ? L(err.code) : (err && err.message) || String(err));

const isAdmin = () => ((session() || {}).roles || []).includes("admin");

function rewardText(reward) {
  if (!reward) return "—";
  if (reward.type === "points") return L("pointsN", { n: fmtNumber(reward.points) });
  const name = getLang() === "en" && reward.voucher_name_en ? reward.voucher_name_en : reward.voucher_name;
  return `${name} (${L("validN", { n: reward.valid_days })})`;
}

function statusText(c) {
  if (!c.active) return L("inactive");
  return c.open ? L("open") : L("closed");
}

const today = () => new Date().toISOString().slice(0, 10);
const addDays = (iso, n) => new Date(Date.parse(iso) + n * 86400000).toISOString().slice(0, 10);

function blankForm() {
  return {
    challenge_id: "", name: "", name_en: "", checkin_type: "glucose", days: 7, grace: 0, reward_type: "voucher",
    voucher_kind: "", voucher_name: "", voucher_name_en: "", valid_days: 30, points: 20,
    start_date: today(), end_date: addDays(today(), 90), conditions: [], active: true,
  };
}

function formFrom(c) {
  const r = c.reward || {};
  return {
    ...blankForm(), challenge_id: c.challenge_id, name: c.name, name_en: c.name_en || "", checkin_type: c.checkin_type,
    days: c.days, grace: c.grace, reward_type: r.type, voucher_kind: r.voucher_kind || "",
    voucher_name: r.voucher_name || "", voucher_name_en: r.voucher_name_en || "", valid_days: r.valid_days || 30,
    points: r.points || 20, start_date: c.start_date, end_date: c.end_date, conditions: c.conditions || [],
    active: c.active,
  };
}

function bodyFrom(f, editing) {
  const reward = f.reward_type === "points"
    ? { type: "points", points: Number(f.points) }
    : { type: "voucher", voucher_kind: f.voucher_kind, voucher_name: f.voucher_name,
        ...(f.voucher_name_en ? { voucher_name_en: f.voucher_name_en } : {}), valid_days: Number(f.valid_days) };
  return {
    ...(editing || !f.challenge_id ? {} : { challenge_id: f.challenge_id }),
    name: f.name, ...(f.name_en ? { name_en: f.name_en } : {}), checkin_type: f.checkin_type, days: Number(f.days),
    grace: Number(f.grace), reward, start_date: f.start_date, end_date: f.end_date, conditions: f.conditions,
    active: f.active,
  };
}

function ChallengeForm({ conditions, initial, editing, onSaved, onCancel }) {
  const [f, setF] = useState(initial);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (key) => (e) => setF({ ...f, [key]: e.target.type === "checkbox" ? e.target.checked : e.target.value });
  const toggle = (cond) => setF({ ...f, conditions: f.conditions.includes(cond)
    ? f.conditions.filter((c) => c !== cond) : [...f.conditions, cond] });
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = bodyFrom(f, editing);
      const reply = editing
        ? await put(`/challenges/${encodeURIComponent(f.challenge_id)}`, body)
        : await post("/challenges", body);
      onSaved(reply.challenge);
    } catch (err) {
      setError(message(err) + (err.field ? ` (${err.field})` : ""));
    } finally {
      setBusy(false);
    }
  };
  return html`<form class="panel" onSubmit=${submit} data-testid="challenge-form">
    <h2>${editing ? L("edit") : L("create")}</h2>
    ${editing && html`<p class="muted">${L("editNote")}</p>`}
    <div class="form-row">
      <label>${L("id")}<input value=${f.challenge_id} onInput=${set("challenge_id")} disabled=${editing}
        pattern="[A-Za-z0-9_\\-]+" maxlength="64" data-testid="challenge-id" /></label>
      <label>${L("name")}<input value=${f.name} onInput=${set("name")} required maxlength="60" data-testid="challenge-name" /></label>
      <label>${L("nameEn")}<input value=${f.name_en} onInput=${set("name_en")} maxlength="60" data-testid="challenge-name-en" /></label>
      <label>${L("type")}<select value=${f.checkin_type} onChange=${set("checkin_type")} data-testid="challenge-type">
        ${checkinTypes(f.checkin_type).map((k) => html`<option value=${k}>${catalogueLabel("checkin_types", k)}</option>`)}</select></label>
      <label>${L("days")}<input type="number" min="1" max="365" value=${f.days} onInput=${set("days")} required data-testid="challenge-days" /></label>
      <label>${L("grace")}<select value=${String(f.grace)} onChange=${set("grace")} data-testid="challenge-grace">
        <option value="0">${L("graceNone")}</option><option value="1">${L("graceOne")}</option></select></label>
    </div>
    <div class="form-row">
      <label>${L("reward")}<select value=${f.reward_type} onChange=${set("reward_type")} data-testid="challenge-reward-type">
        <option value="voucher">${L("voucher")}</option><option value="points">${L("points")}</option></select></label>
      ${f.reward_type === "points" ? html`
        <label>${L("points")}<input type="number" min="1" value=${f.points} onInput=${set("points")} required data-testid="challenge-points" /></label>` : html`
        <label>${L("voucherKind")}<input value=${f.voucher_kind} onInput=${set("voucher_kind")} required pattern="[A-Za-z0-9_\\-]+" data-testid="challenge-voucher-kind" /></label>
        <label>${L("voucherName")}<input value=${f.voucher_name} onInput=${set("voucher_name")} required data-testid="challenge-voucher-name" /></label>
        <label>${L("nameEn")}<input value=${f.voucher_name_en} onInput=${set("voucher_name_en")} data-testid="challenge-voucher-name-en" /></label>
        <label>${L("validDays")}<input type="number" min="1" value=${f.valid_days} onInput=${set("valid_days")} required data-testid="challenge-valid-days" /></label>`}
      <label>${L("start")}<input type="date" value=${f.start_date} onInput=${set("start_date")} required data-testid="challenge-start" /></label>
      <label>${L("end")}<input type="date" value=${f.end_date} onInput=${set("end_date")} required data-testid="challenge-end" /></label>
      <label>${L("active")}<input type="checkbox" checked=${f.active} onChange=${set("active")} data-testid="challenge-active" /></label>
    </div>
    <div class="form-row" data-testid="challenge-conditions">
      <span class="muted">${L("who")}:</span>
      ${conditions.map((c) => html`<label style="flex-direction: row; align-items: center"><input type="checkbox" checked=${f.conditions.includes(c)}
        onChange=${() => toggle(c)} data-testid=${"challenge-condition-" + c} /> ${t(c)}</label>`)}
      <span class="muted">${f.conditions.length ? "" : L("everyone")} · ${L("segmentNote")}</span>
    </div>
    ${error && html`<p class="error" data-testid="challenge-error">${error}</p>`}
    <div class="form-row">
      <button type="submit" disabled=${busy} data-testid="challenge-submit">${L("save")}</button>
      ${editing && html`<button type="button" class="ghost" onClick=${onCancel} data-testid="challenge-cancel">${L("cancel")}</button>`}
    </div>
  </form>`;
}

function ChallengeList({ reload, onEdit }) {
  const [state, setState] = useState({ data: null, error: null });
  useEffect(() => {
    let live = true;
    get("/challenges").then((data) => live && setState({ data, error: null }))
      .catch((error) => live && setState({ data: null, error }));
    return () => { live = false; };
  }, [reload]);
  if (state.error) return html`<p class="error" data-testid="error">${message(state.error)}</p>`;
  if (!state.data) return html`<p class="muted">${t("loading")}</p>`;
  if (!state.data.items.length) return html`<p class="muted" data-testid="challenges-empty">${L("noChallenges")}</p>`;
  const admin = isAdmin();
  return html`<table data-testid="challenges-table">
    <thead><tr><th>${L("name")}</th><th>${L("type")}</th><th>${L("days")}</th><th>${L("grace")}</th>
      <th>${L("reward")}</th><th>${L("start")} – ${L("end")}</th><th>${L("who")}</th><th>${L("participants")}</th>
      <th>${L("status")}</th>${admin && html`<th></th>`}</tr></thead>
    <tbody>${state.data.items.map((c) => html`<tr data-testid="challenge-row" data-id=${c.challenge_id}>
      <td>${getLang() === "en" && c.name_en ? c.name_en : c.name}</td><td>${catalogueLabel("checkin_types", c.checkin_type)}</td>
      <td>${L("daysN", { n: c.days })}</td><td>${c.grace ? L("graceOne") : L("graceNone")}</td>
      <td>${rewardText(c.reward)}</td><td>${c.start_date} – ${c.end_date}</td>
      <td>${c.conditions.length ? c.conditions.map((k) => html`<span class="tag">${t(k)}</span>`) : L("everyone")}</td>
      <td data-testid="challenge-participants">${fmtNumber(c.participants)}</td>
      <td class=${c.open ? "ok" : "muted"}>${statusText(c)}</td>
      ${admin && html`<td><button class="ghost" onClick=${() => onEdit(c)} data-testid="challenge-edit">${L("editBtn")}</button></td>`}
    </tr>`)}</tbody>
  </table>`;
}

function VoucherDesk({ tz, initial }) {
  const [code, setCode] = useState(initial || "");
  const [voucher, setVoucher] = useState(null);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  // the desk may type the code loosely; the API wants its 8 characters
  const path = (c) => `/vouchers/${encodeURIComponent(c.replace(/[\s-]/g, "").toUpperCase())}`;
  const lookUp = async (event, typed = code) => {
    if (event) event.preventDefault();
    setBusy(true);
    setError(null);
    setDone(false);
    setVoucher(null);
    try {
      setVoucher((await get(path(typed))).voucher);
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  };
  const redeem = async () => {
    setBusy(true);
    setError(null);
    try {
      // one key per click: a retried request is answered once, a second click is a second attempt
      const key = `desk-${voucher.voucher_id}-${Date.now()}`;
      setVoucher((await post(`${path(code)}/redeem`, null, { "Idempotency-Key": key })).voucher);
      setDone(true);
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  };
  // a code the patients page's search box recognised (#/challenges?code=...) is looked up at once
  useEffect(() => { if (initial) { setCode(initial); lookUp(null, initial); } }, [initial]);
  const name = voucher && (getLang() === "en" && voucher.name_en ? voucher.name_en : voucher.name);
  return html`<div class="panel" data-testid="voucher-desk">
    <form class="form-row" onSubmit=${lookUp}>
      <label>${L("code")}<input value=${code} onInput=${(e) => setCode(e.target.value)} placeholder="ABCD-EFGH"
        required autocomplete="off" data-testid="voucher-code" /></label>
      <button type="submit" disabled=${busy} data-testid="voucher-lookup">${L("lookUp")}</button>
    </form>
    ${error && html`<p class="error" data-testid="voucher-error">${error}</p>`}
    ${voucher && html`<div data-testid="voucher-card">
      <dl class="profile">
        <dt>${L("code")}</dt><dd data-testid="voucher-card-code">${voucher.code}</dd>
        <dt>${L("name")}</dt><dd data-testid="voucher-name">${name}</dd>
        <dt>${L("patient")}</dt><dd data-testid="voucher-patient">${voucher.patient_name_masked || "—"}</dd>
        <dt>${L("status")}</dt><dd data-testid="voucher-status" class=${voucher.status === "issued" ? "ok" : "no"}>${L(voucher.status)}</dd>
        <dt>${L("issuedAt")}</dt><dd>${fmtDateTime(voucher.issued_at, tz)}</dd>
        <dt>${L("validUntil")}</dt><dd data-testid="voucher-valid-until">${voucher.valid_until}</dd>
        ${voucher.redeemed_at && html`<dt>${L("redeemedAt")}</dt><dd data-testid="voucher-redeemed-at">${fmtDateTime(voucher.redeemed_at, tz)}</dd>`}
      </dl>
      ${done && html`<p class="ok" data-testid="voucher-result">${L("redeemDone")}</p>`}
      <button disabled=${busy || voucher.status !== "issued"} onClick=${redeem} data-testid="voucher-redeem">${L("redeem")}</button>
    </div>`}
  </div>`;
}

function ChallengesPage({ route }) {
  const [reload, setReload] = useState(0);
  const [editing, setEditing] = useState(null);
  const [saved, setSaved] = useState(false);
  const [clinic, setClinic] = useState(null);
  useEffect(() => { get("/clinic").then(setClinic).catch(() => setClinic(null)); }, []);
  const onSaved = () => { setSaved(true); setEditing(null); setReload((n) => n + 1); };
  return html`<div>
    <h1>${L("title")}</h1>
    <h2>${L("list")}</h2>
    <${ChallengeList} reload=${reload} onEdit=${(c) => { setSaved(false); setEditing(c); }} />
    ${isAdmin() && html`<div style="margin-top: 16px">
      ${saved && html`<p class="ok" data-testid="challenge-saved">${L("saved")}</p>`}
      <${ChallengeForm} key=${editing ? "edit-" + editing.challenge_id : "new-" + reload} conditions=${clinic ? clinic.conditions : []}
        initial=${editing ? formFrom(editing) : blankForm()} editing=${!!editing} onSaved=${onSaved}
        onCancel=${() => setEditing(null)} />
    </div>`}
    <h2>${L("desk")}</h2>
    <${VoucherDesk} tz=${clinic ? clinic.tz : undefined}
      initial=${new URLSearchParams((route || "").split("?")[1] || "").get("code") || ""} />
  </div>`;
}

export const page = {
  key: "challenges",
  path: "/challenges",
  label: { zh: "挑战与券", en: "Challenges" },
  component: ChallengesPage,
};

export default page;
