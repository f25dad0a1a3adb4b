// 我的预约: the patient's bookings, those still to come first (soonest first), then the others
// (latest first) with their status in words. A booking to come can be cancelled (after a
// confirmation) or moved to another slot (改约 opens the booking page on its department).
import { Appointment, cancelAppointment, getMyAppointments } from '../../../api/index'
import { pageError } from '../../../utils/page'
import { careMode } from '../../../utils/care'
import { BOOKING_PAGE, bookingUrl } from '../../../utils/booking'
import { departmentLabel, isoDay, statusText, whenText } from '../format'

/** Refusals after which the list on screen is out of date: it is read again. */
const STALE = ['appointment_not_booked', 'slot_started', 'appointment_not_found']

export interface BookingRow {
  id: string
  when: string
  department: string
  departmentCode: string
  doctor: string
  expert: boolean
  status: string
  statusText: string
  /** still to come and booked: it can be cancelled or moved */
  upcoming: boolean
}

/** The bookings as the page lists them: to come (soonest first), then the rest (latest first). */
export function bookingRows(items: Appointment[], now: number, today: string): { upcoming: BookingRow[]; past: BookingRow[] } {
  const row = (a: Appointment, upcoming: boolean): BookingRow => ({
    id: a.appointment_id, when: whenText(a, today), department: departmentLabel(a.department), departmentCode: a.department,
    doctor: a.doctor_name || '', expert: a.expert, status: a.status, statusText: statusText(a), upcoming,
  })
  const ahead = (a: Appointment) => a.status === 'booked' && Date.parse(a.starts_at) > now
  const upcoming = items.filter(ahead).sort((a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at))
  const past = items.filter((a) => !ahead(a)).sort((a, b) => Date.parse(b.starts_at) - Date.parse(a.starts_at))
  return { upcoming: upcoming.map((a) => row(a, true)), past: past.map((a) => row(a, false)) }
}

Component({
  behaviors: [careMode],
  data: {
    loading: true,
    loaded: false,
    error: '',
    upcoming: [] as BookingRow[],
    past: [] as BookingRow[],
    cancelling: null as BookingRow | null,
    dialogVisible: false,
    busy: '',
    actionError: '',
  },
  methods: {
    onLoad() {
      this.load()
    },
    onShow() {
      // back from 改约 or a new booking: the list is read again
      if (this.data.loaded) this.load(true)
    },
    onPullDownRefresh() {
      const done = () => wx.stopPullDownRefresh()
      this.load(true).then(done, done)
    },
    async load(quiet = false) {
      this.setData({ loading: !quiet || !this.data.loaded, error: '' })
      try {
        const reply = await getMyAppointments()
        this.setData({ loading: false, loaded: true, ...bookingRows(reply.items, Date.now(), isoDay(0)) })
      } catch (e) {
        this.setData({ loading: false, error: pageError(e).message })
      }
    },
    onAskCancel(e: WechatMiniprogram.CustomEvent<Record<string, never>, Record<string, never>, { index: number }>) {
      const row = this.data.upcoming[e.currentTarget.dataset.index]
      if (!row || this.data.busy) return
      this.setData({ cancelling: row, dialogVisible: true, actionError: '' })
    },
    onKeep() {
      this.setData({ dialogVisible: false })
    },
    async onConfirmCancel() {
      const row = this.data.cancelling
      this.setData({ dialogVisible: false })
      if (!row || this.data.busy) return
      this.setData({ busy: row.id, actionError: '' })
      try {
        await cancelAppointment(row.id)
        wx.showToast({ title: '已取消预约', icon: 'none' })
        await this.load(true)
      } catch (err) {
        const error = pageError(err)
        this.setData({ actionError: error.message })
        if (STALE.includes(error.code)) await this.load(true)
      } finally {
        this.setData({ busy: '' })
      }
    },
    onReschedule(e: WechatMiniprogram.CustomEvent<Record<string, never>, Record<string, never>, { index: number }>) {
      const row = this.data.upcoming[e.currentTarget.dataset.index]
      if (!row || this.data.busy) return
      wx.navigateTo({ url: `${bookingUrl(row.departmentCode)}&reschedule=${encodeURIComponent(row.id)}` })
    },
    onBook() {
      wx.navigateTo({ url: BOOKING_PAGE })
    },
  },
})
