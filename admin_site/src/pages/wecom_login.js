// Staff sign-in through WeCom (企业微信) web login, on stages without a Cognito user pool: the
// button opens WeCom's login page (a QR code the member scans with the WeCom app), which sends the
// browser back here with `?code=...&state=...`; the code goes to the API with the clinic's code.
// The state is a random value kept in sessionStorage and checked on the way back (CSRF).
import { useEffect, useState } from "preact/hooks";
import { ApiError, signInWithWecom, staffProviders } from "../api.js";
import { getLang } from "../i18n.js";
import { html, labels } from "./shared.js";

const L = labels({
  zh: {
    wecomButton: "企业微信扫码登录", clinicCode: "诊所编号", wecomHelp: "用企业微信扫码登录，账号由诊所管理员开通。",
    signingIn: "正在登录…", wecomFailed: "企业微信登录失败，请重新扫码",
    invalid_wecom_code: "扫码已失效，请重新扫码", wecom_not_member: "该企业微信用户不是本机构的成员",
    account_unknown: "该企业微信成员在此诊所没有账号，请联系诊所管理员", account_disabled: "此账号已停用，请联系诊所管理员",
    clinic_not_found: "没有这个诊所编号", wecom_error: "企业微信暂时无法登录，请稍后再试",
    wecom_unavailable: "企业微信暂时无法登录，请稍后再试", state_mismatch: "登录请求已过期，请重新扫码",
  },
  en: {
    wecomButton: "Sign in with WeCom", clinicCode: "Clinic code", wecomHelp: "Scan with WeCom; the clinic's administrator opens accounts.",
    signingIn: "Signing in…", wecomFailed: "WeCom sign-in failed; scan again",
    invalid_wecom_code: "The scan has expired; scan again", wecom_not_member: "This WeCom user is not a member of the organisation",
    account_unknown: "This WeCom member has no account in this clinic; ask the clinic's administrator",
    account_disabled: "This account is disabled; ask the clinic's administrator",
    clinic_not_found: "No clinic has this code", wecom_error: "WeCom sign-in is unavailable; try again later",
    wecom_unavailable: "WeCom sign-in is unavailable; try again later", state_mismatch: "The sign-in request expired; scan again",
  },
});

const STATE = "revisit.wecomState";
const CLINIC = "revisit.clinicCode";

/** How staff of this stage sign in: null while asking, then the API's answer ({staff_identity, wecom}). */
export function useStaffProviders() {
  const [providers, setProviders] = useState(null);
  useEffect(() => {
    staffProviders().then(setProviders, () => setProviders({ staff_identity: "cognito" }));
  }, []);
  return providers;
}

function randomState() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// The page address WeCom sends the browser back to: this page without its query and hash.
const returnAddress = () => window.location.origin + window.location.pathname;

/** The sign-in of a WeCom stage; `onSignedIn(session)` when the code came back and was accepted. */
export function WecomLogin({ wecom, onSignedIn, children }) {
  const [clinic, setClinic] = useState(() => localStorage.getItem(CLINIC) || (window.REVISIT_CONFIG || {}).clinicId || "");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const query = new URLSearchParams(window.location.search);
    const code = query.get("code");
    if (!code) return;
    const expected = sessionStorage.getItem(STATE);
    sessionStorage.removeItem(STATE);
    window.history.replaceState(null, "", returnAddress() + "#/login");  // the code works once: drop it
    // replaceState fires no hashchange: tell the router, so that leaving #/login after the sign-in counts
    window.dispatchEvent(new HashChangeEvent("hashchange"));
    if (!expected || query.get("state") !== expected) {
      setError(L("state_mismatch"));
      return;
    }
    setBusy(true);
    signInWithWecom(localStorage.getItem(CLINIC) || "", code)
      .then(onSignedIn, (err) => setError(err instanceof ApiError && err.code && L(err.code) !== err.code ? L(err.code) : L("wecomFailed")))
      .finally(() => setBusy(false));
  }, []);
  const start = (event) => {
    event.preventDefault();
    const state = randomState();
    sessionStorage.setItem(STATE, state);
    localStorage.setItem(CLINIC, clinic.trim());
    const query = new URLSearchParams({ login_type: wecom.login_type, appid: wecom.appid, agentid: wecom.agentid,
      redirect_uri: returnAddress(), state, lang: getLang() === "en" ? "en" : "zh" });
    window.location.assign(`${wecom.login_url}?${query}`);
  };
  return html`<form class="login" onSubmit=${start} data-testid="wecom-login">
    ${children}
    <label for="clinic-code">${L("clinicCode")}</label>
    <input id="clinic-code" value=${clinic} onInput=${(e) => setClinic(e.target.value)} required
      autocomplete="organization" data-testid="login-clinic" />
    <p class="muted">${L("wecomHelp")}</p>
    ${error && html`<p class="error" data-testid="login-error">${error}</p>`}
    <button type="submit" disabled=${busy} data-testid="wecom-login-button">${busy ? L("signingIn") : L("wecomButton")}</button>
  </form>`;
}
