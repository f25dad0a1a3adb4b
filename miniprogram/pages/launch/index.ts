// 启动页: keep the invite code a friend's share brought (?invite=...), sign in with WeChat, then go
// to 建档 (a visitor) or the home tab (a registered patient).
import { ensureSession, forgetInviteCode, keepInviteCode, login, toApiError } from '../../api/index'
import { careMode } from '../../utils/care'

Component({
  behaviors: [careMode],
  data: {
    loading: true,
    error: '',
  },
  methods: {
    onLoad(query?: Record<string, string | undefined>) {
      if (query && query.invite) keepInviteCode(query.invite)
      this.start()
    },
    async start() {
      this.setData({ loading: true, error: '' })
      try {
        let session = await ensureSession()
        if (!session.registered) session = await login() // a kept visitor session may have registered elsewhere
        if (session.registered) {
          forgetInviteCode() // a patient already has a record: an invite means nothing to them now
          wx.switchTab({ url: '/pages/home/index' })
        } else {
          wx.redirectTo({ url: '/pages/register/index' })
        }
      } catch (e) {
        this.setData({ loading: false, error: toApiError(e).message })
      }
    },
    onRetry() {
      this.start()
    },
  },
})
