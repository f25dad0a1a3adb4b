// 消息: the in-app inbox, newest first (recall reminders and content-path items); a message opens
// in full in packages/messages/detail, which marks it read.
import { getInbox, InboxMessage, messageView, MessageView } from '../../api/index'
import { pageError, shortTime } from '../../utils/page'
import { careMode } from '../../utils/care'

type Row = Omit<InboxMessage, keyof MessageView> & MessageView & { time: string; tag: string }

const TAGS: Record<MessageView['kind'], string> = { content: '健康内容', recall: '复诊提醒', other: '通知' }

Component({
  behaviors: [careMode],
  data: {
    loading: true,
    loaded: false,
    error: '',
    items: [] as Row[],
    unread: 0,
  },
  methods: {
    onLoad() {
      this.load()
    },
    onShow() {
      // back from a message: its read mark and the count come from the inbox again
      if (this.data.loaded) this.load()
    },
    onPullDownRefresh() {
      this.load().then(() => wx.stopPullDownRefresh())
    },
    async load() {
      this.setData({ loading: !this.data.items.length, error: '' })
      try {
        const inbox = await getInbox()
        this.setData({
          loading: false,
          loaded: true,
          unread: inbox.unread,
          items: inbox.items.map((m) => {
            const view = messageView(m)
            return { ...m, ...view, time: shortTime(m.created_at), tag: TAGS[view.kind] }
          }),
        })
      } catch (e) {
        this.setData({ loading: false, error: pageError(e).message })
      }
    },
    onOpen(e: WechatMiniprogram.CustomEvent<Record<string, never>, Record<string, never>, { index: number }>) {
      const index = e.currentTarget.dataset.index
      const row = this.data.items[index]
      if (!row.read_at) {
        // shown read at once; the detail page marks it on the server as it opens
        this.setData({ [`items[${index}].read_at`]: 'now', unread: Math.max(0, this.data.unread - 1) })
      }
      wx.navigateTo({ url: `/packages/messages/detail/index?id=${encodeURIComponent(row.message_id)}` })
    },
    onChannels() {
      wx.navigateTo({ url: '/packages/messages/channels/index' })
    },
  },
})
