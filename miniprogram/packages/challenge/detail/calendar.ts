/**
 * The streak calendar of the recent weeks: which days counted, which missed day a streak stepped
 * over with its grace, where a streak was completed. Pure: dates are "YYYY-MM-DD" strings of
 * the clinic's days (check-ins' local_date, the progress' days); `today` is given.
 */
import type { ChallengeItem } from '../../../api/index'

export type DayState = 'counted' | 'grace' | 'missed' | 'pending' | 'future' | 'outside'

export interface Day {
  date: string
  /** day of the month, or "12月" style on the first of a month */
  label: string
  state: DayState
  today: boolean
  /** a streak was completed (and its reward won) on this day */
  reward: boolean
}

const DAY_MS = 86400000

function toTime(date: string): number {
  const [y, m, d] = date.split('-').map(Number)
  return Date.UTC(y, m - 1, d)
}

function toDate(time: number): string {
  return new Date(time).toISOString().slice(0, 10)
}

export function addDays(date: string, days: number): string {
  return toDate(toTime(date) + days * DAY_MS)
}

/** The phone's date today as "YYYY-MM-DD" (the clinic's day for a phone in the clinic's zone). */
export function localToday(now: Date = new Date()): string {
  const pad = (n: number) => (n < 10 ? `0${n}` : `${n}`)
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`
}

function eachDay(from: string, to: string): string[] {
  const out: string[] = []
  for (let t = toTime(from); t <= toTime(to); t += DAY_MS) out.push(toDate(t))
  return out
}

/**
 * `weeks` rows of seven days, Monday first, the last row holding today. `recorded` is the set of
 * days with a check-in of the challenge's type.
 */
export function streakCalendar(c: ChallengeItem, recorded: Set<string>, today: string, weeks = 4): Day[][] {
  const p = c.progress
  const joined = p ? p.joined_on : today
  const from = joined > c.start_date ? joined : c.start_date
  const counted = (d: string) => recorded.has(d) && d >= from && d <= c.end_date

  // Missed days inside a streak (the running one and every rewarded one) are grace days.
  const grace = new Set<string>()
  const spans: Array<[string, string]> = []
  if (p && p.streak_start && p.last_day) spans.push([p.streak_start, p.last_day])
  for (const r of p ? p.rewards : []) spans.push([r.streak_start, r.completed_on])
  for (const [start, end] of spans) {
    for (const d of eachDay(start, end)) if (!counted(d)) grace.add(d)
  }
  const rewards = new Set((p ? p.rewards : []).map((r) => r.completed_on))

  const weekday = (new Date(toTime(today)).getUTCDay() + 6) % 7 // Monday 0 ... Sunday 6
  const first = addDays(today, -weekday - (weeks - 1) * 7)
  const rows: Day[][] = []
  for (let w = 0; w < weeks; w += 1) {
    const row: Day[] = []
    for (let i = 0; i < 7; i += 1) {
      const date = addDays(first, w * 7 + i)
      let state: DayState
      if (date > today) state = 'future'
      else if (counted(date)) state = 'counted'
      else if (grace.has(date)) state = 'grace'
      else if (date < from || date > c.end_date) state = 'outside'
      else state = date === today ? 'pending' : 'missed'
      const day = Number(date.slice(8))
      row.push({ date, label: day === 1 ? `${Number(date.slice(5, 7))}月` : `${day}`, state, today: date === today,
        reward: rewards.has(date) })
    }
    rows.push(row)
  }
  return rows
}
