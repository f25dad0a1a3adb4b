// Labels in Chinese (default) and English; the choice is kept in localStorage.
const TEXT = {
  zh: {
    appName: "Revisit 复诊管理", signIn: "登录", username: "用户名", password: "密码", signOut: "退出",
    role_admin: "管理员", role_front_desk: "前台", role_health_manager: "健康管理师", role_analyst: "数据分析",
    role_operator: "平台运营", platform: "平台运营", menu: "菜单", erased: "已删除的患者", offsetBefore: "起算日前 {n} 天",
    dashboard: "数据概览", patients: "患者", segments: "人群查询", reminders: "提醒记录",
    kpiPatients: "患者总数", kpiRevisit30: "30天复诊率", kpiRevisit90: "90天复诊率", kpiCheckins: "今日打卡",
    kpiIssued: "已发积分", kpiRedeemed: "已兑积分", kpiReminders: "已发提醒",
    kpiNewPatients: "90天新患者", kpiReferralShare: "新患者中推荐占比", kpiRecheck: "年度复查率", generatedAt: "数据更新于",
    notComputed: "数据尚未生成，等待下一次统计任务。",
    chartConditions: "病种分布", patientCount: "患者数",
    kpiSilentShare: "沉默患者占比", kpiPostpartum: "产后复查率(90天)", kpiRenewal: "会员服务包续约率(12个月)", kpiReactivation: "沉默患者唤醒后到诊率",
    conversionBySource: "各类消息的到诊转化(近90天)", messageSource: "消息来源",
    kpiHoldout: "营销消息带来的复诊率提升", holdoutPoints: "{sign}{x} 个百分点", holdoutInterval: "95% 区间 {low} ~ {high} 个百分点",
    holdoutGroups: "收到营销消息 {a}（{ah}/{ad}）· 长期对照组 {b}（{bh}/{bd}）",
    holdoutNone: "对照组还没有已结算的复诊数据",
    holdoutWhat: "长期对照组（{share} 的患者，按患者固定）不收营销类提醒和内容推送；比较近 {days} 天应复诊日的复诊率，差值即复诊引擎的总效果",
    kpiCalls: "30天随访电话", kpiReach: "随访接通率(含预约)", kpiReminderConversion: "提醒转化率(30天内到诊)", revisitRate: "复诊率",
    chartWeeklyRevisit: "每周复诊率(按建议复诊日)", chartDepartments: "各科室90天复诊率", chartSegments: "各人群90天复诊率", chartWeeklyReminders: "每周提醒与到诊",
    chartDaily: "每日趋势", remindersSent: "已发提醒", remindersConverted: "30天内到诊",
    challengeRevisit: "活动参与者与未参与者的半年复诊率", challengeName: "活动", joinedRate: "参与者(人数)",
    notJoinedRate: "未参与的同病种患者(人数)",
    name: "姓名", conditions: "病种", department: "科室", lastVisit: "上次就诊", balance: "积分", created: "建档时间",
    next: "下一页", prev: "上一页", page: "第 {n} 页", back: "返回",
    profile: "基本信息", phone: "电话", birthYear: "出生年份", sex: "性别", district: "区域", personas: "画像标签",
    earned: "累计获得", consent: "授权同意", purpose: "用途", granted: "状态", version: "版本", at: "时间",
    service: "服务消息", marketing: "营销消息", analytics: "数据分析", yes: "已同意", no: "未同意/已撤回",
    visits: "就诊记录", visitDate: "就诊日期", nextDue: "建议复诊日", onTime: "按时复诊",
    checkins: "打卡记录", type: "类型", value: "数值", day: "日期", counted: "计入积分",
    ledger: "积分流水", points: "积分", reason: "原因",
    condition: "病种", days: "未就诊超过(天)", search: "查询", daysSince: "已间隔天数", never: "从未就诊",
    cutoff: "截止日期", noRows: "没有符合条件的记录",
    rule: "规则", anchorDate: "锚定日期", dueAt: "计划发送", status: "状态", processedAt: "处理时间", channel: "渠道",
    sent: "已发送", skipped_no_consent: "未授权未发送", stopped: "已停止(已就诊/预约)", pending: "待发送", queued: "发送中",
    auth_invalid_credentials: "用户名或密码错误", auth_account_disabled: "此账号已停用，请联系诊所管理员",
    auth_account_unknown: "此账号尚未在诊所登记，请联系诊所管理员", auth_session_revoked: "登录已失效，请重新登录",
    auth_role_changed: "账号的角色已变更，请重新登录", auth_token_expired: "登录已过期，请重新登录",
    auth_challenge_required: "此账号需先完成初始设置，请联系诊所管理员",
    auth_new_password_required: "首次登录，请设置新密码", auth_weak_password: "新密码太简单：至少10位，含大写、小写字母和数字",
    newPassword: "新密码", newPassword2: "再次输入新密码", passwordsDiffer: "两次输入的新密码不一致",
    passwordRule: "至少10位，含大写、小写字母和数字",
    language: "English", loading: "加载中…", loginFailed: "登录失败", sexF: "女", sexM: "男", sexU: "未知",
    eczema: "湿疹", diabetes: "糖尿病", postpartum: "产后", dental: "口腔", health_check: "体检", hypertension: "高血压",
    glucose: "血糖", steps: "步数", task: "任务",
    checkin: "打卡", share: "分享", redemption: "兑换", revisit_on_time: "按时复诊", manual: "人工调整",
    adjustment: "人工调整", reversal: "冲正", expiry: "积分过期", referral_registered: "推荐新患者", challenge: "挑战奖励",
    dermatology: "皮肤科", endocrinology: "内分泌科", obstetrics: "产科", dentistry: "口腔科", general: "全科",
    inbox: "站内信", wechat: "微信订阅消息", sms: "短信",
    daysAxis: "天", patient: "患者", inviteCode: "邀请码", referredBy: "推荐人", referredCount: "成功推荐",
    kind: "类型", kind_recall: "召回提醒", kind_content_path: "内容推送", offsetN: "第 {n} 天",
    deferred: "已顺延", capped: "超出发送上限未发送", failed: "发送失败", refused: "用户未订阅", stale: "已过时效未发送",
    held_out: "对照组未发送", kind_content: "内容推送",
    reason_quiet_hours: "免打扰时段", reason_frequency_cap: "每周上限", reason_consent_withdrawn: "已撤回授权",
    reason_daily_cap: "每日上限", reason_too_late: "超过该类消息的有效天数",
    reason_no_capacity: "号源已满，等待空位",
    reason_superseded: "下一条提醒已到期", reason_anchor_passed: "起算日已过", reason_left_segment: "已离开人群",
    reason_content_gone: "内容已删除", reason_renewed: "已续约", reason_holdout: "对照组", reason_clinic_holdout: "长期对照组（不发营销消息）", reason_low_uplift: "预测提醒无效，未发送",
    reason_visited: "已就诊", reason_booked: "已预约", reason_rule_inactive: "规则已停用",
    code_no_channel: "没有可用渠道", code_unconfirmed: "发送结果未确认", code_43101: "用户拒收或无订阅次数",
    counting: "统计中", outOf: "{x} / {y} {unit}", pendingN: "统计中 {n} {unit}", patientsN: "{n} 人",
    unitRequests: "次", unitPatients: "人", unitMessages: "条", unitPackages: "个", unitCalls: "次",
    windowNote: "比率只算观察期已结束的部分，未结束的显示为“统计中”，不计为失败",
    silentChanged: "沉默天数已改为 {n} 天，下次统计后（约15分钟内）按新天数显示",
    what_patients: "已建档的全部患者",
    what_revisit_rate_30: "近30天内有结论的复诊请求中，在建议复诊日前7天至后30天内回诊的比例；未满30天的计为统计中",
    what_revisit_rate_90: "近90天内有结论的复诊请求中，在建议复诊日前7天至后30天内回诊的比例；未满30天的计为统计中",
    what_checkins_today: "今天打过卡的患者，占全部患者",
    what_points_issued: "累计发给患者的积分",
    what_points_redeemed: "累计兑换奖励用掉的积分", ofIssued: "占已发积分 {pct}",
    what_reminders_sent: "累计发给患者的复诊提醒与内容推送", sent90: "近90天 {sent90} 条",
    what_new_patients_90: "近90天新建档的患者，占全部患者",
    what_referral_share_90: "近90天新患者中，凭老患者邀请码来的比例",
    what_annual_recheck_rate: "体检满一年到期、宽限期（到期后90天）在近90天内结束的患者中，回来复查的比例；仍在宽限期的计为统计中",
    what_silent_share: "超过 {n} 天没有任何互动（就诊、打卡、分享、兑换、阅读消息、建档）的患者，占全部患者",
    what_reminder_conversion_90: "近90天内满30天的提醒中，发出后30天内到诊的比例；未满30天的计为统计中",
    what_postpartum_checkup_rate: "产后患者近90天内有结论的复查请求（产后42天复查等）中，30天内回诊的比例",
    what_silent_reactivation_rate_90: "沉默人群的唤醒消息中，发出后30天内到诊的比例（近90天内满30天的消息）",
    what_package_renewal_rate_12m: "近12个月到期的会员服务包中，在续约期内续约的比例；续约期未结束的计为统计中",
    what_followup_calls_30: "近30天记下结果的随访电话",
    what_followup_reach_rate_30: "近30天随访电话中接通患者（含当场预约）的比例",
    kpiShowRate: "预约到诊率(30天)", kpiNoShowRate: "预约未到诊率(30天)", kpiReminderToBooking: "提醒到预约(天)",
    what_show_rate_30: "近30天的预约中（按预约日），已到诊占已到诊与未到诊之和的比例；取消的不计",
    what_no_show_rate_30: "近30天的预约中（按预约日），未到诊占已到诊与未到诊之和的比例；取消的不计",
    what_reminder_to_booking_days: "收到提醒后30天内预约的患者，从最近一条提醒到预约相隔的平均天数",
    reminderBookingsN: "提醒后预约 {n} 个", unitBookings: "个预约",
    chartSilence: "距上次互动天数（超过 {n} 天为沉默）", silenceAxis: "距上次任何互动的天数",
    silenceNote: "灰色柱为沉默患者：超过 {n} 天没有任何互动，共 {count} 人；沉默患者占比和沉默人群按同一天数计算。",
    weeklyPending: "橙色日期的周还有复诊请求在30天观察期内（统计中 {n} 次）：虚线为部分结果，没有点的周尚无结论。",
    remindersDecided: "已满30天的提醒", remindersPending: "统计中(未满30天)",
    remindersPendingNote: "{n} 条提醒发出不满30天，计为统计中，不算未转化。",
    challengeNote: "挑战开始后提出、30天观察期已结束的复诊请求中按时或30天内回诊的比例。",
    conversionNote: "近90天内发出的消息；转化率只算已满30天的消息。",
    "rule_eczema-remission-30": "湿疹缓解第30天复诊提醒", "rule_package-renewal": "服务包续约提醒",
    kind_checkup: "婴儿体检提醒", checkup_d42: "满月（42天）体检", checkup_m3: "3月龄体检", checkup_m6: "6月龄体检",
    checkup_m8: "8月龄体检", checkup_m12: "12月龄体检",
  },
  en: {
    appName: "Revisit", signIn: "Sign in", username: "Username", password: "Password", signOut: "Sign out",
    role_admin: "Administrator", role_front_desk: "Front desk", role_health_manager: "Health manager", role_analyst: "Analyst",
    role_operator: "Platform operator", platform: "Platform", menu: "Menu", erased: "Erased patient", offsetBefore: "{n} days before",
    dashboard: "Dashboard", patients: "Patients", segments: "Segments", reminders: "Reminder log",
    kpiPatients: "Patients", kpiRevisit30: "Revisit rate (30 d)", kpiRevisit90: "Revisit rate (90 d)",
    kpiCheckins: "Check-ins today", kpiIssued: "Points issued", kpiRedeemed: "Points redeemed",
    kpiReminders: "Reminders sent", kpiNewPatients: "New patients (90 days)", kpiReferralShare: "Referred share of new patients",
    kpiRecheck: "Annual re-check rate", generatedAt: "Figures as of", notComputed: "Figures not computed yet; they appear after the next KPI run.",
    chartConditions: "Patients by condition", patientCount: "Patients",
    kpiSilentShare: "Silent patients", kpiPostpartum: "Postpartum check-up rate (90 days)",
    kpiRenewal: "Package renewal rate (12 months)", kpiReactivation: "Silent patients back after the campaign",
    conversionBySource: "Visits after each kind of message (90 days)", messageSource: "Source", kpiCalls: "Follow-up calls (30 days)",
    kpiHoldout: "Revisit rate added by marketing messages", holdoutPoints: "{sign}{x} points",
    holdoutInterval: "95% interval {low} to {high} points",
    holdoutGroups: "reached {a} ({ah}/{ad}) · lasting holdout {b} ({bh}/{bd})",
    holdoutNone: "The holdout has no decided revisit dates yet",
    holdoutWhat: "The lasting holdout ({share} of patients, fixed per patient) receives no marketing reminder or content; the revisit rates over the requested revisit dates of the last {days} days are compared, the difference being the engine's total effect",
    kpiReach: "Calls that reached the patient (incl. booked)", kpiReminderConversion: "Reminder conversion (visit within 30 days)",
    revisitRate: "Revisit rate", chartWeeklyRevisit: "Weekly revisit rate (by requested date)",
    chartDepartments: "90-day revisit rate by department", chartSegments: "90-day revisit rate by segment", chartWeeklyReminders: "Reminders and visits per week",
    chartDaily: "Daily trend", remindersSent: "Reminders sent", remindersConverted: "Visited within 30 days",
    challengeRevisit: "Six-month revisit rate: challenge participants against the rest", challengeName: "Challenge",
    joinedRate: "Joined (patients)", notJoinedRate: "Eligible, not joined (patients)",
    name: "Name", conditions: "Conditions", department: "Department", lastVisit: "Last visit", balance: "Points",
    created: "Registered", next: "Next", prev: "Previous", page: "Page {n}", back: "Back",
    profile: "Profile", phone: "Phone", birthYear: "Birth year", sex: "Sex", district: "District", personas: "Personas",
    earned: "Earned in total", consent: "Consent", purpose: "Purpose", granted: "State", version: "Version", at: "Time",
    service: "Service messages", marketing: "Marketing", analytics: "Data analysis", yes: "Granted", no: "Not granted / withdrawn",
    visits: "Visits", visitDate: "Visit date", nextDue: "Revisit due", onTime: "On time",
    checkins: "Check-ins", type: "Type", value: "Value", day: "Day", counted: "Earned points",
    ledger: "Points ledger", points: "Points", reason: "Reason",
    condition: "Condition", days: "No visit for more than (days)", search: "Search", daysSince: "Days since",
    never: "Never visited", cutoff: "Cut-off", noRows: "No matching records",
    rule: "Rule", anchorDate: "Anchor date", dueAt: "Due", status: "Status", processedAt: "Processed", channel: "Channel",
    sent: "Sent", skipped_no_consent: "Skipped (no consent)", stopped: "Stopped (visited/booked)", pending: "Pending", queued: "Sending",
    auth_invalid_credentials: "Wrong username or password", auth_account_disabled: "This account is disabled; ask the clinic's administrator",
    auth_account_unknown: "This account is not set up for the clinic; ask the clinic's administrator",
    auth_session_revoked: "Your session has ended; sign in again", auth_role_changed: "Your role has changed; sign in again",
    auth_token_expired: "Your session has expired; sign in again",
    auth_challenge_required: "This account must finish its setup first; ask the clinic's administrator",
    auth_new_password_required: "First sign-in: choose a new password",
    auth_weak_password: "The new password is too simple: 10 or more characters with upper- and lower-case letters and digits",
    newPassword: "New password", newPassword2: "New password again", passwordsDiffer: "The two new passwords differ",
    passwordRule: "10 or more characters with upper- and lower-case letters and digits",
    language: "中文", loading: "Loading…", loginFailed: "Sign-in failed", sexF: "F", sexM: "M", sexU: "Unknown",
    eczema: "Eczema", diabetes: "Diabetes", postpartum: "Postpartum", dental: "Dental", health_check: "Health check",
    hypertension: "Hypertension", glucose: "Glucose", steps: "Steps", task: "Task",
    checkin: "Check-in", share: "Share", redemption: "Redemption", revisit_on_time: "On-time revisit", manual: "Manual",
    adjustment: "Adjustment", reversal: "Reversal", expiry: "Points expired", referral_registered: "Referral", challenge: "Challenge reward",
    dermatology: "Dermatology", endocrinology: "Endocrinology", obstetrics: "Obstetrics", dentistry: "Dentistry", general: "General practice",
    inbox: "In-app inbox", wechat: "WeChat message", sms: "SMS",
    daysAxis: "days", patient: "Patient", inviteCode: "Invite code", referredBy: "Referred by", referredCount: "Friends referred",
    kind: "Kind", kind_recall: "Recall", kind_content_path: "Content", offsetN: "day {n}",
    deferred: "Deferred", capped: "Over a cap, not sent", failed: "Failed", refused: "Not subscribed", stale: "Too late, not sent",
    held_out: "Holdout, not sent", kind_content: "Content",
    reason_quiet_hours: "quiet hours", reason_frequency_cap: "weekly cap", reason_consent_withdrawn: "consent withdrawn",
    reason_daily_cap: "daily cap", reason_too_late: "past the kind's relevance days",
    reason_no_capacity: "slots full, waiting for a free place",
    reason_superseded: "the next reminder is due", reason_anchor_passed: "the anchor day has passed",
    reason_left_segment: "left the segment", reason_content_gone: "content removed", reason_renewed: "renewed",
    reason_holdout: "holdout", reason_clinic_holdout: "lasting holdout (no marketing messages)", reason_low_uplift: "predicted not to help; not sent",
    reason_visited: "visited", reason_booked: "booked", reason_rule_inactive: "rule inactive",
    code_no_channel: "no channel left", code_unconfirmed: "result unconfirmed", code_43101: "refused or no quota",
    counting: "Pending", outOf: "{x} / {y} {unit}", pendingN: "{n} {unit} pending", patientsN: "{n} patients",
    unitRequests: "requests", unitPatients: "patients", unitMessages: "messages", unitPackages: "packages", unitCalls: "calls",
    windowNote: "rates count only what has finished its observation window; the rest shows as pending, never as a failure",
    silentChanged: "Silent days changed to {n}; the figures follow after the next refresh (within about 15 minutes)",
    what_patients: "All registered patients",
    what_revisit_rate_30: "Of the requested revisits decided in the last 30 days, the share kept (from 7 days before to 30 days after the requested day); those still within their 30 days are pending",
    what_revisit_rate_90: "Of the requested revisits decided in the last 90 days, the share kept (from 7 days before to 30 days after the requested day); those still within their 30 days are pending",
    what_checkins_today: "Patients who checked in today, out of all patients",
    what_points_issued: "Points given to patients in total",
    what_points_redeemed: "Points spent on rewards in total", ofIssued: "{pct} of points issued",
    what_reminders_sent: "Recall reminders and content messages sent in total", sent90: "{sent90} in the last 90 days",
    what_new_patients_90: "Patients registered in the last 90 days, out of all patients",
    what_referral_share_90: "Of the new patients of the last 90 days, the share who came with a patient's invite code",
    what_annual_recheck_rate: "Of the patients whose yearly check-up fell due and whose 90-day grace ended in the last 90 days, the share who came back; those still in their grace are pending",
    what_silent_share: "Patients with no interaction of any kind (visit, check-in, share, redemption, message read, registration) for more than {n} days, out of all patients",
    what_reminder_conversion_90: "Of the reminders whose 30 days ended in the last 90 days, the share followed by a visit within 30 days; younger ones are pending",
    what_postpartum_checkup_rate: "Of the postpartum patients' requested check-ups (such as day 42) decided in the last 90 days, the share kept within 30 days",
    what_silent_reactivation_rate_90: "Of the silent segment's reactivation messages whose 30 days ended in the last 90 days, the share followed by a visit",
    what_package_renewal_rate_12m: "Of the member packages that ended in the last 12 months, the share renewed within the renewal window; open windows are pending",
    what_followup_calls_30: "Follow-up calls with an outcome in the last 30 days",
    what_followup_reach_rate_30: "Of the follow-up calls of the last 30 days, the share that reached the patient (booked included)",
    kpiShowRate: "Show rate (30 days)", kpiNoShowRate: "No-show rate (30 days)", kpiReminderToBooking: "Reminder to booking (days)",
    what_show_rate_30: "Of the bookings of the last 30 days (by their day), arrived out of arrived and no-shows; cancelled ones left out",
    what_no_show_rate_30: "Of the bookings of the last 30 days (by their day), no-shows out of arrived and no-shows; cancelled ones left out",
    what_reminder_to_booking_days: "For patients who booked within 30 days of a reminder, the mean days from their latest reminder to the booking",
    reminderBookingsN: "{n} bookings after a reminder", unitBookings: "bookings",
    chartSilence: "Days since the last interaction (silent after {n})", silenceAxis: "days since any interaction",
    silenceNote: "Grey bars are the silent patients: no interaction for more than {n} days, {count} in all; the silent share and the silent segment use the same days.",
    weeklyPending: "Weeks dated in orange still have requests within their 30 days ({n} pending): dashed lines are partial, weeks without a point have no result yet.",
    remindersDecided: "Reminders past their 30 days", remindersPending: "Pending (under 30 days)",
    remindersPendingNote: "{n} reminders are under 30 days old: pending, not counted as unconverted.",
    challengeNote: "Requested revisits since the challenge began whose 30 days are over, kept on time or within 30 days.",
    conversionNote: "Messages sent in the last 90 days; the rate counts only those past their 30 days.",
    "rule_eczema-remission-30": "Eczema day-30 recall", "rule_package-renewal": "Package renewal reminder",
    kind_checkup: "Infant check-up", checkup_d42: "42-day check-up", checkup_m3: "3-month check-up",
    checkup_m6: "6-month check-up", checkup_m8: "8-month check-up", checkup_m12: "12-month check-up",
  },
};

export function getLang() {
  return localStorage.getItem("revisit.lang") === "en" ? "en" : "zh";
}

export function setLang(lang) {
  localStorage.setItem("revisit.lang", lang);
  document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
  document.title = TEXT[lang === "en" ? "en" : "zh"].appName;
}

export function t(key, vars = {}) {
  const text = CLINIC_TEXT[getLang()][key] ?? TEXT[getLang()][key] ?? TEXT.zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}

// An API error in the reader's language: the common codes have words here (pages add their own);
// any other refusal reads as a failure with its status, never the API's English message in Chinese.
const ERRORS = {
  zh: {
    network_error: "无法连接服务器，请检查网络后重试", patient_not_found: "找不到该患者", invalid_input: "输入有误",
    unknown_field: "有多余的字段", wrong_role: "当前账号没有权限", try_again: "数据刚被修改，请重试",
    request_in_progress: "上一次提交还在处理中，请稍候", idempotency_key_reused: "请求重复，请刷新后重试",
    body_too_large: "内容太大", invalid_cursor: "分页已失效，请回到第一页", upstream_error: "外部服务暂时不可用",
    invalid_date: "日期有误", failed: "操作失败（{status}）",
  },
  en: {
    network_error: "The server could not be reached; check the network and try again", patient_not_found: "No such patient",
    invalid_input: "Invalid input", unknown_field: "Unexpected field", wrong_role: "This account may not do this",
    try_again: "The data changed meanwhile; try again", request_in_progress: "The last request is still running; wait a moment",
    idempotency_key_reused: "Repeated request; reload and try again", body_too_large: "Too large",
    invalid_cursor: "The page expired; go back to the first page", upstream_error: "An outside service is unavailable",
    invalid_date: "Invalid date", failed: "Failed ({status})",
  },
};

export function errorText(err) {
  const words = ERRORS[getLang()];
  const code = err && err.code;
  if (code && words[code]) return words[code];
  if (getLang() === "en" && err && err.message) return err.message;
  return words.failed.replace("{status}", String((err && err.status) || "?"));
}

export function locale() {
  return getLang() === "en" ? "en-US" : "zh-CN";
}

// Times are shown in the clinic's zone, not the browser's: staff abroad or on a laptop set to UTC
// must see the same day the clinic does. The shell sets it once /clinic has answered.
let clinicZone = "Asia/Shanghai";

export function setClinicZone(tz) {
  if (tz) clinicZone = tz;
}

// Today in the clinic's zone as "YYYY-MM-DD": the default and latest day of date pickers.
export function clinicToday() {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone: clinicZone, year: "numeric", month: "2-digit", day: "2-digit" })
    .formatToParts(new Date());
  const part = (type) => parts.find((p) => p.type === type).value;
  return `${part("year")}-${part("month")}-${part("day")}`;
}

export function fmtNumber(value) {
  return value == null ? "—" : new Intl.NumberFormat(locale()).format(value);
}

export function fmtPercent(value) {
  return value == null ? "—" : new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 1 }).format(value);
}

export function fmtDateTime(iso, tz) {
  if (!iso) return "—";
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short", timeZone: tz || clinicZone })
    .format(at);
}

// A calendar day ("2026-03-01", already in the clinic's zone): formatted as that same day anywhere.
export function fmtDate(day) {
  if (!day) return "—";
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return day;
  const at = new Date(Date.UTC(+match[1], +match[2] - 1, +match[3]));
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeZone: "UTC" }).format(at);
}

// --- the clinic's catalogue -------------------------------------------------------------------------
// Conditions, departments, check-in types, exam flags and personas are the clinic's own (GET /clinic
// gives them with their labels): their labels come before the fixed words above, which stay the
// fallback. A clinic's code that is also a word of the site's own (say "search") does not replace it.
const CATALOGUE_DEFAULT_CODES = new Set(["eczema", "diabetes", "postpartum", "dental", "health_check", "hypertension",
  "dermatology", "endocrinology", "obstetrics", "dentistry", "general", "glucose", "steps", "task"]);
const CATALOGUE_SECTIONS = ["departments", "checkin_types", "exam_flags", "personas", "conditions"];
const CLINIC_TEXT = { zh: {}, en: {} };
let clinicCatalogue = null;

export function setClinicCatalogue(catalogue) {
  clinicCatalogue = catalogue || null;
  CLINIC_TEXT.zh = {};
  CLINIC_TEXT.en = {};
  if (!catalogue) return;
  // conditions last: a code that is both a condition and a department reads as the condition
  for (const section of CATALOGUE_SECTIONS) {
    for (const row of catalogue[section] || []) {
      if (row.code in TEXT.zh && !CATALOGUE_DEFAULT_CODES.has(row.code)) continue;
      CLINIC_TEXT.zh[row.code] = row.label;
      CLINIC_TEXT.en[row.code] = row.label_en || row.label;
    }
  }
}

// The label of one code of a section, in the language shown (the fixed words when the clinic has none).
export function catalogueLabel(section, code) {
  const row = clinicCatalogue && (clinicCatalogue[section] || []).find((r) => r.code === code);
  if (!row) return t(code);
  return getLang() === "en" && row.label_en ? row.label_en : row.label;
}

// The check-in types a challenge or a task can count: the clinic's offered ones (its own too),
// plus `current` (a rule's type that was since deactivated still shows as chosen).
export function checkinTypes(current) {
  const codes = catalogueEntries("checkin_types").map((r) => r.code);
  const offered = codes.length ? codes : ["glucose", "steps", "task"];
  return current && !offered.includes(current) ? [...offered, current] : offered;
}

// The entries of a section ({code, label, ...}), the offered ones unless `all`.
export function catalogueEntries(section, all = false) {
  const rows = (clinicCatalogue && clinicCatalogue[section]) || [];
  return rows.filter((r) => all || r.active !== false);
}
