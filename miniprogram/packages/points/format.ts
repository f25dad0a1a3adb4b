/** What the points pages show in words: ledger reasons, tiers, dates and desk codes. */

/** A ledger entry's reason as the patient reads it (the API's rule codes are never shown). */
const REASONS: Record<string, string> = {
  checkin: '健康打卡',
  share: '分享健康内容',
  revisit_on_time: '按时复诊',
  referral: '推荐好友建档',
  referral_registered: '推荐好友建档',
  challenge: '挑战奖励',
  challenge_reward: '挑战奖励',
  streak: '连续打卡奖励',
  task: '完成健康任务',
  redeem: '兑换礼品',
  redemption: '兑换礼品',
  expiry: '积分到期',
  adjust: '诊所调整',
  adjustment: '诊所调整',
  manual: '诊所调整',
  reversal: '积分更正',
}

export function reasonLabel(reason: string, points: number): string {
  return REASONS[reason] || (points >= 0 ? '获得积分' : '使用积分')
}

export { tierLabel } from '../../utils/labels'

const pad = (n: number) => (n < 10 ? `0${n}` : `${n}`)

/** "2027-06-30" (a calendar day) -> "2027年6月30日". */
export function dayLabel(day: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(day || '')
  return m ? `${Number(m[1])}年${Number(m[2])}月${Number(m[3])}日` : ''
}

/** An ISO instant -> "2026年12月6日 16:30" in the phone's time zone. */
export function dateTimeLabel(iso: string | null | undefined): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return ''
  return `${d.getFullYear()}年${d.getMonth() + 1}月${d.getDate()}日 ${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/** "+10" / "-100": the sign always shown. */
export function signed(points: number): string {
  return points > 0 ? `+${points}` : `${points}`
}

/** A desk code in groups of four, to read aloud or type: "ABCD-EFGH" -> "ABCD EFGH". */
export function groupCode(code: string | null | undefined): string {
  const plain = (code || '').replace(/[^A-Za-z0-9]/g, '').toUpperCase()
  return (plain.match(/.{1,4}/g) || []).join(' ')
}

/** The code as the desk types it (what the QR code holds): letters and digits only. */
export function plainCode(code: string | null | undefined): string {
  return (code || '').replace(/[^A-Za-z0-9]/g, '').toUpperCase()
}
