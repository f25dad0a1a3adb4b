// 家庭洁牙卡 (S9): what the family card is and how inviting family works, with the patient's own
// invite code and what each family member's 建档 earns (GET /me/referral).
import { getReferral, invitePath, Referral } from '../../../api/index'
import { loadInto } from '../../../utils/page'
import { careMode } from '../../../utils/care'

Component({
  behaviors: [careMode],
  data: {
    loading: true,
    error: '',
    referral: null as Referral | null,
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
      return {
        title: '一家人一起护牙，来诊所建个档吧',
        path: referral ? invitePath(referral.invite_code) : '/pages/launch/index',
      }
    },
    onPoints() {
      wx.navigateTo({ url: '/packages/points/index/index' })
    },
    onFamily() {
      wx.navigateTo({ url: '/packages/family/index' })
    },
  },
})
