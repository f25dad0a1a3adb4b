// 邀请好友: the patient's invite code, what inviting earns, and a share card that opens the
// launch page with the code (onShareAppMessage); each share is recorded (POST /me/shares).
import { getReferral, invitePath, newIdempotencyKey, recordShare, Referral } from '../../../api/index'
import { loadInto } from '../../../utils/page'
import { careMode } from '../../../utils/care'

Component({
  behaviors: [careMode],
  data: {
    loading: true,
    error: '',
    referral: null as Referral | null,
    shareNote: '',
  },
  methods: {
    onLoad() {
      this.load()
    },
    load() {
      return loadInto(this, async () => ({ referral: await getReferral() }))
    },
    onShareAppMessage() {
      const referral = this.data.referral
      if (!referral) return { title: '一起来做健康打卡', path: '/pages/launch/index' }
      this.record(referral.invite_code)
      return { title: '我在这里做复诊提醒和健康打卡，邀请你一起来', path: invitePath(referral.invite_code) }
    },
    /** One share, one reference (and one idempotency key for its retries). */
    async record(code: string) {
      const key = newIdempotencyKey('share')
      try {
        const reply = await recordShare(`invite:${code}:${key}`, key)
        this.setData({ shareNote: reply.points_awarded > 0 ? `分享成功，获得 ${reply.points_awarded} 积分` : '分享成功，谢谢您' })
      } catch (e) {
        // the share itself went out; only the points could not be recorded now
        this.setData({ shareNote: '分享成功' })
      }
    },
    onFamily() {
      wx.navigateTo({ url: '/packages/invite/family/index' })
    },
  },
})
