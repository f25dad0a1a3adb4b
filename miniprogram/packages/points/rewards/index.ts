// 积分兑换: the clinic's rewards with the patient's balance; 兑换 asks to confirm, then POST
// /me/redemptions with one Idempotency-Key per chosen reward, kept until it succeeds.
import { getPoints, getRewards, newIdempotencyKey, redeemReward, Reward } from '../../../api/index'
import { pageError } from '../../../utils/page'
import { careMode } from '../../../utils/care'
import { groupCode, plainCode } from '../format'

type Row = {
  id: string
  name: string
  cost: number
  stock: string
  limit: string
  canRedeem: boolean
  /** why 兑换 is disabled, in words ('' when it is not) */
  why: string
}

/** A reward as the list shows it, for this balance. */
export function rewardRow(r: Reward, balance: number): Row {
  const soldOut = r.stock !== null && r.stock <= 0
  const short = r.cost - balance
  const why = soldOut ? '已兑完' : short > 0 ? `积分不足，还差 ${short} 积分` : ''
  return {
    id: r.reward_id,
    name: r.name,
    cost: r.cost,
    stock: r.stock === null || soldOut ? '' : `剩余 ${r.stock} 份`,
    limit: r.per_patient_limit ? `每人限兑 ${r.per_patient_limit} 次` : '',
    canRedeem: !why,
    why,
  }
}

/** What a refused redemption says, kindly and with what to do next. */
function refusal(code: string, message: string, row: Row | undefined): string {
  const name = row ? `「${row.name}」` : '这个礼品'
  switch (code) {
    case 'insufficient_points':
      return `${message}，暂时还不能兑换${name}。按时复诊、分享健康内容都能攒积分。`
    case 'out_of_stock':
      return `${message}，看看别的礼品吧。`
    case 'reward_limit_reached':
      return `${message}：${name}${row && row.limit ? row.limit : '每人兑换次数有限'}，您已经兑换过了。`
    case 'reward_not_found':
      return `${message}，列表已为您刷新。`
    default:
      return message
  }
}

Component({
  behaviors: [careMode],
  data: {
    loading: true,
    error: '',
    balance: 0,
    rewards: [] as Reward[],
    rows: [] as Row[],
    /** the reward being confirmed */
    confirming: null as Row | null,
    dialogVisible: false,
    redeeming: false,
    redeemError: '',
    /** the Idempotency-Key of the pending redemption of `keyFor` (kept across retries until it succeeds) */
    idemKey: '',
    keyFor: '',
    done: null as { name: string; cost: number; code: string; plain: string; balance: number } | null,
  },
  methods: {
    onLoad() {
      this.load()
    },
    onPullDownRefresh() {
      this.load().then(() => wx.stopPullDownRefresh())
    },
    async load() {
      this.setData({ loading: !this.data.rows.length, error: '' })
      try {
        const [catalogue, points] = await Promise.all([getRewards(), getPoints()])
        this.show(catalogue.items, points.balance)
        this.setData({ loading: false })
      } catch (e) {
        this.setData({ loading: false, error: pageError(e).message })
      }
    },
    show(rewards: Reward[], balance: number) {
      this.setData({ rewards, balance, rows: rewards.map((r) => rewardRow(r, balance)) })
    },
    onAsk(e: WechatMiniprogram.CustomEvent<Record<string, never>, Record<string, never>, { index: number }>) {
      const row = this.data.rows[e.currentTarget.dataset.index]
      if (!row || !row.canRedeem || this.data.redeeming) return
      this.setData({ confirming: row, dialogVisible: true, redeemError: '' })
    },
    onCancel() {
      this.setData({ dialogVisible: false })
    },
    async onConfirm() {
      const row = this.data.confirming
      this.setData({ dialogVisible: false })
      if (!row || this.data.redeeming) return
      // One key per chosen reward: a retry after a failure resends it, so the API spends once.
      const key = this.data.keyFor === row.id && this.data.idemKey ? this.data.idemKey : newIdempotencyKey('redeem')
      this.setData({ redeeming: true, redeemError: '', idemKey: key, keyFor: row.id })
      try {
        const reply = await redeemReward(row.id, key)
        const code = reply.redemption.code
        this.setData({
          idemKey: '', keyFor: '',
          done: { name: reply.redemption.reward_name, cost: reply.redemption.cost, code: groupCode(code),
            plain: plainCode(code), balance: reply.balance },
        })
        this.show(this.data.rewards, reply.balance)
      } catch (err) {
        const error = pageError(err)
        this.setData({ redeemError: refusal(error.code, error.message, row) })
        if (error.code === 'insufficient_points' || error.code === 'out_of_stock' || error.code === 'reward_not_found') {
          this.refresh()
        }
      } finally {
        this.setData({ redeeming: false })
      }
    },
    /** After a refusal that says our list is stale: the balance and the catalogue again, quietly. */
    async refresh() {
      try {
        const [catalogue, points] = await Promise.all([getRewards(), getPoints()])
        this.show(catalogue.items, points.balance)
      } catch (e) {
        pageError(e)
      }
    },
    onBack() {
      this.setData({ done: null })
    },
    onRedemptions() {
      wx.redirectTo({ url: '/packages/points/redemptions/index' })
    },
  },
})
