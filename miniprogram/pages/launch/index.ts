// 启动页: sign in with WeChat, then go to 建档 (a visitor) or the home tab (a registered patient).
import { ensureSession, login, toApiError } from '../../api/index'
import { careMode } from '../../utils/care'

Component({
  behaviors: [careMode],
  data: {
    loading: true,
    error: '',
  },
  methods: {
    onLoad() {
      this.start()
    },
    async start() {
      this.setData({ loading: true, error: '' })
      try {
        let session = await ensureSession()
        if (!session.registered) session = await login() // a kept visitor session may have registered elsewhere
        if (session.registered) wx.switchTab({ url: '/pages/home/index' })
        else wx.redirectTo({ url: '/pages/register/index' })
      } catch (e) {
        this.setData({ loading: false, error: toApiError(e).message })
      }
    },
    onRetry() {
      this.start()
    },
  },
})
