// Staff and roles (#/staff, admins): the clinic's accounts, inviting a colleague with a role and a
// temporary password shown once, changing a role, disabling and enabling an account.
import { useState } from "preact/hooks";
import { post, put, session } from "../api.js";
import { fmtDateTime } from "../i18n.js";
import { html, labels, useAction, useGet, useWriteKey } from "./shared.js";

export const ROLES = ["front_desk", "health_manager", "analyst", "admin"];

const L = labels({
  zh: {
    title: "员工与角色", username: "用户名", role: "角色", status: "状态", created: "创建时间", changed: "最近修改",
    active: "在用", disabled: "已停用", invite: "邀请同事", inviteHint: "用户名可用手机号或邮箱；邀请后把临时密码当面交给同事，首次登录时需设置新密码。",
    send: "创建账号", temporary: "{name} 的临时密码：{password}（只显示这一次）", changeRole: "改为", apply: "修改",
    disable: "停用", enable: "启用", confirmDisable: "停用 {name}？该账号会立即退出登录。",
    roleChanged: "{name} 的角色已改为 {role}，该账号需重新登录。", disabledDone: "{name} 已停用。", enabledDone: "{name} 已启用。",
    you: "（本人）", none: "还没有员工账号",
    wecomCreated: "已为 {name} 创建账号：同事用企业微信扫码登录即可（用户名为其企业微信账号）。",
    wecom_userid_taken: "这个企业微信成员在本诊所已有账号",
    role_admin: "管理员", role_front_desk: "前台", role_health_manager: "健康管理师", role_analyst: "数据分析",
    roleHelp: "前台：建档、就诊登记、核销；健康管理师：另可随访、查看风险与拨打电话；数据分析：只看统计，不看患者信息；管理员：全部，含设置与员工。",
    username_taken: "这个用户名已被使用", invalid_username: "用户名只能用字母、数字和 . _ @ + -，3–64 位",
    own_account: "不能修改或停用自己的账号", last_admin: "诊所至少要保留一位在用的管理员",
    account_not_found: "本诊所没有这个账号", invalid_input: "输入有误", wrong_role: "只有管理员可以管理员工",
  },
  en: {
    title: "Staff & roles", username: "Username", role: "Role", status: "Status", created: "Created", changed: "Last change",
    active: "Active", disabled: "Disabled", invite: "Invite a colleague",
    inviteHint: "A phone number or an e-mail works as the username; hand the temporary password over in person: the first sign-in chooses a new one.",
    send: "Create account", temporary: "Temporary password of {name}: {password} (shown this once)", changeRole: "Change to",
    apply: "Change", disable: "Disable", enable: "Enable", confirmDisable: "Disable {name}? The account is signed out at once.",
    roleChanged: "{name} is now {role}; the account signs in again.", disabledDone: "{name} is disabled.",
    enabledDone: "{name} is enabled.", you: " (you)", none: "No staff accounts yet",
    wecomCreated: "The account of {name} is made: they sign in by scanning with WeCom (the username is their WeCom UserID).",
    wecom_userid_taken: "This WeCom member has an account in the clinic already",
    role_admin: "Administrator", role_front_desk: "Front desk", role_health_manager: "Health manager", role_analyst: "Analyst",
    roleHelp: "Front desk: registration, visits, vouchers; health manager: also follow-up calls, risk and phone numbers; analyst: figures only, no patient data; administrator: everything, settings and staff included.",
    username_taken: "This username is taken", invalid_username: "Letters, digits and . _ @ + - only, 3–64 characters",
    own_account: "You cannot change or disable your own account", last_admin: "The clinic keeps at least one active administrator",
    account_not_found: "No such account in this clinic", invalid_input: "Invalid input", wrong_role: "Only administrators manage staff",
  },
});

export const roleLabel = (role) => L("role_" + role);

function InviteForm({ onDone }) {
  const [username, setUsername] = useState("");
  const [role, setRole] = useState("front_desk");
  const [action, run] = useAction(L);
  const [shown, setShown] = useState(null);
  const keyed = useWriteKey("invite");
  const submit = async (event) => {
    event.preventDefault();
    setShown(null);
    const body = { username: username.trim(), role };
    const made = await run(() => keyed(body, (headers) => post("/staff", body, headers)));
    if (made) {
      setShown(made);
      setUsername("");
      onDone();
    }
  };
  return html`<h3>${L("invite")}</h3>
    <p class="muted">${L("inviteHint")}</p>
    <form class="form-row" onSubmit=${submit} data-testid="staff-invite">
    <label>${L("username")}<input value=${username} required minlength="3" maxlength="64" data-testid="staff-username"
      onInput=${(e) => setUsername(e.target.value)} /></label>
    <label>${L("role")}<select value=${role} data-testid="staff-role" onChange=${(e) => setRole(e.target.value)}>
      ${ROLES.map((r) => html`<option value=${r}>${roleLabel(r)}</option>`)}</select></label>
    <button type="submit" disabled=${action.busy} data-testid="staff-invite-submit">${L("send")}</button>
    ${action.error && html`<p class="error" data-testid="staff-error">${action.error}</p>`}
    ${shown && html`<p class="ok" data-testid="staff-temporary">${shown.temporary_password
      ? L("temporary", { name: shown.username, password: shown.temporary_password }) : L("wecomCreated", { name: shown.username })}</p>`}
  </form>`;
}

function Row({ account, me, onDone, say }) {
  const [role, setRole] = useState(account.role);
  const [action, run] = useAction(L);
  const name = account.username;
  const path = `/staff/${encodeURIComponent(name)}`;
  const changeRole = async () => {
    const done = await run(() => put(path + "/role", { role }));
    if (done) { say(L("roleChanged", { name, role: roleLabel(role) })); onDone(); }
  };
  const toggle = async () => {
    if (account.status === "active" && !window.confirm(L("confirmDisable", { name }))) return;
    const verb = account.status === "active" ? "disable" : "enable";
    const done = await run(() => post(`${path}/${verb}`));
    if (done) { say(L(verb === "disable" ? "disabledDone" : "enabledDone", { name })); onDone(); }
  };
  const own = name === me;
  return html`<tr data-testid="staff-row" data-username=${name}>
    <td>${name}${own ? L("you") : ""}</td>
    <td class="nowrap">${roleLabel(account.role)}</td>
    <td class=${"nowrap " + (account.status === "active" ? "ok" : "muted")}>${L(account.status)}</td>
    <td class="nowrap">${account.created_at ? fmtDateTime(account.created_at) : "—"}</td>
    <td>${account.updated_at ? fmtDateTime(account.updated_at) : "—"}${account.updated_by ? ` · ${account.updated_by}` : ""}</td>
    <td>${!own && html`<label>${L("changeRole")}
        <select value=${role} aria-label=${L("changeRole") + " " + name} data-testid="staff-row-role"
          onChange=${(e) => setRole(e.target.value)}>${ROLES.map((r) => html`<option value=${r}>${roleLabel(r)}</option>`)}</select></label>
      <button class="ghost" disabled=${action.busy || role === account.role} data-testid="staff-row-apply"
        onClick=${changeRole}>${L("apply")}</button>
      <button class="ghost" disabled=${action.busy} data-testid="staff-row-toggle" onClick=${toggle}>
        ${account.status === "active" ? L("disable") : L("enable")}</button>
      ${action.error && html`<div class="error" data-testid="staff-row-error">${action.error}</div>`}`}</td>
  </tr>`;
}

function StaffPage() {
  const [reload, setReload] = useState(0);
  const [message, setMessage] = useState(null);
  const state = useGet("/staff", reload);
  const again = () => setReload((n) => n + 1);
  const me = (session() || {}).username;
  return html`<section data-testid="staff-page">
    <h2>${L("title")}</h2>
    <p class="muted">${L("roleHelp")}</p>
    ${message && html`<p class="ok" data-testid="staff-message">${message}</p>`}
    ${state.error && html`<p class="error">${L.error(state.error)}</p>`}
    ${state.data && (state.data.items.length ? html`<div class="scroll"><table data-testid="staff-table">
      <thead><tr><th>${L("username")}</th><th>${L("role")}</th><th>${L("status")}</th><th>${L("created")}</th>
        <th>${L("changed")}</th><th></th></tr></thead>
      <tbody>${state.data.items.map((account) => html`<${Row} key=${account.username + account.role + account.status}
        account=${account} me=${me} onDone=${again} say=${setMessage} />`)}</tbody></table></div>`
      : html`<p class="muted">${L("none")}</p>`)}
    <${InviteForm} onDone=${again} />
  </section>`;
}

export default { key: "staff", path: "/staff", roles: ["admin"], label: { zh: "员工与角色", en: "Staff & roles" },
  component: StaffPage };
