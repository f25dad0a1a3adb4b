// 打卡 (glucose): the reading in mmol/L or mg/dL, when it was taken (空腹/餐后/随机), the reading's
// time today; or a blood pressure (收缩压/舒张压 in mmHg, opened with ?type=blood_pressure or
// chosen at the top); POST /me/checkins. After a check-in, an offer to subscribe to reminders.
import { CheckInReply, newIdempotencyKey, postCheckin } from '../../api/index'
import { pageError } from '../../utils/page'
import { careMode } from '../../utils/care'
import { askSubscribe, canAsk, prepareSubscribe } from '../../utils/subscribe'

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

export const KINDS = [
  { value: 'glucose', label: '血糖' },
  { value: 'blood_pressure', label: '血压' },
]

// The default plausible range of a blood pressure in mmHg; the clinic may narrow it and the API
// checks the clinic's own (its refusal is shown as it comes).
const BP = { systolic: [50, 260], diastolic: [30, 160] }

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

export function validateBp(systolic: string, diastolic: string, time: string, now: Date): Record<string, string> {
  const errors: Record<string, string> = {}
  const high = Number(systolic)
  const low = Number(diastolic)
  const whole = (text: string, n: number) => text.trim() !== '' && Number.isInteger(n)
  if (!whole(systolic, high)) errors.systolic = '请填写收缩压（整数）'
  else if (high < BP.systolic[0] || high > BP.systolic[1]) errors.systolic = `收缩压应在 ${BP.systolic[0]} 到 ${BP.systolic[1]} mmHg 之间，请核对`
  if (!whole(diastolic, low)) errors.diastolic = '请填写舒张压（整数）'
  else if (low < BP.diastolic[0] || low > BP.diastolic[1]) errors.diastolic = `舒张压应在 ${BP.diastolic[0]} 到 ${BP.diastolic[1]} mmHg 之间，请核对`
  else if (!errors.systolic && low >= high) errors.diastolic = '舒张压应低于收缩压，请核对'
  if (!/^\d{2}:\d{2}$/.test(time)) errors.time = '请选择测量时间'
  else if (time > hhmm(now)) errors.time = '测量时间不能晚于现在'
  return errors
}

Component({
  behaviors: [careMode],
  data: {
    kinds: KINDS,
    kind: 'glucose',
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
      if (options && options.type === 'blood_pressure') this.setData({ kind: 'blood_pressure' })
      this.reset()
      // the subscribe templates are fetched (and kept for the day) before the tap, so that the tap
      // on 提交 sends only the check-in and the offer after it opens WeChat's dialog at once
      if (canAsk('checkin')) prepareSubscribe()
    },
    reset() {
      this.setData({ value: '', systolic: '', diastolic: '', meal: '', time: hhmm(new Date()), errors: {}, submitError: '', result: null, idemKey: '',
        offerSubscribe: false, subscribed: false })
    },
    onValue(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      this.setData({ value: e.detail.value, 'errors.value': '', idemKey: '' }) // a changed reading is a new check-in
    },
    onKind(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      this.setData({ kind: e.detail.value, errors: {}, submitError: '', idemKey: '' })
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
      const { value, unit, meal, time, kind, systolic, diastolic } = this.data
      const pressure = kind === 'blood_pressure'
      const errors = pressure ? validateBp(systolic, diastolic, time, now) : validate(value, meal, time, now, unit)
      this.setData({ errors, submitError: '' })
      if (Object.keys(errors).length) return
      // One key per reading: tapping again after a failure resends the same check-in, never a second one.
      const key = this.data.idemKey || newIdempotencyKey(kind)
      this.setData({ submitting: true, idemKey: key })
      try {
        const reading = pressure
          ? { type: 'blood_pressure', value: Number(systolic), diastolic: Number(diastolic), client_time: readingTime(time, now) }
          : { type: 'glucose', unit: unit as 'mmol/L' | 'mg/dL', value: Number(value),
            context: meal as 'fasting' | 'after_meal' | 'random', client_time: readingTime(time, now) }
        const reply = await postCheckin(reading, key)
        const streaks = (reply.challenges || []).map((c) => c.current_streak)
        const offer = canAsk('checkin')
        this.setData({ result: { ...reply, streak: streaks.length ? Math.max(...streaks) : 0 }, idemKey: '',
          offerSubscribe: offer })
      } catch (e) {
        this.setData({ submitError: pageError(e).message })
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
