// A family member the patient looks after (?id=<member id>): their upcoming check-ups and the
// reminders the patient receives for them (an infant's check-up schedule: 满月(42天), 3, 6, 8 and
// 12 月龄), and, when they let the patient (or are a child in the patient's care), a check-in for
// them of one of the clinic's check-in types (POST /me/family/{member_id}/checkins).
import { checkinForMember, FamilyMember, getFamily, getMemberReminders } from '../../api/family'
import { keptCheckinTypes, loadCheckinTypes, newIdempotencyKey } from '../../api/index'
import { pageError } from '../../utils/page'
import { careMode } from '../../utils/care'
import { isoDay, relationText, ReminderRow, reminderRows } from './format'
import { MEALS, ReadingKind, readingBody, readingKinds, validateReading } from './reading'

interface Shown {
  name: string
  relation: string
  minor: boolean
  mayCheckin: boolean
  getsReminders: boolean
}

interface Done {
  text: string
  points: number
}

Component({
  behaviors: [careMode],
  data: {
    id: '',
    loading: true,
    error: '',
    member: null as Shown | null,
    reminders: [] as ReminderRow[],
    remindersError: '',
    kinds: [] as ReadingKind[],
    kind: null as ReadingKind | null,
    meals: MEALS,
    value: '',
    diastolic: '',
    meal: '',
    errors: {} as Record<string, string>,
    submitting: false,
    submitError: '',
    idemKey: '',
    done: null as Done | null,
  },
  methods: {
    onLoad(query?: Record<string, string | undefined>) {
      this.setData({ id: decodeURIComponent((query && query.id) || '') })
      const kept = keptCheckinTypes()
      this.offer(readingKinds(kept ? kept.items : null))
      this.load()
    },
    onPullDownRefresh() {
      const done = () => wx.stopPullDownRefresh()
      this.load().then(done, done)
    },
    async load() {
      this.setData({ loading: true, error: '', remindersError: '' })
      if (!this.data.id) {
        this.setData({ loading: false, error: '没有找到这位家人，请从“我的家庭”里打开' })
        return
      }
      try {
        const [family, reminders] = await Promise.all([
          getFamily(),
          // the list may be refused (no longer cared for) while the household still shows the member
          getMemberReminders(this.data.id).catch((e) => pageError(e)),
        ])
        const m: FamilyMember | undefined = (family.members || []).find((x) => x.member_id === this.data.id && !x.me)
        if (!m) {
          this.setData({ loading: false, error: '这位家人已经不在您的家庭里了' })
          return
        }
        const shown: Shown = { name: m.name, relation: relationText(m), minor: m.minor, mayCheckin: m.may_checkin, getsReminders: m.gets_reminders }
        if (wx.setNavigationBarTitle) wx.setNavigationBarTitle({ title: m.name })
        if ('items' in reminders) {
          this.setData({ loading: false, member: shown, reminders: reminderRows(reminders.items || [], isoDay(0)) })
        } else {
          this.setData({ loading: false, member: shown, reminders: [], remindersError: reminders.message })
        }
        if (shown.mayCheckin) this.loadTypes()
      } catch (e) {
        this.setData({ loading: false, error: pageError(e).message })
      }
    },
    async loadTypes() {
      const types = await loadCheckinTypes(60 * 60 * 1000)
      if (types) this.offer(readingKinds(types))
    },
    /** Offer these kinds, keeping the chosen one while it is offered. */
    offer(kinds: ReadingKind[]) {
      const chosen = this.data.kind
      const kind = (chosen && kinds.find((k) => k.value === chosen.value)) || kinds[0]
      const changed = !chosen || chosen.value !== kind.value
      this.setData({ kinds, kind, ...(changed ? { value: '', diastolic: '', meal: '', errors: {}, idemKey: '' } : {}) })
    },
    onKind(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      const kind = this.data.kinds.find((k) => k.value === e.detail.value) || this.data.kind
      this.setData({ kind, value: '', diastolic: '', meal: '', errors: {}, submitError: '', idemKey: '' })
    },
    onValue(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      this.setData({ value: e.detail.value, 'errors.value': '', idemKey: '' })
    },
    onDiastolic(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      this.setData({ diastolic: e.detail.value, 'errors.diastolic': '', idemKey: '' })
    },
    onMeal(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      this.setData({ meal: e.detail.value, 'errors.meal': '', idemKey: '' })
    },
    async onSubmit() {
      const { kind, member } = this.data
      if (this.data.submitting || !kind || !member) return
      const form = { value: this.data.value, diastolic: this.data.diastolic, meal: this.data.meal }
      const errors = validateReading(kind, form)
      this.setData({ errors, submitError: '' })
      if (Object.keys(errors).length) return
      // one key per reading: tapping again after a failure resends the same check-in
      const key = this.data.idemKey || newIdempotencyKey(`family-${kind.value}`)
      this.setData({ submitting: true, idemKey: key })
      try {
        const reply = await checkinForMember(this.data.id, readingBody(kind, form, new Date()), key)
        this.setData({ idemKey: '', value: '', diastolic: '', meal: '',
          done: { text: `已为${member.name}记下${kind.label}`, points: reply.points_awarded || 0 } })
      } catch (err) {
        const error = pageError(err)
        this.setData({ submitError: error.message })
        if (error.code === 'not_your_dependant') this.setData({ 'member.mayCheckin': false })
        if (error.code === 'invalid_reading' || error.code === 'unknown_checkin_type') this.loadTypes()
      } finally {
        this.setData({ submitting: false })
      }
    },
    onAgain() {
      this.setData({ done: null, submitError: '' })
    },
  },
})
