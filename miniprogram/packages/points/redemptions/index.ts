// 我的兑换记录: each redemption with its desk code (grouped to read aloud, and as a QR code),
// 待使用 / 已使用 and its dates; newest first, page by page (GET /me/redemptions).
import { getMyRedemptions, MyRedemption } from '../../../api/index'
import { loadNextPage, pageError } from '../../../utils/page'
import { careMode } from '../../../utils/care'
import { dateTimeLabel, groupCode, plainCode } from '../format'

type Row = {
  id: string
  name: string
  cost: number
  code: string
  plain: string
  used: boolean
  status: string
  redeemedAt: string
  usedAt: string
  open: boolean
}

const row = (r: MyRedemption): Row => {
  const used = r.status === 'fulfilled'
  return {
    id: r.redemption_id, name: r.reward_name, cost: r.cost, code: groupCode(r.code), plain: plainCode(r.code),
    used, status: used ? '已使用' : '待使用', redeemedAt: dateTimeLabel(r.redeemed_at),
    usedAt: dateTimeLabel(r.fulfilled_at), open: false,
  }
}

Component({
  behaviors: [careMode],
  data: {
    loading: true,
    error: '',
    items: [] as Row[],
    nextCursor: '',
    loadingMore: false,
    moreError: '',
  },
  methods: {
    onLoad() {
      this.load()
    },
    onPullDownRefresh() {
      this.load().then(() => wx.stopPullDownRefresh())
    },
    onReachBottom() {
      this.loadMore()
    },
    async load() {
      this.setData({ loading: !this.data.items.length, error: '', moreError: '' })
      try {
        const page = await getMyRedemptions()
        const items = page.items.map(row)
        // the newest one still to collect is opened, with its QR code ready for the desk
        const first = items.findIndex((r) => !r.used && r.plain)
        if (first >= 0) items[first].open = true
        this.setData({ loading: false, items, nextCursor: page.next_cursor || '' })
      } catch (e) {
        this.setData({ loading: false, error: pageError(e).message })
      }
    },
    loadMore() {
      return loadNextPage(this, 'items', async (cursor) => {
        const page = await getMyRedemptions(cursor)
        return { rows: page.items.map(row), next: page.next_cursor }
      })
    },
    onToggle(e: WechatMiniprogram.CustomEvent<Record<string, never>, Record<string, never>, { index: number }>) {
      const index = e.currentTarget.dataset.index
      this.setData({ [`items[${index}].open`]: !this.data.items[index].open })
    },
    onRewards() {
      wx.redirectTo({ url: '/packages/points/rewards/index' })
    },
  },
})
