// 消息: the in-app inbox, newest first; opening a message marks it read.
import { getInbox, InboxMessage, markRead } from '../../api/index'
import { pageError, shortTime } from '../../utils/page'
import { careMode } from '../../utils/care'

type Row = InboxMessage & { time: string; open: boolean }

Component({
  behaviors: [careMode],
  data: {
    loading: true,
    error: '',
    items: [] as Row[],
    unread: 0,
  },
  methods: {
    onLoad() {
      this.load()
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
          unread: inbox.unread,
          items: inbox.items.map((m) => ({ ...m, time: shortTime(m.created_at), open: false })),
        })
      } catch (e) {
        this.setData({ loading: false, error: pageError(e).message })
      }
    },
    async onOpen(e: WechatMiniprogram.CustomEvent<Record<string, never>, Record<string, never>, { index: number }>) {
      const index = e.currentTarget.dataset.index
      const row = this.data.items[index]
      this.setData({ [`items[${index}].open`]: !row.open })
      if (row.read_at) return
      try {
        const reply = await markRead(row.message_id)
        this.setData({ [`items[${index}].read_at`]: reply.message.read_at, unread: Math.max(0, this.data.unread - 1) })
      } catch (err) {
        pageError(err) // the message stays unread; it is marked on the next open
      }
    },
  },
})
