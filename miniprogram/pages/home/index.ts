// 首页: everything from GET /me/home in one request: today's check-ins and open tasks, running
// streaks (tap: the challenge), points with the next lot to expire (tap: points), the next visit
// (booked: tap for 我的预约; else 预约复诊) and unread messages (tap: the messages tab).
import { CheckinTypeSetting, HomeView, keptCheckinTypes, loadHome, newIdempotencyKey, postCheckin } from '../../api/index'
import { pageError } from '../../utils/page'
import { careMode } from '../../utils/care'
import { tierLabel } from '../../utils/labels'
import { openCheckin } from '../../utils/checkin'
import { bookingUrl, MY_BOOKINGS_PAGE } from '../../utils/booking'

const CHECKIN_NAMES: Record<string, { label: string; unit: string }> = {
  glucose: { label: '血糖', unit: 'mmol/L' },
  steps: { label: '步数', unit: '步' },
  task: { label: '任务打卡', unit: '' },
}

/** "2026-12-20" -> "12月20日" (the year only when it is not this one). */
export function dayText(iso: string | null, today: string): string {
  if (!iso) return ''
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso)
  if (!m) return ''
  const day = `${Number(m[2])}月${Number(m[3])}日`
  return m[1] === today.slice(0, 4) ? day : `${m[1]}年${day}`
}

function clock(iso: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return ''
  const pad = (n: number) => (n < 10 ? `0${n}` : `${n}`)
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/**
 * The reply as the page shows it: words for codes, dates in Chinese. `types`: the clinic's check-in
 * types the phone kept (GET /me/setup, read by the check-in page), naming its own types (体重 61.5 kg).
 */
export function homeView(home: HomeView, types: CheckinTypeSetting[] = []) {
  // (a blood pressure reads as both numbers, 128/82 mmHg; a type the phone has no setting for, by its code's word)
  const own: Record<string, { label: string; unit: string }> = {}
  for (const t of types) own[t.code] = { label: t.label, unit: t.unit }
  const today = home.today
  const booking = home.revisit.next_booking_date
  const due = home.revisit.revisit_due_date
  return {
    greeting: `${home.me.nickname || home.me.name_masked}，您好`,
    checkins: home.checkins.map((c) => {
      const name = CHECKIN_NAMES[c.type] || own[c.type] || { label: '打卡', unit: '' }
      return {
        checkin_id: c.checkin_id,
        label: name.label,
        value: c.type === 'task' ? '已完成'
          : `${c.value}${c.diastolic != null ? `/${c.diastolic}` : ''}${name.unit ? ` ${name.unit}` : ''}`,
        time: clock(c.client_time),
        counted: c.counted,
      }
    }),
    tasks: home.tasks.map((t) => ({
      task_id: t.task_id,
      title: t.title,
      progress: `${t.progress}/${t.target}`,
      note: t.counted_today ? '今天已完成' : t.days_left > 0 ? `还剩 ${t.days_left} 天` : '今天截止',
      done: t.counted_today,
      // how the patient records it: a session of a task ('task'), a reading or steps on their pages
      kind: t.checkin_type || 'task',
    })),
    streaks: home.streaks.map((s) => ({
      challenge_id: s.challenge_id,
      name: s.name,
      current: s.current_streak,
      note: s.days_to_go > 0 ? `再坚持 ${s.days_to_go} 天就完成` : '已经完成，继续保持',
    })),
    balance: home.points.balance,
    tier: tierLabel(home.points.tier),
    expiring: home.points.next_expiring
      ? `${home.points.next_expiring.points} 积分将于 ${dayText(home.points.next_expiring.expires_on, today)}到期`
      : '',
    visit: booking ? `已预约 ${dayText(booking, today)}就诊` : due ? `建议在 ${dayText(due, today)}前后复诊` : '',
    booked: !!booking,
    unread: home.inbox_unread,
  }
}

Component({
  behaviors: [careMode],
  data: {
    loading: true,
    error: '',
    home: null as ReturnType<typeof homeView> | null,
    taskBusy: '',
    taskError: '',
    // one Idempotency-Key per task until its completion is recorded, so a retry never counts twice
    taskKeys: {} as Record<string, string>,
  },
  methods: {
    onLoad() {
      this.load()
    },
    onShow() {
      if (this.data.home) this.load() // back from a check-in or a message: show the new figures
    },
    onPullDownRefresh() {
      this.load().then(() => wx.stopPullDownRefresh())
    },
    async load() {
      this.setData({ loading: !this.data.home, error: '' })
      try {
        const home = await loadHome()
        const kept = keptCheckinTypes()
        this.setData({ loading: false, home: homeView(home, kept ? kept.items : []) })
      } catch (e) {
        this.setData({ loading: false, error: pageError(e).message })
      }
    },
    onCheckin() {
      openCheckin()
    },
    onMessages() {
      wx.switchTab({ url: '/pages/messages/index' })
    },
    onStreak(e: WechatMiniprogram.CustomEvent<Record<string, never>, Record<string, never>, { id: string }>) {
      wx.navigateTo({ url: `/packages/challenge/detail/index?id=${encodeURIComponent(e.currentTarget.dataset.id)}` })
    },
    onPoints() {
      wx.navigateTo({ url: '/packages/points/index/index' })
    },
    /** 预约复诊: the booking page opens on the patient's own department. */
    onBook() {
      wx.navigateTo({ url: bookingUrl() })
    },
    onMyBookings() {
      wx.navigateTo({ url: MY_BOOKINGS_PAGE })
    },
    /**
     * A task's 完成一次: a session of a task is a `task` check-in; steps have their page, and any reading
     * (glucose, blood pressure, the clinic's own types) opens the check-in tab on that type.
     */
    async onTask(e: WechatMiniprogram.CustomEvent<Record<string, never>, Record<string, never>, { id: string; kind: string }>) {
      const { id, kind } = e.currentTarget.dataset
      if (kind === 'steps') return wx.navigateTo({ url: '/packages/invite/steps/index' })
      if (kind !== 'task') return openCheckin(kind)
      if (this.data.taskBusy) return
      const key = this.data.taskKeys[id] || newIdempotencyKey('task')
      this.setData({ taskBusy: id, taskError: '', [`taskKeys.${id}`]: key })
      try {
        const reply = await postCheckin({ type: 'task', value: 1, client_time: new Date().toISOString() }, key)
        this.setData({ taskBusy: '', [`taskKeys.${id}`]: '' })
        wx.showToast({ title: reply.points_awarded > 0 ? `已记录，+${reply.points_awarded} 积分` : '已记录', icon: 'none' })
        await this.load()
      } catch (err) {
        this.setData({ taskBusy: '', taskError: pageError(err).message })
      }
    },
  },
})
