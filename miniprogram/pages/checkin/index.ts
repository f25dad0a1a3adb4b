// 打卡: the clinic's check-in types (GET /me/setup), chosen at the top or opened with ?type=<code>.
// Glucose: the reading in mmol/L or mg/dL, when it was taken (空腹/餐后/随机); blood pressure:
// 收缩压/舒张压 in mmHg; any other type of the clinic (体重 ...): one number in its unit, checked
// against its plausible range and decimals. The reading's time today; POST /me/checkins. Steps come
// from WeRun and tasks from their cards, never typed here. After a check-in, an offer to subscribe.
import { CheckInReply, CheckinTypeSetting, keptCheckinTypes, loadCheckinTypes, newIdempotencyKey, postCheckin } from '../../api/index'
import { pageError } from '../../utils/page'
import { careMode } from '../../utils/care'
import { askSubscribe, canAsk, prepareSubscribe } from '../../utils/subscribe'
import { takeWantedCheckin } from '../../utils/checkin'

// What a home meter can show, in mmol/L (the API refuses readings outside it).
const MIN = 1.0
const MAX = 50.0
const MG_DL_PER_MMOL_L = 18.0

export const MEALS = [
  { value: 'fasting', label: '空腹' },
  { value: 'after_meal', label: '餐后' },
  { value: 'random', label: '随机' },
]

export const UNITS = [
  { value: 'mmol/L', label: 'mmol/L' },
  { value: 'mg/dL', label: 'mg/dL' },
]

/** One choice at the top of the page: a check-in type as the page treats it. */
export interface Kind {
  value: string
  label: string
  /** glucose has its own form; blood_pressure two whole numbers; number one number in `unit` */
  input: 'glucose' | 'blood_pressure' | 'number'
  unit: string
  low: number
  high: number
  places: number
  low2: number
  high2: number
  /** what the number input says under it: its range and decimals */
  hint: string
}

// The default plausible range of a blood pressure in mmHg; the clinic may narrow it (its settings
// come with GET /me/setup) and the API checks the clinic's own (its refusal is shown as it comes).
const BP = { systolic: [50, 260], diastolic: [30, 160] }

/** What the page offers without the clinic's settings (offline, never read): glucose and blood pressure. */
export const KINDS: Kind[] = [
  { value: 'glucose', label: '血糖', input: 'glucose', unit: 'mmol/L', low: MIN, high: MAX, places: 1, low2: 0, high2: 0, hint: '' },
  { value: 'blood_pressure', label: '血压', input: 'blood_pressure', unit: 'mmHg', low: BP.systolic[0], high: BP.systolic[1],
    places: 0, low2: BP.diastolic[0], high2: BP.diastolic[1], hint: '' },
]

// Recorded elsewhere, never typed on this page: WeRun steps (packages/invite/steps) and task sessions.
const NOT_TYPED = ['steps', 'task']

/** "可填 20 到 250 kg，最多 1 位小数" (what the number input says under it) */
export function rangeHint(t: { low: number; high: number; unit: string; places: number }): string {
  return `可填 ${t.low} 到 ${t.high} ${t.unit}，${t.places > 0 ? `最多 ${t.places} 位小数` : '填整数'}`
}

/** The clinic's types as the page offers them, in the clinic's order; the defaults when there are none. */
export function kindsOf(types: CheckinTypeSetting[] | null): Kind[] {
  const offered = (types || []).filter((t) => NOT_TYPED.indexOf(t.code) < 0).map((t): Kind => {
    const input = t.code === 'glucose' ? 'glucose' : t.input === 'blood_pressure' ? 'blood_pressure' : 'number'
    const kind: Kind = { value: t.code, label: t.label, input, unit: t.unit, low: t.low, high: t.high, places: t.places,
      low2: t.low2 == null ? BP.diastolic[0] : t.low2, high2: t.high2 == null ? BP.diastolic[1] : t.high2, hint: '' }
    return input === 'number' ? { ...kind, hint: rangeHint(kind) } : kind
  })
  return offered.length ? offered : KINDS
}

const pad = (n: number) => (n < 10 ? `0${n}` : `${n}`)
const hhmm = (d: Date) => `${pad(d.getHours())}:${pad(d.getMinutes())}`

/** Today at `time` ("HH:MM") in the phone's zone, as ISO 8601 with its offset. */
export function readingTime(time: string, now: Date): string {
  const [h, m] = time.split(':').map(Number)
  const d = new Date(now.getFullYear(), now.getMonth(), now.getDate(), h, m, 0, 0)
  const offset = -d.getTimezoneOffset()
  const sign = offset >= 0 ? '+' : '-'
  const abs = Math.abs(offset)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(h)}:${pad(m)}:00${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
}

/** The reading in mmol/L as the API stores it (mg/dL divided by 18 and rounded to 0.1). */
export function inMmol(n: number, unit: string): number {
  return unit === 'mg/dL' ? Math.round((n / MG_DL_PER_MMOL_L) * 10) / 10 : n
}

export function validate(value: string, meal: string, time: string, now: Date, unit = 'mmol/L'): Record<string, string> {
  const errors: Record<string, string> = {}
  const n = Number(value)
  if (!value.trim() || Number.isNaN(n)) errors.value = '请填写血糖值'
  else if (inMmol(n, unit) < MIN || inMmol(n, unit) > MAX) {
    errors.value = unit === 'mg/dL'
      ? `血糖值应在 ${MIN * MG_DL_PER_MMOL_L} 到 ${MAX * MG_DL_PER_MMOL_L} mg/dL 之间，请核对`
      : `血糖值应在 ${MIN} 到 ${MAX} mmol/L 之间，请核对`
  }
  if (!meal) errors.meal = '请选择空腹、餐后或随机'
  if (!/^\d{2}:\d{2}$/.test(time)) errors.time = '请选择测量时间'
  else if (time > hhmm(now)) errors.time = '测量时间不能晚于现在'
  return errors
}

function timeErrors(errors: Record<string, string>, time: string, now: Date): Record<string, string> {
  if (!/^\d{2}:\d{2}$/.test(time)) errors.time = '请选择测量时间'
  else if (time > hhmm(now)) errors.time = '测量时间不能晚于现在'
  return errors
}

/** One number of a clinic's own type: filled, at most `places` decimals, inside low..high. */
export function validateNumber(value: string, kind: Kind, time: string, now: Date): Record<string, string> {
  const errors: Record<string, string> = {}
  const text = value.trim()
  const n = Number(text)
  const decimals = (text.split('.')[1] || '').replace(/0+$/, '').length // 61.50 is 61.5
  if (!text || Number.isNaN(n)) errors.value = `请填写${kind.label}`
  else if (decimals > kind.places) {
    errors.value = kind.places > 0 ? `${kind.label}最多填 ${kind.places} 位小数` : `${kind.label}请填整数`
  } else if (n < kind.low || n > kind.high) errors.value = `${kind.label}应在 ${kind.low} 到 ${kind.high} ${kind.unit} 之间，请核对`
  return timeErrors(errors, time, now)
}

export function validateBp(systolic: string, diastolic: string, time: string, now: Date,
  range: { low: number; high: number; low2: number; high2: number } = KINDS[1]): Record<string, string> {
  const errors: Record<string, string> = {}
  const high = Number(systolic)
  const low = Number(diastolic)
  const whole = (text: string, n: number) => text.trim() !== '' && Number.isInteger(n)
  if (!whole(systolic, high)) errors.systolic = '请填写收缩压（整数）'
  else if (high < range.low || high > range.high) errors.systolic = `收缩压应在 ${range.low} 到 ${range.high} mmHg 之间，请核对`
  if (!whole(diastolic, low)) errors.diastolic = '请填写舒张压（整数）'
  else if (low < range.low2 || low > range.high2) errors.diastolic = `舒张压应在 ${range.low2} 到 ${range.high2} mmHg 之间，请核对`
  else if (!errors.systolic && low >= high) errors.diastolic = '舒张压应低于收缩压，请核对'
  return timeErrors(errors, time, now)
}

Component({
  behaviors: [careMode],
  data: {
    kinds: KINDS,
    kind: 'glucose',
    /** the chosen type's settings (its input, unit, range) */
    current: KINDS[0] as Kind,
    /** the type asked for with ?type=, chosen once the clinic's types are known */
    wanted: '',
    systolic: '',
    diastolic: '',
    meals: MEALS,
    units: UNITS,
    value: '',
    unit: 'mmol/L',
    meal: '',
    time: '',
    errors: {} as Record<string, string>,
    submitting: false,
    submitError: '',
    result: null as (CheckInReply & { streak: number }) | null,
    /** the Idempotency-Key of the reading being sent (kept across retries of the same reading) */
    idemKey: '',
    /** the offer to subscribe to reminders, shown after a check-in unless already asked today */
    offerSubscribe: false,
    subscribed: false,
  },
  methods: {
    onLoad(options?: Record<string, string>) {
      this.setData({ wanted: (options && options.type) || '' })
      this.reset()
      // what the phone kept from the last time first (offline too), then the clinic's current list
      const kept = keptCheckinTypes()
      this.offer(kept ? kept.items : null)
      this.loadTypes()
      // the subscribe templates are fetched (and kept for the day) before the tap, so that the tap
      // on 提交 sends only the check-in and the offer after it opens WeChat's dialog at once
      if (canAsk('checkin')) prepareSubscribe()
    },
    /** Back on the tab from a card's 去打卡 (utils/checkin.ts openCheckin): that card's type, on a fresh form. */
    onShow() {
      const wanted = takeWantedCheckin()
      if (!wanted) return
      if (this.data.result) this.reset()
      const pick = this.data.kinds.find((k) => k.value === wanted)
      if (pick) {
        if (pick.value !== this.data.kind) this.setData({ kind: pick.value, current: pick, value: '', errors: {}, submitError: '', idemKey: '' })
      } else this.setData({ wanted }) // chosen when the clinic's list arrives
    },
    async loadTypes() {
      const types = await loadCheckinTypes()
      if (types) this.offer(types)
    },
    /** Offer these types; keep the chosen one while it is offered, else the one asked for, else the first. */
    offer(types: CheckinTypeSetting[] | null) {
      const kinds = kindsOf(types)
      const { wanted, kind } = this.data
      const pick = kinds.find((k) => k.value === wanted) || kinds.find((k) => k.value === kind) || kinds[0]
      if (pick.value === wanted) this.setData({ wanted: '' }) // asked once: later choices are the patient's
      const changed = pick.value !== kind
      this.setData({ kinds, kind: pick.value, current: pick, ...(changed ? { value: '', errors: {}, idemKey: '' } : {}) })
    },
    reset() {
      this.setData({ value: '', systolic: '', diastolic: '', meal: '', time: hhmm(new Date()), errors: {}, submitError: '', result: null, idemKey: '',
        offerSubscribe: false, subscribed: false })
    },
    onValue(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      this.setData({ value: e.detail.value, 'errors.value': '', idemKey: '' }) // a changed reading is a new check-in
    },
    onKind(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      const current = this.data.kinds.find((k) => k.value === e.detail.value) || this.data.current
      // the number typed for another type is not this one's
      this.setData({ kind: current.value, current, value: '', errors: {}, submitError: '', idemKey: '' })
    },
    onSystolic(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      this.setData({ systolic: e.detail.value, 'errors.systolic': '', idemKey: '' })
    },
    onDiastolic(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      this.setData({ diastolic: e.detail.value, 'errors.diastolic': '', idemKey: '' })
    },
    onUnit(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      this.setData({ unit: e.detail.value, 'errors.value': '', idemKey: '' })
    },
    onMeal(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      this.setData({ meal: e.detail.value, 'errors.meal': '', idemKey: '' })
    },
    onTime(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      this.setData({ time: e.detail.value, 'errors.time': '', idemKey: '' })
    },
    async onSubmit() {
      if (this.data.submitting) return
      const now = new Date()
      const { value, unit, meal, time, kind, current, systolic, diastolic } = this.data
      const errors = current.input === 'blood_pressure' ? validateBp(systolic, diastolic, time, now, current)
        : current.input === 'number' ? validateNumber(value, current, time, now)
          : validate(value, meal, time, now, unit)
      this.setData({ errors, submitError: '' })
      if (Object.keys(errors).length) return
      // One key per reading: tapping again after a failure resends the same check-in, never a second one.
      const key = this.data.idemKey || newIdempotencyKey(kind)
      this.setData({ submitting: true, idemKey: key })
      try {
        const clientTime = readingTime(time, now)
        const reading = current.input === 'blood_pressure'
          ? { type: kind, value: Number(systolic), diastolic: Number(diastolic), client_time: clientTime }
          : current.input === 'number' ? { type: kind, value: Number(value), client_time: clientTime }
            : { type: kind, unit: unit as 'mmol/L' | 'mg/dL', value: Number(value),
              context: meal as 'fasting' | 'after_meal' | 'random', client_time: clientTime }
        const reply = await postCheckin(reading, key)
        const streaks = (reply.challenges || []).map((c) => c.current_streak)
        const offer = canAsk('checkin')
        this.setData({ result: { ...reply, streak: streaks.length ? Math.max(...streaks) : 0 }, idemKey: '',
          offerSubscribe: offer })
      } catch (e) {
        const error = pageError(e)
        this.setData({ submitError: error.message })
        // the clinic changed its settings (a range, or no longer records this type): read them again
        if (error.code === 'invalid_reading' || error.code === 'unknown_checkin_type') this.loadTypes()
      } finally {
        this.setData({ submitting: false })
      }
    },
    /** WeChat opens its dialog only from a tap, so the offer is a button. */
    async onSubscribe() {
      const recorded = await askSubscribe('checkin')
      this.setData({ offerSubscribe: false, subscribed: recorded.length > 0 })
    },
    onWerun() {
      wx.navigateTo({ url: '/packages/invite/steps/index' })
    },
    onAgain() {
      this.reset()
    },
  },
})
