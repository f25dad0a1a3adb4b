// 首页: points, streak and the newest messages (loadHome: one call once GET /me/home exists).
import { HomeView, loadHome } from '../../api/index'
import { pageError, shortTime } from '../../utils/page'
import { careMode } from '../../utils/care'

Component({
  behaviors: [careMode],
  data: {
    loading: true,
    error: '',
    home: null as (HomeView & { messages: (HomeView['messages'][number] & { time: string })[] }) | null,
  },
  methods: {
    onLoad() {
      this.load()
    },
    onShow() {
      if (this.data.home) this.load() // back from a check-in or a message: show the new figures
    },
    onPullDownRefresh() {
      this.load().then(() => wx.stopPullDownRefresh())
    },
    async load() {
      this.setData({ loading: !this.data.home, error: '' })
      try {
        const home = await loadHome()
        this.setData({
          loading: false,
          home: { ...home, messages: home.messages.map((m) => ({ ...m, time: shortTime(m.created_at) })) },
        })
      } catch (e) {
        this.setData({ loading: false, error: pageError(e).message })
      }
    },
    onCheckin() {
      wx.switchTab({ url: '/pages/checkin/index' })
    },
    onMessages() {
      wx.switchTab({ url: '/pages/messages/index' })
    },
  },
})
