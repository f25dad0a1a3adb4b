// One message in full. Opening it marks it read (POST /me/inbox/{id}/read answers the message);
// a health item shows its notice, a recall reminder offers 预约复诊 (the slot it holds for the patient, or
// the booking page on the patient's own department) and to remind the patient by WeChat.
import { InboxMessage, markRead, messageView, MessageView } from '../../../api/index'
import { pageError, shortTime } from '../../../utils/page'
import { careMode } from '../../../utils/care'
import { askSubscribe, canAsk, prepareSubscribe } from '../../../utils/subscribe'
import { bookingUrl } from '../../../utils/booking'

Component({
  behaviors: [careMode],
  data: {
    id: '',
    loading: true,
    error: '',
    message: null as (Omit<InboxMessage, keyof MessageView> & MessageView & { time: string }) | null,
    offerReminder: false,
    reminded: false,
    playing: false,
  },
  lifetimes: {
    detached() {
      const player = (this as unknown as { player?: WechatMiniprogram.InnerAudioContext }).player
      if (player) player.destroy()
    },
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
    /** A recall reminder's 预约复诊: the slot the reminder holds for the patient when it carries one
     * (its link names the booking page with the held slot), else the booking page on the patient's
     * own department. */
    onBook() {
      const held = this.data.message && this.data.message.booking
      wx.navigateTo({ url: held ? `/${held}` : bookingUrl() })
    },
    /** WeChat opens its dialog only from a tap. */
    async onRemind() {
      const recorded = await askSubscribe('reminder')
      this.setData({ offerReminder: false, reminded: recorded.length > 0 })
    },
    /** An article: a page of this mini-program, or a web page shown in the article page. */
    onOpen() {
      const m = this.data.message
      if (!m || !m.link) return
      const url = m.internal ? `/${m.link.replace(/^\//, '')}`
        : `/packages/messages/article/index?url=${encodeURIComponent(m.link)}&title=${encodeURIComponent(m.title)}`
      wx.navigateTo({ url })
    },
    /** Audio plays inside the page; a second tap pauses it. */
    onPlay() {
      const m = this.data.message
      if (!m || !m.link) return
      const self = this as unknown as { player?: WechatMiniprogram.InnerAudioContext }
      if (!self.player) {
        const player = wx.createInnerAudioContext()
        player.src = m.link
        player.onEnded(() => this.setData({ playing: false }))
        player.onError(() => {
          this.setData({ playing: false })
          wx.showToast({ title: '音频暂时播放不了，请稍后再试', icon: 'none' })
        })
        self.player = player
      }
      if (this.data.playing) self.player.pause()
      else self.player.play()
      this.setData({ playing: !this.data.playing })
    },
    onBack() {
      wx.navigateBack({ delta: 1 })
    },
  },
})
