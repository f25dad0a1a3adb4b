// One message in full. Opening it marks it read (POST /me/inbox/{id}/read answers the message);
// a health item shows its notice, a recall reminder offers to remind the patient by WeChat.
import { InboxMessage, markRead, messageView, MessageView } from '../../../api/index'
import { pageError, shortTime } from '../../../utils/page'
import { careMode } from '../../../utils/care'
import { askSubscribe, canAsk, prepareSubscribe } from '../../../utils/subscribe'

Component({
  behaviors: [careMode],
  data: {
    id: '',
    loading: true,
    error: '',
    message: null as (InboxMessage & MessageView & { time: string }) | null,
    offerReminder: false,
    reminded: false,
  },
  methods: {
    onLoad(query: Record<string, string | undefined>) {
      this.setData({ id: decodeURIComponent(query.id || '') })
      this.load()
    },
    async load() {
      if (!this.data.id) {
        this.setData({ loading: false, error: '没有找到这条消息' })
        return
      }
      this.setData({ loading: true, error: '' })
      try {
        const reply = await markRead(this.data.id)
        const m = reply.message
        const view = messageView(m)
        const offer = view.kind === 'recall' && canAsk('reminder')
        this.setData({ loading: false, message: { ...m, ...view, time: shortTime(m.created_at) }, offerReminder: offer })
        if (offer) prepareSubscribe()
      } catch (e) {
        const error = pageError(e)
        this.setData({ loading: false, error: error.code === 'message_not_found' ? '这条消息已经不在了' : error.message })
      }
    },
    /** WeChat opens its dialog only from a tap. */
    async onRemind() {
      const recorded = await askSubscribe('reminder')
      this.setData({ offerReminder: false, reminded: recorded.length > 0 })
    },
    onBack() {
      wx.navigateBack({ delta: 1 })
    },
  },
})
