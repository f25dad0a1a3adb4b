// 诊所设置 › 随访: who gets the follow-up plans nobody starts by hand (a patient joining the glucose
// challenge starts one). An admin picks one of the clinic's active admins and health managers, or
// nobody (such plans then wait under 未分配 on the calls page); other staff read the choice.
import { useState } from "preact/hooks";
import { put } from "../api.js";
import { t } from "../i18n.js";
import { html, isAdmin, labels, useAction, useGet } from "./shared.js";

const L = labels({
  zh: {
    defaultAssignee: "随访计划默认负责人", nobody: "不指定（放入“未分配”）", save: "保存", saved: "已保存",
    note: "患者参加血糖挑战时会自动建立每周随访计划。指定默认负责人后，这些计划直接分给他/她；不指定时，计划出现在“随访与风险”页的“未分配”里，由健康管理师认领。只能选择在职的健康管理师或管理员。",
    oldPlans: "以前建立、没有负责人的计划同样出现在“未分配”里，不会自动分配。",
    current: "当前：{name}", none: "未指定", unknown_assignee: "该账号不能负责随访（已停用或不是健康管理师/管理员）",
    wrong_role: "只有管理员可以修改", invalid_input: "输入有误",
  },
  en: {
    defaultAssignee: "Default assignee of follow-up plans", nobody: "Nobody (they wait under Unassigned)", save: "Save",
    saved: "Saved",
    note: "A patient who joins the glucose challenge gets a weekly follow-up plan. With a default assignee those plans go straight to them; without one they show under Unassigned on the follow-ups page, for a health manager to claim. Only active health managers and admins can be chosen.",
    oldPlans: "Older plans without an assignee show under Unassigned too; they are not assigned by themselves.",
    current: "Now: {name}", none: "nobody", unknown_assignee: "This account cannot take calls (disabled, or not a health manager or admin)",
    wrong_role: "Only admins may change this", invalid_input: "Invalid input",
  },
});

const CALLERS = ["health_manager", "admin"];

function Chooser({ current, onSaved }) {
  const staff = useGet("/staff");
  const [chosen, setChosen] = useState(current || "");
  const [action, run] = useAction(L);
  if (!staff.data) return staff.error ? html`<p class="error">${L.error(staff.error)}</p>` : html`<p class="muted">…</p>`;
  const people = staff.data.items.filter((s) => s.status === "active" && CALLERS.includes(s.role));
  const save = async (event) => {
    event.preventDefault();
    const reply = await run(() => put("/clinic/followup-assignee", { assignee: chosen || null }), L("saved"));
    if (reply) onSaved(reply.followup_assignee);
  };
  return html`<form class="inline" onSubmit=${save}>
    <label>${L("defaultAssignee")} <select value=${chosen} onChange=${(e) => setChosen(e.target.value)}
      data-testid="followup-default-assignee">
      <option value="">${L("nobody")}</option>
      ${people.map((s) => html`<option value=${s.username}>${s.username}（${t("role_" + s.role)}）</option>`)}
    </select></label>
    <button type="submit" disabled=${action.busy} data-testid="followup-default-save">${L("save")}</button>
    ${action.error && html`<span class="error" data-testid="followup-default-error"> ${action.error}</span>`}
    ${action.done && html`<span class="ok" data-testid="followup-default-saved"> ${action.done}</span>`}
  </form>`;
}

export function FollowupSettings({ clinic }) {
  const [current, setCurrent] = useState(clinic.followup_assignee || null);
  return html`<div data-testid="settings-followup">
    <p class="muted">${L("note")}</p>
    <p data-testid="followup-default-current">${L("current", { name: current || L("none") })}</p>
    ${isAdmin() && html`<${Chooser} current=${current} onSaved=${setCurrent} />`}
    <p class="muted">${L("oldPlans")}</p>
  </div>`;
}
