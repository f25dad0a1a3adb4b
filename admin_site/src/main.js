// The admin site: sign-in, dashboard with charts, patients, a patient's page, segments, reminder log.
import { h, render } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import htm from "htm";
import {
  ArcElement, BarController, BarElement, CategoryScale, Chart, DoughnutController, Legend, LinearScale, LineController,
  LineElement, PointElement, Tooltip,
} from "chart.js";
import { ApiError, get, session, signIn, signOut, takeSignOutReason } from "./api.js";
import { fmtDate, fmtDateTime, fmtNumber, fmtPercent, getLang, setClinicZone, setLang, t } from "./i18n.js";
import { errorText, setClinicCatalogue } from "./i18n.js";
import { EXTRA_PAGES } from "./pages/index.js";
import imports from "./pages/imports.js";
import { Patient } from "./pages/patient.js";
import { hasRole, localName, worksWithPatients } from "./pages/shared.js";
import { WecomLogin, useStaffProviders } from "./pages/wecom_login.js";
import { Patients } from "./pages/desk.js";

Chart.register(ArcElement, BarController, BarElement, CategoryScale, DoughnutController, Legend, LinearScale, LineController,
  LineElement, PointElement, Tooltip);
const html = htm.bind(h);

function useRoute() {
  const [hash, setHash] = useState(window.location.hash || "#/dashboard");
  useEffect(() => {
    const onChange = () => setHash(window.location.hash || "#/dashboard");
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return hash.replace(/^#/, "");
}

// The last page asked for, so that signing in again after a 401 (or opening a link while signed
// out) lands there rather than on the dashboard.
let wantedRoute = null;

// Page state that should survive a visit to a patient and back (list pages, the last segment
// query), keyed "<page>" or "<page>:<what>". The side nav starts a page afresh; the browser's back
// button and a patient's back link return to it as it was. It belongs to one user: sign-out, or
// someone else signing in, clears it.
const memory = new Map();
let memoryOwner = null;

function forget() {
  memory.clear();
  wantedRoute = null;
}

function forgetPage(page) {
  for (const key of [...memory.keys()]) if (key === page || key.startsWith(page + ":")) memory.delete(key);
}

// The clinic (name, zone, conditions) is read once per signed-in user and shared by every page.
let clinicCache = { key: null, promise: null };

function loadClinic() {
  const who = session() || {};
  const key = `${who.clinicId}/${who.username}`;
  if (clinicCache.key !== key) {
    // The platform's operators belong to no clinic: their shell names the platform instead.
    const promise = hasRole("operator") ? Promise.resolve({ name: t("platform"), tz: "Asia/Shanghai", conditions: [] })
      : get("/clinic").then((clinic) => {
        setClinicZone(clinic.tz);
        setClinicCatalogue(clinic.catalogue);
        return clinic;
      });
    promise.catch(() => { if (clinicCache.promise === promise) clinicCache = { key: null, promise: null }; });
    clinicCache = { key, promise };
  }
  return clinicCache.promise;
}

function useClinic() {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  useEffect(() => {
    let live = true;
    loadClinic()
      .then((data) => live && setState({ data, error: null, loading: false }))
      .catch((error) => live && setState({ data: null, error, loading: false }));
    return () => { live = false; };
  }, []);
  return state;
}

// GET `path`; a change of `reload` reads the same path again and keeps what is shown meanwhile.
function useApi(path, reload = 0) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const shown = useRef(path);
  useEffect(() => {
    let live = true;
    const again = shown.current === path;
    shown.current = path;
    setState((s) => (again && s.data ? { ...s, loading: true } : { data: null, error: null, loading: true }));
    get(path)
      .then((data) => live && setState({ data, error: null, loading: false }))
      .catch((error) => live && setState({ data: null, error, loading: false }));
    return () => { live = false; };
  }, [path, reload]);
  return state;
}

function Status({ state }) {
  if (state.loading) return html`<p class="muted">${t("loading")}</p>`;
  if (state.error) return html`<p class="error" data-testid="error">${errorText(state.error)}</p>`;
  return null;
}

function LangSwitch({ onChange }) {
  const toggle = () => { setLang(getLang() === "en" ? "zh" : "en"); onChange(); };
  return html`<button class="ghost" data-testid="lang-switch" onClick=${toggle}>${t("language")}</button>`;
}

// Sign-in refusals and ended sessions in the staff member's words; other codes fall back to the
// generic failure, never to the API's English message.
const AUTH_CODES = ["invalid_credentials", "account_disabled", "account_unknown", "session_revoked", "role_changed",
  "token_expired", "challenge_required", "new_password_required", "weak_password"];
const authMessage = (code) => (AUTH_CODES.includes(code) ? t("auth_" + code) : t("loginFailed"));

function Login({ onLang }) {
  const [error, setError] = useState(() => {
    const reason = takeSignOutReason();
    return reason ? authMessage(reason) : null;
  });
  const [busy, setBusy] = useState(false);
  // An invited account signs in first with its temporary password, then chooses its own.
  const [choosing, setChoosing] = useState(false);
  const providers = useStaffProviders();
  const enter = (who) => {
    const owner = `${who.clinicId}/${who.username}`;
    if (memoryOwner !== null && memoryOwner !== owner) forget();
    memoryOwner = owner;
    const next = wantedRoute || (hasRole("operator") ? "/clinics" : "/dashboard");
    wantedRoute = null;
    window.location.hash = "#" + next;
  };
  const submit = async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    if (choosing && form.get("newPassword") !== form.get("newPassword2")) {
      setError(t("passwordsDiffer"));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      enter(await signIn(String(form.get("username")), String(form.get("password")),
        choosing ? String(form.get("newPassword")) : undefined));
    } catch (err) {
      if (err instanceof ApiError && err.code === "new_password_required") setChoosing(true);
      setError(err instanceof ApiError ? authMessage(err.code) : t("loginFailed"));
    } finally {
      setBusy(false);
    }
  };
  if (providers && providers.staff_identity === "wecom") {
    return html`<${WecomLogin} wecom=${providers.wecom} onSignedIn=${enter}>
      <h1>${t("appName")}</h1>
      ${error && html`<p class="error">${error}</p>`}
      <div class="lang"><${LangSwitch} onChange=${onLang} /></div>
    <//>`;
  }
  return html`<form class="login" onSubmit=${submit}>
    <h1>${t("appName")}</h1>
    <label for="u">${t("username")}</label>
    <input id="u" name="username" autocomplete="username" required data-testid="login-username" />
    <label for="p">${t("password")}</label>
    <input id="p" name="password" type="password" autocomplete="current-password" required data-testid="login-password" />
    ${choosing && html`<label for="np">${t("newPassword")}</label>
    <input id="np" name="newPassword" type="password" autocomplete="new-password" required minlength="10"
      data-testid="login-new-password" />
    <p class="muted">${t("passwordRule")}</p>
    <label for="np2">${t("newPassword2")}</label>
    <input id="np2" name="newPassword2" type="password" autocomplete="new-password" required minlength="10"
      data-testid="login-new-password2" />`}
    ${error && html`<p class="error" data-testid="login-error">${error}</p>`}
    <button type="submit" disabled=${busy} data-testid="login-submit">${t("signIn")}</button>
    <div class="lang"><${LangSwitch} onChange=${onLang} /></div>
  </form>`;
}

function Shell({ route, onLang, children }) {
  const clinic = useClinic();
  // On a narrow screen (a phone at the desk) the navigation folds behind a menu button.
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => setMenuOpen(false), [route]);
  const link = (to, key) => html`<a href=${"#" + to} data-testid=${"nav-" + key} onClick=${() => forgetPage(key)}
      class=${route.startsWith(to) ? "active" : ""}>${t(key)}</a>`;
  const out = () => { signOut(); forget(); window.location.hash = "#/login"; };
  return html`<div>
    <header class="topbar">
      <button class="ghost menu-toggle" aria-expanded=${menuOpen ? "true" : "false"} aria-controls="side-nav"
        data-testid="menu-toggle" onClick=${() => setMenuOpen(!menuOpen)}>${t("menu")}</button>
      <span class="brand">${t("appName")}</span>
      <span class="clinic" data-testid="clinic-name">${clinic.data ? clinic.data.name : ""}</span>
      <span class="spacer"></span>
      <span class="muted" data-testid="user">${(session() || {}).username || ""}
        ${((session() || {}).roles || []).map((role) => html` · <span data-testid="user-role">${t("role_" + role)}</span>`)}</span>
      <${LangSwitch} onChange=${onLang} />
      <button class="ghost" data-testid="signout" onClick=${out}>${t("signOut")}</button>
    </header>
    <div class="layout">
      <nav class=${"side" + (menuOpen ? " open" : "")} id="side-nav" aria-label=${t("menu")}>
        ${!hasRole("operator") && link("/dashboard", "dashboard")}
        ${worksWithPatients() && html`${link("/patients", "patients")}<a href=${"#" + imports.path}
          data-testid=${"nav-" + imports.key} onClick=${() => forgetPage(imports.key)}
          class=${route.startsWith(imports.path) ? "active" : ""}>${imports.label[getLang()]}</a>${link("/segments", "segments")}${link("/reminders", "reminders")}`}
        ${EXTRA_PAGES.filter((p) => (p.roles ? hasRole(...p.roles) : !hasRole("operator"))).map((p) => html`<a href=${"#" + p.path} data-testid=${"nav-" + p.key}
            class=${route.startsWith(p.path) ? "active" : ""}>${p.label[getLang()]}</a>`)}
      </nav>
      <main>${clinic.loading ? html`<${Status} state=${clinic} />` : children}</main>
    </div>
  </div>`;
}

function ChartBox({ testid, config }) {
  const canvas = useRef(null);
  useEffect(() => {
    const chart = new Chart(canvas.current, config);
    return () => chart.destroy();
  }, [JSON.stringify(config.data), getLang()]);
  return html`<canvas ref=${canvas} data-testid=${testid} height="220"></canvas>`;
}

// The dashboard's cards: [testid, label, kind, figure, unit]. A rate shows its counts under it
// ("x / y", from kpis.basis) and what is still inside its observation window ("统计中"); every
// card says what it counts in a line under it (and in full as its tooltip).
const CARDS = [
  ["kpi-patients", "kpiPatients", "count", "patients"],
  ["kpi-revisit-30", "kpiRevisit30", "rate", "revisit_rate_30", "unitRequests"],
  ["kpi-revisit-90", "kpiRevisit90", "rate", "revisit_rate_90", "unitRequests"],
  ["kpi-checkins-today", "kpiCheckins", "count", "checkins_today", "unitPatients"],
  ["kpi-points-issued", "kpiIssued", "count", "points_issued"],
  ["kpi-points-redeemed", "kpiRedeemed", "count", "points_redeemed"],
  ["kpi-reminders-sent", "kpiReminders", "count", "reminders_sent"],
  ["kpi-new-patients", "kpiNewPatients", "count", "new_patients_90", "unitPatients"],
  ["kpi-referral-share", "kpiReferralShare", "rate", "referral_share_90", "unitPatients"],
  ["kpi-recheck-rate", "kpiRecheck", "rate", "annual_recheck_rate", "unitPatients"],
  ["kpi-silent-share", "kpiSilentShare", "rate", "silent_share", "unitPatients"],
  ["kpi-reminder-conversion", "kpiReminderConversion", "rate", "reminder_conversion_90", "unitMessages"],
  ["kpi-postpartum-checkup", "kpiPostpartum", "rate", "postpartum_checkup_rate", "unitRequests"],
  ["kpi-silent-reactivation", "kpiReactivation", "rate", "silent_reactivation_rate_90", "unitMessages"],
  ["kpi-package-renewal", "kpiRenewal", "rate", "package_renewal_rate_12m", "unitPackages"],
  ["kpi-followup-calls", "kpiCalls", "count", "followup_calls_30"],
  ["kpi-followup-reach", "kpiReach", "rate", "followup_reach_rate_30", "unitCalls"],
  ["kpi-show-rate", "kpiShowRate", "rate", "show_rate_30", "unitBookings"],
  ["kpi-no-show-rate", "kpiNoShowRate", "rate", "no_show_rate_30", "unitBookings"],
  ["kpi-reminder-to-booking", "kpiReminderToBooking", "count", "reminder_to_booking_days"],
];

// What a count card is out of (the rates take theirs from kpis.basis).
function countBasis(key, kpis) {
  if (key === "checkins_today" || key === "new_patients_90") return { hits: kpis[key], decided: kpis.patients };
  return null;
}

// The engine's total effect: the revisit rate of patients who receive marketing messages against
// the clinic's lasting holdout's, in percentage points with its 95% interval.
function HoldoutCard({ effect }) {
  if (!effect) return null;
  const points = (v) => (Math.round(v * 1000) / 10).toFixed(1);
  const what = t("holdoutWhat", { share: fmtPercent(effect.share), days: fmtNumber(effect.period_days) });
  const { reached: a, held_out: b } = effect;
  return html`<div class="card wide" title=${what} data-testid="kpi-holdout-card">
    <div class="label">${t("kpiHoldout")}</div>
    ${effect.difference == null
      ? html`<div class="value counting" data-testid="kpi-holdout">${t("holdoutNone")}</div>`
      : html`<div class="value" data-testid="kpi-holdout">${t("holdoutPoints", {
          sign: effect.difference > 0 ? "+" : "", x: points(effect.difference) })}</div>
        <div class="basis" data-testid="kpi-holdout-interval">${t("holdoutInterval", {
          low: points(effect.ci_low), high: points(effect.ci_high) })}</div>`}
    <div class="basis" data-testid="kpi-holdout-groups">${t("holdoutGroups", {
      a: a.rate == null ? "—" : fmtPercent(a.rate), ah: fmtNumber(a.hits), ad: fmtNumber(a.decided),
      b: b.rate == null ? "—" : fmtPercent(b.rate), bh: fmtNumber(b.hits), bd: fmtNumber(b.decided) })}</div>
    <div class="what">${what}</div>
  </div>`;
}

function Card({ id, label, kind, figure, unit, kpis, silentDays }) {
  const basis = kind === "rate" ? (kpis.basis || {})[figure] : countBasis(figure, kpis);
  const pending = basis ? basis.pending || 0 : 0;
  const counting = kind === "rate" && kpis[figure] == null && pending > 0;
  const value = kind === "rate" ? (counting ? t("counting") : fmtPercent(kpis[figure])) : fmtNumber(kpis[figure]);
  const vars = { n: fmtNumber(silentDays), sent90: fmtNumber(kpis.reminders_sent_90),
    issued: fmtNumber(kpis.points_issued) };
  const what = t("what_" + figure, vars);
  const extra = figure === "reminders_sent" ? t("sent90", vars) : figure === "points_redeemed" && kpis.points_issued
    ? t("ofIssued", { pct: fmtPercent(kpis.points_redeemed / kpis.points_issued) })
    : figure === "reminder_to_booking_days" ? t("reminderBookingsN", { n: fmtNumber(kpis.reminder_bookings || 0) }) : null;
  return html`<div class="card" title=${what} data-testid=${id + "-card"}>
    <div class="label">${t(label)}</div>
    <div class=${"value" + (counting ? " counting" : "")} data-testid=${id}>${value}</div>
    ${basis && basis.decided != null && html`<div class="basis" data-testid=${id + "-basis"}>${
      t("outOf", { x: fmtNumber(basis.hits), y: fmtNumber(basis.decided), unit: unit ? t(unit) : "" })}${
      pending > 0 ? html` · <span class="pending" data-testid=${id + "-pending"}>${t("pendingN", { n: fmtNumber(pending), unit: t(unit) })}</span>` : ""}</div>`}
    ${extra && html`<div class="basis">${extra}</div>`}
    <div class="what">${what}</div>
  </div>`;
}

// A weekly line whose last weeks are still inside their window: solid where every item of the
// week is decided, dashed where part is still pending, no point where nothing is decided yet.
function windowedLine(rows, label, color) {
  return {
    label, data: rows.map((w) => (w.decided > 0 ? pct(w.rate) : null)), borderColor: color, backgroundColor: color,
    spanGaps: true, // over weeks without any item; the open weeks at the end stay without a point
    pointStyle: rows.map((w) => (w.pending > 0 ? "rectRot" : "circle")),
    segment: { borderDash: (ctx) => (rows[ctx.p1DataIndex] && rows[ctx.p1DataIndex].pending > 0 ? [6, 4] : undefined) },
  };
}

const pct = (v) => (v == null ? null : Math.round(v * 1000) / 10);

function Dashboard() {
  const state = useApi("/dashboard");
  if (!state.data) return html`<h1>${t("dashboard")}</h1><${Status} state=${state} />`;
  const { kpis, charts, generated_at: at, clinic } = state.data;
  const silentDays = kpis.silent_days || clinic.silent_days;
  const percentAxis = { beginAtZero: true, max: 100, ticks: { callback: (v) => `${v}%` } };
  const weeklyRevisit = charts.weekly_revisit || [];
  const weeklyReminders = charts.weekly_reminders || [];
  const departments = charts.revisit_by_department || [];
  const segmentRates = charts.revisit_by_segment || [];
  const daily = charts.daily || [];
  const challengeRows = (charts.challenge_revisit_180 || []).filter((r) => r.joined.decided + r.not_joined.decided
    + r.joined.pending + r.not_joined.pending > 0);
  const sources = charts.conversion_by_source || [];
  const silence = charts.silence || [];
  const silentCount = silence.filter((r) => r.silent).reduce((n, r) => n + r.count, 0);
  const openWeeks = weeklyRevisit.filter((w) => w.pending > 0);
  const openReminders = weeklyReminders.reduce((n, w) => n + (w.pending || 0), 0);
  const conditions = charts.conditions || [];
  const palette = ["#0f766e", "#2563eb", "#d97706", "#db2777", "#7c3aed", "#65a30d", "#64748b"];
  const rateTooltip = (rows) => ({ callbacks: { afterLabel: (ctx) => {
    const r = rows[ctx.dataIndex];
    return r ? t("outOf", { x: fmtNumber(r.hits), y: fmtNumber(r.decided), unit: "" })
      + (r.pending ? " · " + t("pendingN", { n: fmtNumber(r.pending), unit: "" }) : "") : "";
  } } });
  const sourceName = (r) => (r.kind === "content" ? `${t("kind_content_path")} · ${r.name ? localName(r) : r.source_id}`
    : r.kind === "checkup" ? `${t("kind_checkup")} · ${coded("checkup_", r.source_id)}`
    : `${t("kind_recall")} · ${t("rule_" + r.source_id) === "rule_" + r.source_id ? r.source_id : t("rule_" + r.source_id)}`);
  return html`<div>
    <h1>${t("dashboard")}</h1>
    ${at ? html`<p class="muted">${t("generatedAt")} ${fmtDateTime(at, clinic.tz)} · ${t("windowNote")}</p>`
         : html`<p class="muted" data-testid="kpi-missing">${t("notComputed")}</p>`}
    ${at && clinic.silent_days !== kpis.silent_days && kpis.silent_days != null && html`<p class="muted" data-testid="silent-changed">${
      t("silentChanged", { n: fmtNumber(clinic.silent_days) })}</p>`}
    <div class="cards">${CARDS.map(([id, label, kind, figure, unit]) => html`<${Card} id=${id} label=${label}
      kind=${kind} figure=${figure} unit=${unit} kpis=${kpis} silentDays=${silentDays} />`)}
      <${HoldoutCard} effect=${kpis.holdout_effect} /></div>
    <div class="charts">
      <div class="panel"><h2>${t("chartSilence", { n: fmtNumber(silentDays) })}</h2>
        <${ChartBox} testid="chart-silence" config=${{
          type: "bar",
          data: { labels: silence.map((r) => r.bucket), datasets: [{ label: t("patientCount"), data: silence.map((r) => r.count),
            backgroundColor: silence.map((r) => (r.silent ? "#64748b" : "#0f766e")) }] },
          options: {
            plugins: { legend: { display: false } }, animation: false,
            scales: { x: { title: { display: true, text: t("silenceAxis") } }, y: { beginAtZero: true, ticks: { precision: 0 } } },
          },
        }} />
        <p class="note" data-testid="silence-note">${t("silenceNote", { n: fmtNumber(silentDays), count: fmtNumber(silentCount) })}</p></div>
      <div class="panel"><h2>${t("chartConditions")}</h2>
        <${ChartBox} testid="chart-conditions" config=${{
          type: "doughnut",
          data: { labels: conditions.map((r) => t(r.condition)), datasets: [{ data: conditions.map((r) => r.count), backgroundColor: palette }] },
          options: { animation: false },
        }} /></div>
      <div class="panel"><h2>${t("chartWeeklyRevisit")}</h2>
        <${ChartBox} testid="chart-weekly-revisit" config=${{
          type: "line",
          data: { labels: weeklyRevisit.map((w) => w.week.slice(5)), datasets: [windowedLine(weeklyRevisit, t("revisitRate"), "#0f766e")] },
          options: { animation: false, plugins: { legend: { display: false }, tooltip: rateTooltip(weeklyRevisit) },
            scales: { y: percentAxis, x: { ticks: { color: (ctx) => (weeklyRevisit[ctx.index] && weeklyRevisit[ctx.index].pending > 0
              ? "#b45309" : "#6b7280") } } } },
        }} />
        ${openWeeks.length > 0 && html`<p class="note" data-testid="weekly-revisit-pending">${t("weeklyPending", {
          weeks: openWeeks.length, n: fmtNumber(openWeeks.reduce((n, w) => n + w.pending, 0)) })}</p>`}</div>
      <div class="panel"><h2>${t("chartDepartments")}</h2>
        <${ChartBox} testid="chart-departments" config=${{
          type: "bar",
          data: { labels: departments.map((r) => t(r.group)), datasets: [
            { label: t("revisitRate"), data: departments.map((r) => pct(r.rate)), backgroundColor: "#2563eb" },
          ] },
          options: { animation: false, plugins: { legend: { display: false }, tooltip: rateTooltip(departments) },
            scales: { y: percentAxis } },
        }} /></div>
      <div class="panel"><h2>${t("chartSegments")}</h2>
        <${ChartBox} testid="chart-segments" config=${{
          type: "bar",
          data: { labels: segmentRates.map((r) => localName(r)), datasets: [
            { label: t("revisitRate"), data: segmentRates.map((r) => pct(r.rate)), backgroundColor: "#7c3aed" },
          ] },
          options: { animation: false, indexAxis: "y", plugins: { legend: { display: false }, tooltip: rateTooltip(segmentRates) },
            scales: { x: percentAxis } },
        }} /></div>
      <div class="panel"><h2>${t("chartWeeklyReminders")}</h2>
        <${ChartBox} testid="chart-weekly-reminders" config=${{
          type: "bar",
          data: { labels: weeklyReminders.map((w) => w.week.slice(5)), datasets: [
            { label: t("remindersDecided"), data: weeklyReminders.map((w) => w.decided), backgroundColor: "#94a3b8", stack: "sent" },
            { label: t("remindersPending"), data: weeklyReminders.map((w) => w.pending), backgroundColor: "#e2e8f0", stack: "sent" },
            { label: t("remindersConverted"), data: weeklyReminders.map((w) => w.hits), backgroundColor: "#d97706", stack: "hit" },
          ] },
          options: { animation: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
        }} />
        ${openReminders > 0 && html`<p class="note" data-testid="weekly-reminders-pending">${t("remindersPendingNote", { n: fmtNumber(openReminders) })}</p>`}</div>
      <div class="panel"><h2>${t("chartDaily")}</h2>
        <${ChartBox} testid="chart-daily" config=${{
          type: "line",
          data: { labels: daily.map((d) => d.day.slice(5)), datasets: [
            { label: t("kpiSilentShare"), data: daily.map((d) => pct(d.silent_share)), borderColor: "#64748b" },
            { label: t("kpiRevisit30"), data: daily.map((d) => pct(d.revisit_rate_30)), borderColor: "#0f766e" },
            { label: t("kpiReminderConversion"), data: daily.map((d) => pct(d.reminder_conversion_90)), borderColor: "#d97706" },
          ] },
          options: { animation: false, scales: { y: percentAxis } },
        }} /></div>
    </div>
    ${challengeRows.length > 0 && html`<div class="panel"><h2>${t("challengeRevisit")}</h2>
      <p class="note">${t("challengeNote")}</p>
      <table data-testid="challenge-revisit"><thead><tr><th>${t("challengeName")}</th><th>${t("joinedRate")}</th>
        <th>${t("notJoinedRate")}</th></tr></thead>
        <tbody>${challengeRows.map((r) => html`<tr data-testid="challenge-revisit-row">
          <td>${getLang() === "en" && r.name_en ? r.name_en : r.name || r.challenge_id}</td>
          ${[r.joined, r.not_joined].map((g) => html`<td>${g.rate == null && g.pending ? t("counting") : fmtPercent(g.rate)}
            <span class="muted">(${t("outOf", { x: fmtNumber(g.hits), y: fmtNumber(g.decided), unit: t("unitRequests") })}${
              g.pending ? " · " + t("pendingN", { n: fmtNumber(g.pending), unit: "" }) : ""}; ${t("patientsN", { n: fmtNumber(g.patients) })})</span></td>`)}
        </tr>`)}</tbody></table></div>`}
    ${sources.length > 0 && html`<div class="panel"><h2>${t("conversionBySource")}</h2>
      <p class="note">${t("conversionNote")}</p>
      <table data-testid="conversion-by-source"><thead><tr><th>${t("messageSource")}</th><th>${t("remindersSent")}</th>
        <th>${t("remindersDecided")}</th><th>${t("remindersConverted")}</th><th>${t("kpiReminderConversion")}</th>
        <th>${t("remindersPending")}</th></tr></thead>
        <tbody>${sources.map((r) => html`<tr data-testid="conversion-row"><td>${sourceName(r)}</td>
          <td>${fmtNumber(r.decided + r.pending)}</td><td>${fmtNumber(r.decided)}</td><td>${fmtNumber(r.hits)}</td>
          <td>${r.rate == null && r.pending ? t("counting") : fmtPercent(r.rate)}</td>
          <td>${fmtNumber(r.pending)}</td></tr>`)}</tbody>
      </table></div>`}
  </div>`;
}

// Cursor paging: the API only knows "next", so the cursors already used are kept as a stack for
// "previous". The stack is remembered under `name`, so coming back from a patient keeps the page.
function usePager(name) {
  const [stack, setStack] = useState(() => memory.get(name) || [null]);
  const keep = (value) => { memory.set(name, value); setStack(value); };
  return {
    cursor: stack[stack.length - 1],
    page: stack.length,
    next: (c) => keep([...stack, c]),
    prev: () => keep(stack.slice(0, -1)),
    reset: () => keep([null]),
  };
}

function Pager({ pager, nextCursor }) {
  return html`<div class="pager">
    <button class="ghost" disabled=${pager.page <= 1} data-testid="page-prev" onClick=${pager.prev}>${t("prev")}</button>
    <span class="muted" data-testid="page-number">${t("page", { n: pager.page })}</span>
    <button class="ghost" disabled=${!nextCursor} data-testid="page-next" onClick=${() => pager.next(nextCursor)}>${t("next")}</button>
  </div>`;
}

const qs = (params) => Object.entries(params).filter(([, v]) => v != null && v !== "")
  .map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");

// The patients list, its search and the desk's registration: pages/desk.js.
const PatientsPage = () => html`<${Patients} pager=${usePager("patients")} />`;

function Segments() {
  const clinic = useClinic();
  const [query, setQuery] = useState(() => memory.get("segments:query") || null);
  const pager = usePager("segments");
  const conditions = clinic.data ? clinic.data.conditions : [];
  const submit = (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const next = { condition: form.get("condition"), days: form.get("days") };
    memory.set("segments:query", next);
    pager.reset();
    setQuery(next);
  };
  return html`<div>
    <h1>${t("segments")}</h1>
    <form class="form-row" onSubmit=${submit}>
      <label>${t("condition")}
        <select name="condition" data-testid="segment-condition" required>
          ${conditions.map((c) => html`<option value=${c} selected=${query && query.condition === c}>${t(c)}</option>`)}
        </select></label>
      <label>${t("days")}<input name="days" type="number" min="0" max="3650" step="1" required
        value=${query ? query.days : "90"} data-testid="segment-days" /></label>
      <button type="submit" disabled=${!conditions.length} data-testid="segment-submit">${t("search")}</button>
    </form>
    ${query && html`<${SegmentResult} query=${query} pager=${pager} />`}
  </div>`;
}

function SegmentResult({ query, pager }) {
  const state = useApi(`/segments/lapsed?${qs({ ...query, limit: 50, cursor: pager.cursor })}`);
  if (!state.data) return html`<${Status} state=${state} />`;
  return html`<div>
    ${state.data.cutoff && html`<p class="muted" data-testid="segment-cutoff">${t("cutoff")}: ${fmtDate(state.data.cutoff)}</p>`}
    ${state.data.items.length === 0 ? html`<p class="muted" data-testid="segment-empty">${t("noRows")}</p>` : html`
    <table data-testid="segment-table"><thead><tr><th>${t("name")}</th><th>${t("lastVisit")}</th><th>${t("daysSince")}</th></tr></thead>
      <tbody>${state.data.items.map((r) => html`<tr class="clickable" data-testid="segment-row" data-id=${r.patient_id}
          onClick=${() => { window.location.hash = `#/patients/${r.patient_id}`; }}>
        <td>${r.name_masked}</td><td>${r.last_visit_date ? fmtDate(r.last_visit_date) : t("never")}</td>
        <td>${r.days_since == null ? "—" : fmtNumber(r.days_since)}</td></tr>`)}</tbody>
    </table>`}
    <${Pager} pager=${pager} nextCursor=${state.data.next_cursor} />
  </div>`;
}

// A code's label under `prefix` ("reason_" + "quiet_hours"); an unknown code is shown as it is.
function coded(prefix, code) {
  const text = t(prefix + code);
  return text === prefix + code ? code : text;
}

// A reminder's rule by name: a recall rule the site has words for, a content path by its segment's
// name, else the id as the code it is.
function ruleLabel(row, segmentNames) {
  if (row.kind === "checkup") return coded("checkup_", row.rule_id);  // an infant's check-up (docs/households.md)
  if (row.kind !== "recall" && segmentNames[row.rule_id]) return segmentNames[row.rule_id];
  const text = t("rule_" + row.rule_id);
  return text === "rule_" + row.rule_id ? html`<code>${row.rule_id}</code>` : text;
}

function Reminders() {
  const pager = usePager("reminders");
  const state = useApi(`/reminders?${qs({ limit: 50, cursor: pager.cursor })}`);
  const segments = useApi("/segments");
  const segmentNames = Object.fromEntries(((segments.data && segments.data.items) || []).map((s) => [s.segment_id, s.name]));
  return html`<div>
    <h1>${t("reminders")}</h1>
    <${Status} state=${state} />
    ${state.data && html`<table data-testid="reminders-table">
      <thead><tr><th>${t("patient")}</th><th>${t("kind")}</th><th>${t("rule")}</th><th>${t("condition")}</th><th>${t("anchorDate")}</th>
        <th>${t("dueAt")}</th><th>${t("purpose")}</th><th>${t("status")}</th><th>${t("processedAt")}</th><th>${t("channel")}</th></tr></thead>
      <tbody>${state.data.items.map((r) => html`<tr data-testid="reminder-row">
        <td>${r.name_masked ? html`<a href=${"#/patients/" + encodeURIComponent(r.patient_id)}
          data-testid="reminder-patient">${r.name_masked}</a>` : html`<span class="muted" data-testid="reminder-patient">${t("erased")}</span>`}</td>
        <td data-testid="reminder-kind">${r.kind ? coded("kind_", r.kind) : "—"}</td>
        <td>${ruleLabel(r, segmentNames)}${r.offset_days != null && html`<br /><span class="muted">${r.offset_days < 0
          ? t("offsetBefore", { n: fmtNumber(-r.offset_days) }) : t("offsetN", { n: fmtNumber(r.offset_days) })}</span>`}</td>
        <td>${r.condition ? t(r.condition) : "—"}</td><td>${fmtDate(r.anchor_date)}</td><td>${fmtDateTime(r.due_at)}</td>
        <td data-testid="reminder-purpose">${r.purpose ? t(r.purpose) : "—"}</td>
        <td><span data-testid="reminder-status">${t(r.status)}</span>
          ${(r.stop_reason || r.error_code) && html`<br /><span class="muted" data-testid="reminder-reason">${
            [r.stop_reason && coded("reason_", r.stop_reason), r.error_code && coded("code_", r.error_code)].filter(Boolean).join(" · ")}</span>`}</td>
        <td>${fmtDateTime(r.processed_at)}</td><td data-testid="reminder-channel">${r.channel ? t(r.channel) : "—"}</td></tr>`)}</tbody>
    </table>
    <${Pager} pager=${pager} nextCursor=${state.data.next_cursor} />`}
  </div>`;
}

function App() {
  const route = useRoute();
  const [, setTick] = useState(0);
  const relabel = () => setTick((n) => n + 1);
  if (route !== "/login") wantedRoute = route;
  if (!session() || route === "/login") {
    if (route !== "/login") window.location.hash = "#/login";
    return html`<${Login} onLang=${relabel} />`;
  }
  let page;
  const patient = route.match(/^\/patients\/([^/]+)$/);
  if (patient) page = html`<${Patient} id=${decodeURIComponent(patient[1])} key=${patient[1]} />`;
  else if (route.startsWith("/patients")) page = html`<${PatientsPage} />`;
  else if (route.startsWith(imports.path)) page = html`<${imports.component} route=${route} />`;
  else if (route.startsWith("/segments")) page = html`<${Segments} />`;
  else if (route.startsWith("/reminders")) page = html`<${Reminders} />`;
  else if (EXTRA_PAGES.some((p) => route.startsWith(p.path))) {
    const extra = EXTRA_PAGES.find((p) => route.startsWith(p.path));
    page = html`<${extra.component} route=${route} />`;
  }
  else if (hasRole("operator")) page = html`<${EXTRA_PAGES.find((p) => p.key === "clinics").component} route=${route} />`;
  else page = html`<${Dashboard} />`;
  return html`<${Shell} route=${route} onLang=${relabel}>${page}<//>`;
}

setLang(getLang());
render(html`<${App} />`, document.getElementById("app"));
