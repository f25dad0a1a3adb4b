/**
 * Errors as pages see them: `{code, message}` with a Chinese message for every code we know.
 * The API answers `{code, message, field}`; its English message is never shown to patients.
 */

export interface ApiError {
  code: string
  message: string
  field: string | null
  status: number
}

/** The one map from an error code to what the patient reads. */
export const MESSAGES: Record<string, string> = {
  network: '网络不太顺畅，请检查网络后再试',
  timeout: '请求超时了，请稍后再试',
  server: '服务暂时不可用，请稍后再试',
  unknown: '出了点问题，请稍后再试',
  not_logged_in: '请先登录',
  wx_login_failed: '微信登录没有成功，请稍后再试',
  // login and session
  clinic_not_found: '没有找到这家诊所，请联系诊所工作人员',
  invalid_wechat_code: '微信登录已失效，请重新进入小程序',
  wechat_code_used: '微信登录已失效，请重新进入小程序',
  wechat_user_blocked: '微信暂时不允许此账号登录小程序，请稍后再试或到前台办理',
  missing_token: '请先登录',
  invalid_token: '登录已失效，请重新进入小程序',
  token_expired: '登录已过期，请重新进入小程序',
  session_revoked: '登录已失效，请重新进入小程序',
  refresh_token_reused: '登录已失效，请重新进入小程序',
  account_disabled: '账号已停用，请联系诊所',
  wrong_role: '请先完成建档',
  // input
  invalid_input: '填写的内容有误，请检查后再提交',
  unknown_field: '填写的内容有误，请检查后再提交',
  invalid_phone: '手机号格式不正确',
  phone_registered: '这个手机号已经建过档了，请联系诊所',
  unknown_condition: '请选择列表中的病种',
  unknown_invite_code: '邀请码不正确',
  self_referral: '不能填写自己的邀请码',
  already_registered: '您已经建过档了',
  invalid_client_time: '记录时间不对，请检查手机时间',
  // writes
  request_in_progress: '正在提交，请稍候',
  idempotency_key_reused: '请求重复了，请刷新后再试',
  try_again: '人有点多，请再试一次',
  insufficient_points: '积分不足',
  out_of_stock: '这个礼品已经兑完了',
  reward_limit_reached: '已达到兑换上限',
  reward_not_found: '礼品不存在或已下架',
  // streak challenges
  challenge_closed: '这个活动已经结束或暂停报名了，看看其他活动吧',
  not_eligible: '这个活动是为其他病种的患者准备的，暂时不能参加；有疑问可以问问诊所',
  challenge_not_found: '没有找到这个活动，它可能已经下线了',
  // upstream
  wechat_error: '微信服务暂时不可用，请稍后再试',
  wechat_unavailable: '微信服务暂时不可用，请稍后再试',
  upstream_error: '服务暂时不可用，请稍后再试',
  // own record and rights, board
  consent_version_not_found: '没有找到这一版的授权说明，请联系诊所',
  unknown_purpose: '授权项目不正确，请刷新后再试',
  unexpected_field: '这一项不能在这里修改',
  invalid_month: '还没有到这个月份',
  // points and rewards
  reward_inactive: '这个礼品暂时不能兑换了，看看别的吧',
  invalid_cursor: '列表已更新，请下拉刷新后再看',
  // verified phone, invites and shares, WeRun steps
  invalid_phone_code: '微信手机号验证已过期，请重新点“用微信手机号”，或直接填写',
  share_already_rewarded: '这次分享已经记过积分了',
  invalid_werun_data: '没能读出微信运动步数，请稍后再试',
  werun_unavailable: '没能读取微信运动，请稍后再试',
  // messages and subscriptions
  message_not_found: '这条消息已经不在了',
  unknown_template: '这类提醒诊所暂未开通',
  wechat_account_mismatch: '当前微信与建档时的微信不一致，请用建档时的微信打开',
  no_wechat_account: '您的档案还没有绑定微信，请联系诊所',
  // 扫码绑定
  bind_code_unknown: '没有认出这个二维码，请前台工作人员重新生成一个',
  bind_code_used: '这个二维码已经用过了，请前台工作人员重新生成一个',
  bind_code_expired: '这个二维码已过期（10 分钟内有效），请前台工作人员重新生成一个',
  bind_code_other_clinic: '这是另一家医院或诊所的二维码，请扫描本诊所前台给您的二维码',
  patient_already_linked: '这份档案已经绑定过微信了，直接进入首页就可以',
  not_a_bind_code: '这不是绑定用的二维码，请扫描前台给您的二维码',
  // check-ins of the clinic's own types
  invalid_reading: '这个读数超出了诊所设定的范围，请核对后再提交',
  unknown_checkin_type: '诊所现在不记录这一项了，请选择其他打卡项目',
  // appointments (预约复诊, 我的预约)
  slot_full: '这个时段刚刚约满了，请换一个时段',
  already_booked: '您已经预约了这个时段，不用再约一次',
  too_many_appointments: '您待就诊的预约已经有 3 个了，请先就诊或取消一个再预约',
  slot_started: '这个时段已经开始了，请换一个时段',
  slot_not_found: '这个时段已经不开放预约了，请换一个时段',
  doctor_not_found: '这位医生暂时不出诊了，请换一个时段',
  invalid_period: '日期范围不对，请重新选择日期',
  // priority booking of expert slots (预约复诊)
  slot_not_open_yet: '这个专家号还没有对所有人开放。持有“专家号优先预约”权益的患者可以提前预约，请换一个时段',
  invalid_date: '日期不对，请重新选择',
  unknown_department: '诊所暂时没有这个科室的预约，请选择其他科室',
  appointment_not_found: '没有找到这个预约，它可能已经取消了',
  appointment_not_booked: '这个预约已经取消或已经就诊了',
  same_slot: '这就是您现在预约的时段，请选另一个时段',
  // households (我的家庭, 加入家庭, 照护, 添加孩子)
  invalid_code: '这个家庭邀请不对或已经用过了',
  code_expired: '这个家庭邀请已过期（24 小时内有效）',
  already_in_family: '您已经在一个家庭里了，不能再加入另一个家庭',
  own_code: '这是您自己发出的邀请，不能自己加入',
  consent_required: '请先勾选同意，再加入家庭',
  not_a_family_code: '这不是家庭邀请的二维码或邀请码，请核对',
  not_a_member: '这位家人已经不在您的家庭里了',
  not_an_adult: '这需要成年人来办理：未成年人不能邀请家人、加入家庭或设置照护',
  not_a_minor: '孩子已满 18 岁，请让 TA 自己建档后再邀请加入家庭',
  invalid_birth_date: '出生日期不对，请重新选择',
  not_your_dependant: 'TA 没有让您代为打卡，不能替 TA 记录',
  has_dependants: '您还在照护家里未成年的孩子，孩子需要您照护，所以暂时不能退出家庭。有疑问请联系诊所前台',
  no_family_card: '家里还没有家庭洁牙卡',
  card_used_up: '家庭洁牙卡的次数已经用完了',
  card_expired: '家庭洁牙卡已经过期了',
}

export function apiError(code: string, status = 0, field: string | null = null): ApiError {
  const fallback = status >= 500 ? MESSAGES.server : MESSAGES.unknown
  return { code, message: MESSAGES[code] || fallback, field, status }
}

export function isApiError(value: unknown): value is ApiError {
  return !!value && typeof value === 'object' && typeof (value as ApiError).code === 'string'
    && typeof (value as ApiError).message === 'string'
}

/** Whatever was thrown, as an ApiError (so a page can always show `error.message`). */
export function toApiError(value: unknown): ApiError {
  return isApiError(value) ? value : apiError('unknown')
}
