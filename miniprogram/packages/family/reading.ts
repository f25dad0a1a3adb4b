/**
 * The reading a carer records for a family member: the clinic's check-in types as the check-in tab
 * offers them (GET /me/setup `checkin_types`; 血糖 and 血压 without them), each checked against its
 * range before sending, and the body of POST /me/family/{member_id}/checkins.
 */
import type { CheckinTypeSetting } from '../../api/index'
import type { CheckIn } from '../../api/family'

export interface ReadingKind {
  value: string
  label: string
  /** glucose: mmol/L with when it was taken; blood_pressure: two whole numbers; number: one in `unit` */
  input: 'glucose' | 'blood_pressure' | 'number'
  unit: string
  low: number
  high: number
  places: number
  low2: number
  high2: number
}

export const MEALS = [
  { value: 'fasting', label: '空腹' },
  { value: 'after_meal', label: '餐后' },
  { value: 'random', label: '随机' },
]

const GLUCOSE: ReadingKind = { value: 'glucose', label: '血糖', input: 'glucose', unit: 'mmol/L', low: 1, high: 50, places: 1, low2: 0, high2: 0 }
const BP: ReadingKind = { value: 'blood_pressure', label: '血压', input: 'blood_pressure', unit: 'mmHg', low: 50, high: 260, places: 0,
  low2: 30, high2: 160 }

/** Without the clinic's list (offline, never read): blood glucose and blood pressure. */
export const DEFAULT_KINDS: ReadingKind[] = [GLUCOSE, BP]

// recorded elsewhere (WeRun, task cards), never typed
const NOT_TYPED = ['steps', 'task']

/** The clinic's types in its order, as this form offers them. */
export function readingKinds(types: CheckinTypeSetting[] | null): ReadingKind[] {
  const kinds = (types || []).filter((t) => NOT_TYPED.indexOf(t.code) < 0).map((t): ReadingKind => ({
    value: t.code,
    label: t.label,
    input: t.code === 'glucose' ? 'glucose' : t.input === 'blood_pressure' ? 'blood_pressure' : 'number',
    unit: t.code === 'glucose' ? 'mmol/L' : t.unit,
    low: t.low,
    high: t.high,
    places: t.places,
    low2: t.low2 == null ? BP.low2 : t.low2,
    high2: t.high2 == null ? BP.high2 : t.high2,
  }))
  return kinds.length ? kinds : DEFAULT_KINDS
}

export interface ReadingForm {
  value: string
  diastolic: string
  meal: string
}

function decimals(text: string): number {
  return (text.split('.')[1] || '').replace(/0+$/, '').length
}

/** What is wrong with the form for `kind`, by field ('' fields are fine). */
export function validateReading(kind: ReadingKind, form: ReadingForm): Record<string, string> {
  const errors: Record<string, string> = {}
  const text = form.value.trim()
  const n = Number(text)
  if (kind.input === 'blood_pressure') {
    const low = Number(form.diastolic.trim())
    if (!text || !Number.isInteger(n)) errors.value = '请填写收缩压（整数）'
    else if (n < kind.low || n > kind.high) errors.value = `收缩压应在 ${kind.low} 到 ${kind.high} mmHg 之间，请核对`
    if (!form.diastolic.trim() || !Number.isInteger(low)) errors.diastolic = '请填写舒张压（整数）'
    else if (low < kind.low2 || low > kind.high2) errors.diastolic = `舒张压应在 ${kind.low2} 到 ${kind.high2} mmHg 之间，请核对`
    else if (!errors.value && low >= n) errors.diastolic = '舒张压应低于收缩压，请核对'
    return errors
  }
  if (!text || Number.isNaN(n)) errors.value = `请填写${kind.label}`
  else if (decimals(text) > kind.places) errors.value = kind.places > 0 ? `${kind.label}最多填 ${kind.places} 位小数` : `${kind.label}请填整数`
  else if (n < kind.low || n > kind.high) errors.value = `${kind.label}应在 ${kind.low} 到 ${kind.high} ${kind.unit} 之间，请核对`
  if (kind.input === 'glucose' && !form.meal) errors.meal = '请选择空腹、餐后或随机'
  return errors
}

const pad = (n: number) => (n < 10 ? `0${n}` : `${n}`)

/** `now` as ISO 8601 with the phone's offset (the reading is taken now). */
export function localIso(now: Date): string {
  const offset = -now.getTimezoneOffset()
  const sign = offset >= 0 ? '+' : '-'
  const abs = Math.abs(offset)
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}T${pad(now.getHours())}:${pad(now.getMinutes())}:00`
    + `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
}

/** The body of the check-in, as POST /me/checkins takes it. */
export function readingBody(kind: ReadingKind, form: ReadingForm, now: Date): CheckIn {
  const clientTime = localIso(now)
  if (kind.input === 'blood_pressure') {
    return { type: kind.value, value: Number(form.value), diastolic: Number(form.diastolic), client_time: clientTime }
  }
  if (kind.input === 'glucose') {
    return { type: kind.value, unit: 'mmol/L', value: Number(form.value), context: form.meal as 'fasting' | 'after_meal' | 'random',
      client_time: clientTime }
  }
  return { type: kind.value, value: Number(form.value), client_time: clientTime }
}
