/**
 * Words for the booking pages: departments, days, times and statuses as the patient reads them.
 * Slots and bookings carry the clinic-local day and times (`date`, `start`, `end`), shown as they are.
 */
import type { Appointment, OpenSlot } from '../../api/index'

/**
 * The departments of the clinic catalogue's defaults with their Chinese names. GET /me/setup does
 * not list a clinic's departments, so these are the ones offered; a clinic without one answers
 * `unknown_department` and the page drops it. A code not listed here reads 门诊.
 */
export const DEPARTMENTS: { code: string; label: string }[] = [
  { code: 'dentistry', label: '口腔科' },
  { code: 'endocrinology', label: '内分泌科' },
  { code: 'dermatology', label: '皮肤科' },
  { code: 'obstetrics', label: '产科' },
  { code: 'health_check', label: '体检中心' },
  { code: 'general', label: '全科' },
]

export const DEPARTMENT_CODE = /^[a-z][a-z0-9_]{1,39}$/

export function departmentLabel(code: string | null | undefined): string {
  const known = DEPARTMENTS.find((d) => d.code === code)
  return known ? known.label : '门诊'
}

const WEEKDAYS = ['周日', '周一', '周二', '周三', '周四', '周五', '周六']

/** "YYYY-MM-DD" of the phone's day `offset` days from `from` (today when not given). */
export function isoDay(offset = 0, from?: string): string {
  const d = from ? new Date(`${from}T00:00:00`) : new Date()
  d.setDate(d.getDate() + offset)
  const pad = (n: number) => (n < 10 ? `0${n}` : `${n}`)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}

/** Whole days from `a` to `b` ("YYYY-MM-DD" each). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86400000)
}

/** "2026-12-08" -> "12月8日 周二", with 今天 / 明天 / 后天 in front when `today` is that close. */
export function dayLabel(date: string, today: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date)
  if (!m) return date
  const weekday = WEEKDAYS[new Date(`${date}T00:00:00Z`).getUTCDay()]
  const year = m[1] === today.slice(0, 4) ? '' : `${m[1]}年`
  const near = ['今天', '明天', '后天'][daysBetween(today, date)]
  return `${near ? `${near} ` : ''}${year}${Number(m[2])}月${Number(m[3])}日 ${weekday}`
}

/** "2026-12-21" -> "12月21日" ("2027年1月4日" when it is not this year). */
export function monthDay(date: string, today: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date)
  if (!m) return date
  return `${m[1] === today.slice(0, 4) ? '' : `${m[1]}年`}${Number(m[2])}月${Number(m[3])}日`
}

/** What an expert slot not yet open to everyone says to a patient without the priority-booking perk. */
export function opensText(opensOn: string, today: string): string {
  return `持有“专家号优先预约”权益的患者可提前预约，${monthDay(opensOn, today)}对所有人开放`
}

/** What such a slot says to a patient holding the perk. */
export const PRIORITY_TEXT = '您持有“专家号优先预约”权益，可以提前预约'

/** A slot or booking's time in one line: "12月8日 周二 09:00–09:30". */
export function whenText(item: { date: string; start: string; end: string }, today: string): string {
  return `${dayLabel(item.date, today)} ${item.start}–${item.end}`
}

/** What a booking's status reads (a cancelled booking that moved reads 已改约). */
export function statusText(a: Pick<Appointment, 'status' | 'rescheduled_to'>): string {
  switch (a.status) {
    case 'booked': return '待就诊'
    case 'arrived': return '已就诊'
    case 'cancelled': return a.rescheduled_to ? '已改约' : '已取消'
    case 'no_show': return '未到诊'
    default: return ''
  }
}

/** The key of a slot in a page's data (doctor, day, start). */
export const slotId = (s: { doctor_id: string; date: string; start: string }) => `${s.doctor_id}|${s.date}|${s.start}`

export interface SlotRow {
  id: string
  doctor_id: string
  doctor: string
  date: string
  start: string
  end: string
  time: string
  expert: boolean
  left: number
  /** "还剩 2 个号" / "已约满" / "暂未开放" */
  places: string
  full: boolean
  /** an expert slot booked early through the priority-booking perk (the patient holds it) */
  priority: boolean
  /** not yet open to this patient (an expert slot in the priority window, without the perk): shown, not offered */
  locked: boolean
  /** the line under such a slot: the perk and the day it opens to everyone, or that the patient books early */
  note: string
  /** the patient's own booking of this slot ('您已预约', '您现在的预约' when moving it): shown, not offered */
  mine: string
}

export interface DayGroup {
  date: string
  label: string
  slots: SlotRow[]
}

/**
 * Slots grouped by clinic-local day, days and times in order. `mine`: slot id -> what the patient's
 * own booking of that slot reads (such a slot is shown without a button).
 */
export function groupByDay(slots: OpenSlot[], today: string, mine: Record<string, string> = {}): DayGroup[] {
  const sorted = slots.slice().sort((a, b) => (a.date + a.start + a.doctor_name).localeCompare(b.date + b.start + b.doctor_name))
  const days: DayGroup[] = []
  for (const s of sorted) {
    let day = days[days.length - 1]
    if (!day || day.date !== s.date) {
      day = { date: s.date, label: dayLabel(s.date, today), slots: [] }
      days.push(day)
    }
    const full = s.left <= 0
    const locked = !s.bookable
    let note = ''
    if (locked && s.opens_on) note = opensText(s.opens_on, today)
    else if (s.priority) note = PRIORITY_TEXT
    day.slots.push({
      id: slotId(s), doctor_id: s.doctor_id, doctor: s.doctor_name, date: s.date, start: s.start, end: s.end,
      time: `${s.start}–${s.end}`, expert: s.expert, left: s.left,
      places: full ? '已约满' : locked ? '暂未开放' : `还剩 ${s.left} 个号`,
      full, priority: s.priority && !locked, locked, note, mine: mine[slotId(s)] || '',
    })
  }
  return days
}
