/** Words and dates of the household pages: relations in Chinese, marks, days, the grouped invite code. */
import type { FamilyCard, FamilyMember, MemberReminder, Relation } from '../../api/family'

/** What the patient chooses when inviting: how the invitee relates to them. */
export const INVITE_RELATIONS: { value: Relation; label: string }[] = [
  { value: 'spouse', label: '配偶' },
  { value: 'parent', label: '父母' },
  { value: 'child', label: '子女' },
  { value: 'grandparent', label: '祖父母 / 外祖父母' },
  { value: 'other', label: '其他家人' },
]

const RELATIONS: Record<string, string> = {
  self: '我',
  spouse: '配偶',
  child: '子女',
  parent: '父母',
  grandparent: '祖父母',
  other: '家人',
}

/** "spouse" -> 配偶; a minor child is 孩子; the patient themselves 我; anything unknown 家人. */
export function relationText(m: Pick<FamilyMember, 'relation' | 'minor' | 'me'>): string {
  if (m.me) return '我'
  if (m.relation === 'child' && m.minor) return '孩子'
  return RELATIONS[m.relation] || '家人'
}

/** The marks under a member's name, in words. */
export function marksOf(m: FamilyMember): string[] {
  const marks: string[] = []
  if (m.me) return marks
  if (m.i_care_for) marks.push('我照护')
  if (m.cares_for_me) marks.push('照护我')
  if (m.may_checkin) marks.push('可代为打卡')
  if (m.gets_reminders) marks.push('提醒发给我')
  return marks
}

/** Whether the patient can do something for this member (their page opens). */
export function actsFor(m: FamilyMember): boolean {
  return !m.me && (m.may_checkin || m.gets_reminders || m.i_care_for)
}

export interface MemberRow {
  id: string
  name: string
  relation: string
  me: boolean
  minor: boolean
  marks: string[]
  opens: boolean
}

/** The members as 我的家庭 lists them: the patient first, then the others as the API gives them. */
export function memberRows(members: FamilyMember[]): MemberRow[] {
  const rows = members.map((m) => ({
    id: m.member_id, name: m.name, relation: relationText(m), me: m.me, minor: m.minor, marks: marksOf(m), opens: actsFor(m),
  }))
  return rows.filter((r) => r.me).concat(rows.filter((r) => !r.me))
}

const pad = (n: number) => (n < 10 ? `0${n}` : `${n}`)

/** The phone's day `days` from today, "YYYY-MM-DD". */
export function isoDay(days = 0, now = new Date()): string {
  const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() + days)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}

/** "2027-06-30" -> "2027年6月30日" ('' for anything else). */
export function dayText(day: string | null | undefined): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || '')
  return m ? `${Number(m[1])}年${Number(m[2])}月${Number(m[3])}日` : ''
}

/** Whole days from `from` to `to` (both "YYYY-MM-DD"). */
export function daysBetween(from: string, to: string): number {
  const at = (s: string) => {
    const [y, mo, d] = s.split('-').map(Number)
    return Date.UTC(y, mo - 1, d)
  }
  return Math.round((at(to) - at(from)) / 86400000)
}

/** "今天", "明天", "还有 12 天", "已过 3 天" for a due date seen from `today`. */
export function dueText(due: string, today: string): string {
  const n = daysBetween(today, due)
  if (Number.isNaN(n)) return ''
  if (n === 0) return '今天'
  if (n === 1) return '明天'
  return n > 0 ? `还有 ${n} 天` : `已过 ${-n} 天`
}

export interface CardView {
  usesLeft: number
  usesTotal: number
  validUntil: string
  expired: boolean
  used: { date: string; name: string }[]
}

/** The family card as the page shows it (uses left of total, until when, who used it when). */
export function cardView(card: FamilyCard | null, today: string): CardView | null {
  if (!card) return null
  return {
    usesLeft: card.uses_left,
    usesTotal: card.uses_total,
    validUntil: card.valid_until ? dayText(card.valid_until) : '',
    expired: !!card.valid_until && card.valid_until < today,
    used: (card.used || []).slice().sort((a, b) => (a.date < b.date ? 1 : a.date > b.date ? -1 : 0))
      .map((u) => ({ date: dayText(u.date), name: u.name })),
  }
}

const KINDS: Record<string, string> = {
  checkup: '体检',
  infant_checkup: '体检',
  recall: '复诊提醒',
  revisit: '复诊提醒',
  reminder: '提醒',
  vaccine: '疫苗',
  booking: '预约就诊',
  appointment: '预约就诊',
}

/** A reminder's kind in words (体检, 复诊提醒 …); an unknown kind reads 提醒. */
export function kindText(kind: string): string {
  return KINDS[kind] || '提醒'
}

export interface ReminderRow {
  title: string
  kind: string
  date: string
  due: string
  past: boolean
}

/** Upcoming first (soonest first), then those already past. */
export function reminderRows(items: MemberReminder[], today: string): ReminderRow[] {
  const sorted = items.slice().sort((a, b) => (a.due_date < b.due_date ? -1 : a.due_date > b.due_date ? 1 : 0))
  const rows = sorted.map((r) => ({ title: r.title, kind: kindText(r.kind), date: dayText(r.due_date),
    due: dueText(r.due_date, today), past: r.due_date < today }))
  return rows.filter((r) => !r.past).concat(rows.filter((r) => r.past))
}

/** "AB12CD34" -> ["AB12", "CD34"]: the invite code in groups of four, to read out. */
export function codeGroups(code: string): string[] {
  const groups: string[] = []
  for (let i = 0; i < code.length; i += 4) groups.push(code.slice(i, i + 4))
  return groups
}

/** "2026-12-07T09:30:00Z" -> "12月7日 17:30" in the phone's zone ('' when unreadable). */
export function untilText(iso: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return ''
  return `${d.getMonth() + 1}月${d.getDate()}日 ${pad(d.getHours())}:${pad(d.getMinutes())}`
}
