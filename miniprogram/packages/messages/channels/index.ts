// 消息接收方式: which channel the clinic tries first (GET/PUT /me/channels); "default" leaves the
// clinic's own order. Also says whether WeChat reminders are switched on.
import { Channels, getChannels, putChannels } from '../../../api/index'
import { pageError } from '../../../utils/page'
import { careMode } from '../../../utils/care'

type Choice = 'default' | 'wechat' | 'inbox' | 'sms'

export const CHOICES: { value: Choice; label: string; hint: string }[] = [
  { value: 'default', label: '由诊所安排', hint: '按诊所的默认方式通知您' },
  { value: 'wechat', label: '微信服务通知', hint: '需要您在打卡或查看提醒后同意接收' },
  { value: 'inbox', label: '小程序消息', hint: '打开小程序“消息”即可看到' },
  { value: 'sms', label: '短信', hint: '发到您建档时留的手机号' },
]

const NAMES: Record<string, string> = { wechat: '微信', inbox: '小程序消息', sms: '短信' }

Component({
  behaviors: [careMode],
  data: {
    choices: CHOICES,
    loading: true,
    error: '',
    chosen: 'default' as Choice,
    saved: 'default' as Choice,
    order: '',
    wechatOn: false,
    saving: false,
    saveError: '',
    done: false,
  },
  methods: {
    onLoad() {
      this.load()
    },
    show(reply: Channels) {
      const preferred = (reply.preferred || 'default') as Choice
      const quota = Object.values(reply.wechat_quota || {}).reduce((a, b) => a + b, 0)
      this.setData({
        loading: false, chosen: preferred, saved: preferred,
        order: reply.order.map((c) => NAMES[c] || '').filter(Boolean).join(' → '),
        wechatOn: reply.wechat_linked && quota > 0,
      })
    },
    async load() {
      this.setData({ loading: true, error: '' })
      try {
        this.show(await getChannels())
      } catch (e) {
        this.setData({ loading: false, error: pageError(e).message })
      }
    },
    onChoose(e: WechatMiniprogram.CustomEvent<{ value: Choice }>) {
      this.setData({ chosen: e.detail.value, saveError: '', done: false })
    },
    async onSave() {
      if (this.data.saving) return
      this.setData({ saving: true, saveError: '', done: false })
      try {
        const chosen = this.data.chosen
        this.show(await putChannels({ preferred: chosen === 'default' ? null : chosen }))
        this.setData({ done: true })
        wx.showToast({ title: '已保存', icon: 'success' })
      } catch (e) {
        this.setData({ saveError: pageError(e).message })
      } finally {
        this.setData({ saving: false })
      }
    },
  },
})
