// 预约复诊: choose a department, see its open slots over the next two weeks grouped by day (clinic-local
// times, places left, expert slots marked; an expert slot still in the priority window is marked
// 优先预约 for a holder of the perk, and shown with the day it opens to everyone to others), book one after a confirmation and see the result.
// `?department=<code>` opens on that department (a reminder, the home page); without one the
// patient's own department (GET /me) is chosen. `?reschedule=<appointment id>` moves that booking
// to the slot picked instead (改约, one request: the API cancels the old one and books the new one).
// A recall reminder's link adds `?offer=1&doctor_id=&date=&start=HHMM`: the slot the reminder holds for
// the patient (GET /me/slot-offers) is shown first, ready to book with one tap.
import {
  Appointment, bookAppointment, ensureSession, getMe, getMyAppointments, getMySlotOffers, getOpenSlots, login,
  newIdempotencyKey, rescheduleAppointment, SlotChoice,
} from '../../../api/index'
import { pageError } from '../../../utils/page'
import { careMode } from '../../../utils/care'
import { MY_BOOKINGS_PAGE } from '../../../utils/booking'
import {
  dayLabel, daysBetween, DayGroup, DEPARTMENT_CODE, departmentLabel, DEPARTMENTS, groupByDay, isoDay, slotId, SlotRow, whenText,
} from '../format'

/** Days shown at a time, and how far ahead the API lets a range start. */
const WINDOW_DAYS = 14
const MAX_AHEAD_DAYS = 90
/** Refusals after which the slots on screen are out of date: they are read again. */
const STALE = ['slot_full', 'slot_started', 'slot_not_found', 'doctor_not_found', 'slot_not_open_yet']

interface Moving {
  id: string
  when: string
  department: string
  doctor: string
}

/** The slot a reminder holds for the patient, as the offer card shows it. */
interface OfferView {
  doctor_id: string
  date: string
  start: string
  when: string
  doctor: string
  department: string
}

interface Wanted {
  doctor_id: string
  date: string
  start: string
}

/** The held slot a reminder's link names (`start` as HHMM or HH:MM), or null. */
function wantedOffer(query: Record<string, string | undefined>): Wanted | null {
  if (query.offer !== '1') return null
  const doctor = decodeURIComponent(query.doctor_id || '')
  const date = decodeURIComponent(query.date || '')
  const raw = decodeURIComponent(query.start || '').replace(':', '')
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(doctor) || !/^\d{4}-\d{2}-\d{2}$/.test(date) || !/^\d{4}$/.test(raw)) return null
  return { doctor_id: doctor, date, start: `${raw.slice(0, 2)}:${raw.slice(2)}` }
}

interface Done {
  title: string
  when: string
  department: string
  doctor: string
  expert: boolean
  previous: string
}

function doneView(a: Appointment, today: string, title: string, previous = ''): Done {
  return { title, when: whenText(a, today), department: departmentLabel(a.department), doctor: a.doctor_name || '',
    expert: a.expert, previous }
}

Component({
  behaviors: [careMode],
  data: {
    loading: true,
    error: '',
    today: '',
    department: '',
    departmentName: '',
    departments: [] as { code: string; label: string }[],
    moving: null as Moving | null,
    movingId: '',
    /** the patient's bookings to come, and what their slots read (slot id -> 您已预约 / 您现在的预约) */
    upcoming: [] as { id: string; when: string; who: string }[],
    mineLabels: {} as Record<string, string>,
    days: [] as DayGroup[],
    lastDay: '',
    canMore: false,
    slotsLoading: false,
    slotsError: '',
    moreLoading: false,
    confirming: null as SlotRow | null,
    confirmDay: '',
    dialogVisible: false,
    booking: false,
    bookError: '',
    /** the Idempotency-Key of the pending booking of slot `keyFor`, kept across retries until it succeeds */
    idemKey: '',
    keyFor: '',
    done: null as Done | null,
    /** the slot a reminder holds for the patient, and what to say when it is no longer held */
    wanted: null as Wanted | null,
    offer: null as OfferView | null,
    offerNote: '',
  },
  methods: {
    onLoad(query: Record<string, string | undefined> = {}) {
      const wanted = decodeURIComponent(query.department || '')
      this.setData({
        department: DEPARTMENT_CODE.test(wanted) ? wanted : '',
        movingId: decodeURIComponent(query.reschedule || ''),
        wanted: wantedOffer(query),
      })
      if (this.data.movingId && wx.setNavigationBarTitle) wx.setNavigationBarTitle({ title: '改约' })
      this.start()
    },
    onPullDownRefresh() {
      const done = () => wx.stopPullDownRefresh()
      ;(this.data.department ? this.loadSlots() : this.start()).then(done, done)
    },
    /** What the page needs before the slots: the booking being moved, and which department to show. */
    async start() {
      this.setData({ loading: true, error: '', today: isoDay(0) })
      try {
        // opened straight from a reminder or a shared link, the page may come before any sign-in
        let session = await ensureSession()
        if (!session.registered) session = await login() // a kept visitor session may have registered since
        if (!session.registered) {
          wx.redirectTo({ url: '/pages/register/index' })
          return
        }
        let department = this.data.department
        // the patient's bookings: the one being moved, and those to come (shown, their slots not offered);
        // without them (a failed read) the page still books, the API refusing a slot booked twice
        const mine = await getMyAppointments().catch((e) => {
          if (this.data.movingId) throw e
          pageError(e)
          return { items: [] as Appointment[] }
        })
        const now = Date.now()
        const ahead = mine.items.filter((a) => a.status === 'booked' && Date.parse(a.starts_at) > now)
          .sort((a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at))
        const labels: Record<string, string> = {}
        for (const a of ahead) labels[slotId(a)] = a.appointment_id === this.data.movingId ? '您现在的预约' : '您已预约'
        this.setData({
          mineLabels: labels,
          upcoming: ahead.map((a) => ({ id: a.appointment_id, when: whenText(a, this.data.today),
            who: `${departmentLabel(a.department)}${a.doctor_name ? ` · ${a.doctor_name}` : ''}` })),
        })
        if (this.data.movingId) {
          const a = mine.items.find((item) => item.appointment_id === this.data.movingId)
          if (!a || a.status !== 'booked') {
            this.setData({ loading: false, error: '这个预约已经取消或已经就诊了，不能再改约' })
            return
          }
          this.setData({ moving: { id: a.appointment_id, when: whenText(a, this.data.today), department: departmentLabel(a.department),
            doctor: a.doctor_name || '' } })
          department = department || a.department
        }
        if (!department) {
          const { patient } = await getMe()
          department = patient.department && DEPARTMENT_CODE.test(patient.department) ? patient.department : ''
        }
        if (this.data.wanted && !this.data.movingId) await this.loadOffer()
        const codes = [department, ...DEPARTMENTS.map((d) => d.code)].filter((c, i, all) => c && all.indexOf(c) === i)
        this.setData({
          loading: false, department, departmentName: department ? departmentLabel(department) : '',
          departments: codes.map((code) => ({ code, label: departmentLabel(code) })),
        })
        if (department) await this.loadSlots()
      } catch (e) {
        this.setData({ loading: false, error: pageError(e).message })
      }
    },
    /** The slot the reminder's link names, if it is still held for the patient. */
    async loadOffer() {
      const wanted = this.data.wanted
      if (!wanted) return
      try {
        const { items } = await getMySlotOffers()
        const held = items.find((o) => o.doctor_id === wanted.doctor_id && o.date === wanted.date && o.start === wanted.start)
        if (!held) {
          this.setData({ offer: null, offerNote: '提醒里为您保留的号已经过了保留时间，请在下面另选一个时间' })
          return
        }
        this.setData({ offerNote: '', offer: { doctor_id: held.doctor_id, date: held.date, start: held.start,
          when: `${dayLabel(held.date, this.data.today)} ${held.start}`, doctor: held.doctor_name || '',
          department: departmentLabel(held.department) } })
      } catch (e) {
        // without the offer the page still lists the slots; the patient picks one there
        this.setData({ offer: null, offerNote: pageError(e).message })
      }
    },
    /** One tap books the held slot (no confirmation: the reminder offered exactly this one). */
    async onBookOffer() {
      const offer = this.data.offer
      if (!offer || this.data.booking) return
      const id = slotId(offer)
      const key = this.data.keyFor === id && this.data.idemKey ? this.data.idemKey : newIdempotencyKey('book')
      this.setData({ booking: true, bookError: '', idemKey: key, keyFor: id })
      try {
        const reply = await bookAppointment({ doctor_id: offer.doctor_id, date: offer.date, start: offer.start }, key)
        this.setData({ done: doneView(reply.appointment, this.data.today, '预约成功'), idemKey: '', keyFor: '', offer: null })
      } catch (err) {
        const error = pageError(err)
        this.setData({ bookError: error.message })
        if (STALE.includes(error.code)) {
          this.setData({ offer: null })
          this.loadSlots()
        }
      } finally {
        this.setData({ booking: false })
      }
    },
    /** The first two weeks of the chosen department's open slots. */
    async loadSlots() {
      const department = this.data.department
      const today = isoDay(0)
      this.setData({ slotsLoading: true, slotsError: '', today })
      try {
        const reply = await getOpenSlots(department, today, isoDay(WINDOW_DAYS - 1))
        if (department !== this.data.department) return // another department was chosen meanwhile
        this.showSlots(reply.items, reply.last_day, false)
      } catch (e) {
        const error = pageError(e)
        if (error.code === 'unknown_department') {
          // this clinic has no such department: it leaves the choice
          this.setData({ department: '', departmentName: '', days: [],
            departments: this.data.departments.filter((d) => d.code !== department) })
        }
        this.setData({ slotsError: error.message })
      } finally {
        this.setData({ slotsLoading: false })
      }
    },
    showSlots(items: Parameters<typeof groupByDay>[0], lastDay: string, append: boolean) {
      const days = groupByDay(items, this.data.today, this.data.mineLabels)
      this.setData({
        days: append ? this.data.days.concat(days) : days,
        lastDay,
        canMore: daysBetween(this.data.today, lastDay) + 1 <= MAX_AHEAD_DAYS,
      })
    },
    /** The two weeks after those shown. */
    async onMore() {
      if (this.data.moreLoading || !this.data.lastDay) return
      const department = this.data.department
      this.setData({ moreLoading: true, slotsError: '' })
      try {
        const reply = await getOpenSlots(department, isoDay(1, this.data.lastDay), isoDay(WINDOW_DAYS, this.data.lastDay))
        if (department === this.data.department) this.showSlots(reply.items, reply.last_day, true)
      } catch (e) {
        this.setData({ slotsError: pageError(e).message })
      } finally {
        this.setData({ moreLoading: false })
      }
    },
    onDepartment(e: WechatMiniprogram.CustomEvent<Record<string, never>, Record<string, never>, { code: string }>) {
      const code = e.currentTarget.dataset.code
      if (!code || code === this.data.department || this.data.booking) return
      this.setData({ department: code, departmentName: departmentLabel(code), days: [], lastDay: '', canMore: false,
        bookError: '' })
      this.loadSlots()
    },
    onPick(e: WechatMiniprogram.CustomEvent<Record<string, never>, Record<string, never>, { id: string }>) {
      const id = e.currentTarget.dataset.id
      let row: SlotRow | undefined
      for (const day of this.data.days) row = row || day.slots.find((s) => s.id === id)
      if (!row || row.full || row.locked || row.mine || this.data.booking) return
      this.setData({ confirming: row, confirmDay: dayLabel(row.date, this.data.today), dialogVisible: true, bookError: '' })
    },
    onCancelDialog() {
      this.setData({ dialogVisible: false })
    },
    async onConfirm() {
      const row = this.data.confirming
      this.setData({ dialogVisible: false })
      if (!row || this.data.booking) return
      const slot: SlotChoice = { doctor_id: row.doctor_id, date: row.date, start: row.start }
      const moving = this.data.moving
      // one key per chosen slot: a retry after a failure resends it, so the API books once
      const key = this.data.keyFor === row.id && this.data.idemKey ? this.data.idemKey : newIdempotencyKey('book')
      this.setData({ booking: true, bookError: '', idemKey: moving ? '' : key, keyFor: moving ? '' : row.id })
      try {
        if (moving) {
          const reply = await rescheduleAppointment(moving.id, slot)
          this.setData({ done: doneView(reply.appointment, this.data.today, '改约成功', moving.when), moving: null })
        } else {
          const reply = await bookAppointment(slot, key)
          this.setData({ done: doneView(reply.appointment, this.data.today, '预约成功'), idemKey: '', keyFor: '' })
        }
      } catch (err) {
        const error = pageError(err)
        this.setData({ bookError: error.message })
        if (STALE.includes(error.code)) this.loadSlots()
      } finally {
        this.setData({ booking: false })
      }
    },
    onMine() {
      // 改约 came from 我的预约: go back to it (it reads the bookings again); else open it here
      if (this.data.movingId) wx.navigateBack({ delta: 1 })
      else wx.redirectTo({ url: MY_BOOKINGS_PAGE })
    },
    /** The note of bookings to come: 我的预约, coming back here after. */
    onUpcoming() {
      wx.navigateTo({ url: MY_BOOKINGS_PAGE })
    },
    onHome() {
      wx.switchTab({ url: '/pages/home/index' })
    },
  },
})
