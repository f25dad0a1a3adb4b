// 打卡 (glucose): value in mmol/L, fasting or after a meal, the reading's time today; POST /me/checkins.
import { CheckInReply, newIdempotencyKey, postCheckin } from '../../api/index'
import { pageError } from '../../utils/page'
import { careMode } from '../../utils/care'

// What a home meter can show, in mmol/L (the API refuses readings outside it).
const MIN = 1.0
const MAX = 50.0

export const MEALS = [
  { value: 'fasting', label: '空腹' },
  { value: 'after_meal', label: '餐后' },
]

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

export function validate(value: string, meal: string, time: string, now: Date): Record<string, string> {
  const errors: Record<string, string> = {}
  const n = Number(value)
  if (!value.trim() || Number.isNaN(n)) errors.value = '请填写血糖值'
  else if (n < MIN || n > MAX) errors.value = `血糖值应在 ${MIN} 到 ${MAX} mmol/L 之间，请核对`
  if (!meal) errors.meal = '请选择空腹或餐后'
  if (!/^\d{2}:\d{2}$/.test(time)) errors.time = '请选择测量时间'
  else if (time > hhmm(now)) errors.time = '测量时间不能晚于现在'
  return errors
}

Component({
  behaviors: [careMode],
  data: {
    meals: MEALS,
    value: '',
    meal: '',
    time: '',
    errors: {} as Record<string, string>,
    submitting: false,
    submitError: '',
    result: null as (CheckInReply & { streak: number }) | null,
    /** the Idempotency-Key of the reading being sent (kept across retries of the same reading) */
    idemKey: '',
  },
  methods: {
    onLoad() {
      this.reset()
    },
    reset() {
      this.setData({ value: '', meal: '', time: hhmm(new Date()), errors: {}, submitError: '', result: null, idemKey: '' })
    },
    onValue(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      this.setData({ value: e.detail.value, 'errors.value': '', idemKey: '' }) // a changed reading is a new check-in
    },
    onMeal(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      this.setData({ meal: e.detail.value, 'errors.meal': '' })
    },
    onTime(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      this.setData({ time: e.detail.value, 'errors.time': '', idemKey: '' })
    },
    async onSubmit() {
      if (this.data.submitting) return
      const now = new Date()
      const { value, meal, time } = this.data
      const errors = validate(value, meal, time, now)
      this.setData({ errors, submitError: '' })
      if (Object.keys(errors).length) return
      // One key per reading: tapping again after a failure resends the same check-in, never a second one.
      const key = this.data.idemKey || newIdempotencyKey('glucose')
      this.setData({ submitting: true, idemKey: key })
      try {
        // `meal` is asked for the patient's own record; CheckInBody has no field for it yet, so it is
        // sent once the API takes it (see docs/miniprogram.md).
        const reply = await postCheckin({ type: 'glucose', unit: 'mmol/L', value: Number(value),
          client_time: readingTime(time, now) }, key)
        const streaks = (reply.challenges || []).map((c) => c.current_streak)
        this.setData({ result: { ...reply, streak: streaks.length ? Math.max(...streaks) : 0 }, idemKey: '' })
      } catch (e) {
        this.setData({ submitError: pageError(e).message })
      } finally {
        this.setData({ submitting: false })
      }
    },
    onAgain() {
      this.reset()
    },
  },
})
