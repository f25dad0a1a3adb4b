// 谁可以照护我: for each adult in the household, whether they may check in for the patient and
// whether the patient's reminders also go to them. Each switch is saved at once with
// PUT /me/family/carers/{member_id} (both values, as shown); a failure puts the switch back.
import { CarerChoice, FamilyMember, getFamily, setCarer } from '../../api/family'
import { pageError } from '../../utils/page'
import { careMode } from '../../utils/care'
import { relationText } from './format'

export interface CarerRow {
  id: string
  name: string
  relation: string
  checkins: boolean
  reminders: boolean
  error: string
}

/** The adults other than the patient, each with what the patient lets them do (as the API holds it). */
export function carerRows(members: FamilyMember[]): CarerRow[] {
  return members.filter((m) => !m.me && !m.minor).map((m) => ({ id: m.member_id, name: m.name,
    relation: relationText(m), checkins: !!m.checks_in_for_me, reminders: !!m.gets_my_reminders, error: '' }))
}

type Which = 'checkins' | 'reminders'

Component({
  behaviors: [careMode],
  data: {
    loading: true,
    error: '',
    rows: [] as CarerRow[],
    saving: '',
  },
  methods: {
    onLoad() {
      this.load()
    },
    async load() {
      this.setData({ loading: true, error: '' })
      try {
        const reply = await getFamily()
        this.setData({ loading: false, rows: carerRows(reply.members || []) })
      } catch (e) {
        this.setData({ loading: false, error: pageError(e).message })
      }
    },
    async onSwitch(e: WechatMiniprogram.CustomEvent<{ value: boolean }, Record<string, never>, { index: number; which: Which }>) {
      const { index, which } = e.currentTarget.dataset
      const row = this.data.rows[index]
      if (!row || this.data.saving) return
      const before: CarerChoice = { checkins: row.checkins, reminders: row.reminders }
      const choice: CarerChoice = { ...before, [which]: !!e.detail.value }
      this.setData({ saving: row.id, [`rows[${index}].${which}`]: choice[which], [`rows[${index}].error`]: '' })
      try {
        const members = await setCarer(row.id, choice)
        const now = members.find((m) => m.member_id === row.id)
        if (now && (now.checks_in_for_me !== choice.checkins || now.gets_my_reminders !== choice.reminders)) {
          // the API says otherwise: show what it holds
          this.setData({ rows: carerRows(members) })
        }
        wx.showToast({ title: '已保存', icon: 'none' })
      } catch (err) {
        const error = pageError(err)
        this.setData({ [`rows[${index}].checkins`]: before.checkins, [`rows[${index}].reminders`]: before.reminders,
          [`rows[${index}].error`]: error.message })
        if (error.code === 'not_a_member') await this.load()
      } finally {
        this.setData({ saving: '' })
      }
    },
    onFamily() {
      wx.navigateBack({ delta: 1 })
    },
  },
})
