// 打卡活动: the patient's streak challenges; open ones with their terms to join, joined ones with the running streak.
import { ChallengeItem, checkinLabels, getMyChallenges, joinChallenge, loadCheckinTypes, newIdempotencyKey } from '../../api/index'
import { pageError } from '../../utils/page'
import { careMode } from '../../utils/care'
import { DETAIL_URL, LABELS_MAX_AGE_MS, progressText, rewardText, termsLines, VOUCHERS_URL } from './terms'

interface Row {
  id: string
  name: string
  reward: string
  terms: string[]
  progress: string
  streak: number
  days: number
  done: number
  open: boolean
  joinError: string
}

/** `labels`: the clinic's check-in types, code -> label (a challenge on 体重 reads 每天记录一次体重). */
function rowOf(c: ChallengeItem, labels: Record<string, string> = {}): Row {
  return {
    id: c.challenge_id,
    name: c.name,
    reward: rewardText(c.reward),
    terms: termsLines(c, labels),
    progress: progressText(c, labels),
    streak: c.progress ? c.progress.current_streak : 0,
    days: c.days,
    done: c.progress ? c.progress.streaks_completed : 0,
    open: c.open,
    joinError: '',
  }
}

Component({
  behaviors: [careMode],
  data: {
    loading: true,
    error: '',
    joined: [] as Row[],
    available: [] as Row[],
    joining: '',
    /** the clinic's check-in type labels (GET /me/setup, kept on the phone); empty when unavailable */
    labels: {} as Record<string, string>,
    /** Idempotency-Key per challenge being joined, kept until that join succeeds */
    keys: {} as Record<string, string>,
  },
  methods: {
    onLoad() {
      this.load()
    },
    onShow() {
      // Back from the detail page or a check-in: the streak may have moved.
      if (!this.data.loading && !this.data.error) this.load()
    },
    onPullDownRefresh() {
      this.load().then(() => wx.stopPullDownRefresh())
    },
    async load() {
      this.setData({ loading: !this.data.joined.length && !this.data.available.length, error: '' })
      try {
        // the labels are a nicety: without them (offline) the built-in types keep their words
        const [{ items }, types] = await Promise.all([getMyChallenges(), loadCheckinTypes(LABELS_MAX_AGE_MS)])
        const labels = checkinLabels(types)
        this.setData({
          loading: false,
          labels,
          joined: items.filter((c) => c.joined).map((c) => rowOf(c, labels)),
          available: items.filter((c) => !c.joined && c.open).map((c) => rowOf(c, labels)),
        })
      } catch (e) {
        this.setData({ loading: false, error: pageError(e).message })
      }
    },
    async onJoin(e: WechatMiniprogram.CustomEvent<Record<string, never>, Record<string, never>, { index: number }>) {
      if (this.data.joining) return
      const index = e.currentTarget.dataset.index
      const row = this.data.available[index]
      if (!row) return
      const key = this.data.keys[row.id] || newIdempotencyKey('join')
      this.setData({ joining: row.id, keys: { ...this.data.keys, [row.id]: key }, [`available[${index}].joinError`]: '' })
      try {
        const reply = await joinChallenge(row.id, key)
        const available = this.data.available.filter((r) => r.id !== row.id)
        const joined = [rowOf(reply.challenge, this.data.labels), ...this.data.joined.filter((r) => r.id !== row.id)]
        const keys = { ...this.data.keys }
        delete keys[row.id]
        this.setData({ available, joined, keys })
        wx.showToast({ title: '参加成功', icon: 'success' })
      } catch (err) {
        this.setData({ [`available[${index}].joinError`]: pageError(err).message })
      } finally {
        this.setData({ joining: '' })
      }
    },
    onOpen(e: WechatMiniprogram.CustomEvent<Record<string, never>, Record<string, never>, { id: string }>) {
      wx.navigateTo({ url: `${DETAIL_URL}?id=${encodeURIComponent(e.currentTarget.dataset.id)}` })
    },
    onVouchers() {
      wx.navigateTo({ url: VOUCHERS_URL })
    },
  },
})
