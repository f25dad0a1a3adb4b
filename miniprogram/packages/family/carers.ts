// 谁可以照护我: for each adult in the household, whether they may check in for the patient and
// whether the patient's reminders also go to them. Each switch is saved at once with
// PUT /me/family/carers/{member_id} (both values, as shown); a failure puts the switch back.
import { CarerChoice, FamilyMember, getFamily, setCarer } from '../../api/family'
import { pageError } from '../../utils/page'
import { careMode } from '../../utils/care'
import { relationText } from './format'

// GET /me/family says whether a member cares for the patient, not which of the two the patient
// allowed: the last choice saved on this phone fills that in.
const KEPT = 'revisit.familyCarers'

function keptChoices(): Record<string, CarerChoice> {
  const value = wx.getStorageSync(KEPT)
  return value && typeof value === 'object' ? (value as Record<string, CarerChoice>) : {}
}

function keepChoice(memberId: string, choice: CarerChoice): void {
  wx.setStorageSync(KEPT, { ...keptChoices(), [memberId]: choice })
}

export interface CarerRow {
  id: string
  name: string
  relation: string
  checkins: boolean
  reminders: boolean
  error: string
}

/** The adults other than the patient, each with what the patient lets them do. */
export function carerRows(members: FamilyMember[], kept: Record<string, CarerChoice>): CarerRow[] {
  return members.filter((m) => !m.me && !m.minor).map((m) => {
    const saved = kept[m.member_id]
    const choice = !m.cares_for_me ? { checkins: false, reminders: false }
      : saved && (saved.checkins || saved.reminders) ? saved : { checkins: true, reminders: true }
    return { id: m.member_id, name: m.name, relation: relationText(m), checkins: choice.checkins, reminders: choice.reminders, error: '' }
  })
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
        this.setData({ loading: false, rows: carerRows(reply.members || [], keptChoices()) })
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
        keepChoice(row.id, choice)
        const now = members.find((m) => m.member_id === row.id)
        if (now && now.cares_for_me !== (choice.checkins || choice.reminders)) {
          // the API says otherwise: show what it holds
          this.setData({ rows: carerRows(members, keptChoices()) })
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
