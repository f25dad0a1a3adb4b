/**
 * A challenge's terms and progress in plain words for patients. Shared by pages/challenges and the
 * `challenge` subpackage (a subpackage may use the main package's code, not the other way round).
 */
import type { ChallengeItem, ChallengeReward } from '../../api/index'

/** What the patient records each day, by the challenge's check-in type, when the clinic's list is not at hand. */
const ACTIONS: Record<string, string> = {
  glucose: '血糖',
  blood_pressure: '血压',
  steps: '微信运动步数',
  task: '任务打卡',
}

// Recorded in their own ways (WeRun, a task's 完成一次): their words say how, whatever the clinic calls them.
const OWN_WORDS = ['steps', 'task']

export const DETAIL_URL = '/packages/challenge/detail/index'
export const VOUCHERS_URL = '/packages/challenge/vouchers/index'

/** How long the challenge pages use the clinic's check-in types kept on the phone before reading them again. */
export const LABELS_MAX_AGE_MS = 3600 * 1000

/**
 * What a challenge of `checkinType` asks to record: the clinic's own label for it (`labels`, code ->
 * label from GET /me/setup's checkin_types: 体重), else the words for the built-in types, else 打卡.
 */
export function actionOf(checkinType: string, labels: Record<string, string> = {}): string {
  if (OWN_WORDS.indexOf(checkinType) < 0 && labels[checkinType]) return labels[checkinType]
  return ACTIONS[checkinType] || '打卡'
}

/** "2026-12-06" (or an ISO time) -> "2026年12月6日"; '' for anything else. */
export function dateText(value: string | null | undefined): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(value || '')
  return m ? `${Number(m[1])}年${Number(m[2])}月${Number(m[3])}日` : ''
}

/** "2026-12-06" -> "12月6日". */
export function shortDate(value: string | null | undefined): string {
  const m = /^\d{4}-(\d{2})-(\d{2})/.exec(value || '')
  return m ? `${Number(m[1])}月${Number(m[2])}日` : ''
}

export function rewardText(reward: ChallengeReward): string {
  if (reward.type === 'points') return `${reward.points || 0} 积分`
  return `${reward.voucher_name || '奖励券'} 1 张`
}

/** The terms, one plain sentence each, as the patient reads them before joining. */
export function termsLines(c: ChallengeItem, labels: Record<string, string> = {}): string[] {
  const lines = [`每天记录一次${actionOf(c.checkin_type, labels)}，连续 ${c.days} 天，就能获得${rewardText(c.reward)}。`]
  if (c.reward.type !== 'points' && c.reward.valid_days) {
    lines.push(`奖励券发出后 ${c.reward.valid_days} 天内有效，到诊所前台出示即可使用。`)
  }
  lines.push(c.grace > 0
    ? `中间可以漏记 ${c.grace} 天不算中断（漏记的那天不计入天数）。`
    : '中间漏记一天，连续天数就要从头算起。')
  lines.push(`完成一轮后可以接着坚持，每满 ${c.days} 天都能再得一次。`)
  lines.push(`活动时间：${dateText(c.start_date)} 至 ${dateText(c.end_date)}。`)
  return lines
}

/** Where the patient stands in a joined challenge, in one sentence. */
export function progressText(c: ChallengeItem, labels: Record<string, string> = {}): string {
  const p = c.progress
  if (!p) return ''
  if (p.current_streak <= 0) return `今天记录一次${actionOf(c.checkin_type, labels)}，就开始计算连续天数。`
  return `已连续 ${p.current_streak} 天，再坚持 ${p.days_to_go} 天就能获得${rewardText(c.reward)}。`
}
