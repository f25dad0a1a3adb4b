// 我的积分: balance, tier, which points expire when, and the ledger page by page (GET /me/points).
import { getPoints, PointsEntry, ExpiringLot } from '../../../api/points'
import { loadNextPage, pageError } from '../../../utils/page'
import { careMode } from '../../../utils/care'
import { dateTimeLabel, dayLabel, reasonLabel, signed, tierLabel } from '../format'

type Row = { id: string; reason: string; points: string; gain: boolean; time: string }
type Lot = { points: number; day: string }

const row = (e: PointsEntry): Row => ({
  id: e.entry_id, reason: reasonLabel(e.reason, e.points), points: signed(e.points), gain: e.points >= 0,
  time: dateTimeLabel(e.at),
})
const lot = (l: ExpiringLot): Lot => ({ points: l.points, day: dayLabel(l.expires_on) })

Component({
  behaviors: [careMode],
  data: {
    loading: true,
    error: '',
    balance: 0,
    tier: '',
    earned: 0,
    redeemed: 0,
    expiring: [] as Lot[],
    entries: [] as Row[],
    nextCursor: '',
    loadingMore: false,
    moreError: '',
  },
  methods: {
    onLoad() {
      this.load()
    },
    onShow() {
      // back from a redemption: the balance and the ledger changed
      if (!this.data.loading && !this.data.error && this.data.entries.length) this.load()
    },
    onPullDownRefresh() {
      this.load().then(() => wx.stopPullDownRefresh())
    },
    onReachBottom() {
      this.loadMore()
    },
    async load() {
      this.setData({ loading: !this.data.entries.length, error: '', moreError: '' })
      try {
        const page = await getPoints()
        this.setData({
          loading: false,
          balance: page.balance,
          tier: tierLabel(page.tier),
          earned: page.earned_total,
          redeemed: page.redeemed_total,
          expiring: page.expiring.map(lot),
          entries: page.entries.map(row),
          nextCursor: page.next_cursor || '',
        })
      } catch (e) {
        this.setData({ loading: false, error: pageError(e).message })
      }
    },
    loadMore() {
      return loadNextPage(this, 'entries', async (cursor) => {
        const page = await getPoints(cursor)
        return { rows: page.entries.map(row), next: page.next_cursor }
      })
    },
    onRewards() {
      wx.navigateTo({ url: '/packages/points/rewards/index' })
    },
    onRedemptions() {
      wx.navigateTo({ url: '/packages/points/redemptions/index' })
    },
  },
})
