// 我的授权: each consent purpose on its own (title and text from GET /me/setup), granted or
// withdrawn and when, under which policy version; grant under the current version, withdraw
// after a confirmation that says what stops.
import { ConsentsView, getConsents, grantConsents, loadSetup, Purpose, toApiError, withdrawConsents } from '../../../api/index'
import { loadInto, pageError, shortTime } from '../../../utils/page'
import { careMode } from '../../../utils/care'

/** What stops when a purpose is withdrawn: the confirmation's text. */
export const WITHDRAW_TEXT: Record<Purpose, string> = {
  service: '撤回后，诊所将不再通过小程序为您提供复诊提醒、打卡积分等服务。'
    + '为保障您的诊疗安全，已有的就诊和健康记录会按规定继续保存；'
    + '如需删除全部信息，请到“我的 - 注销账号”。',
  marketing: '撤回后，诊所将不再给您发送健康活动和优惠信息，已安排的此类消息也会停止。复诊提醒等诊疗服务不受影响。',
  analytics: '撤回后，您的数据不再用于服务改进统计。诊疗服务不受影响。',
}

interface Row {
  purpose: Purpose
  title: string
  text: string
  required: boolean
  granted: boolean
  /** "已同意 · 12月6日 10:00", "已撤回 · …" or "尚未选择" */
  stateText: string
  versionText: string
  /** granted under an older policy version than the current one */
  outdated: boolean
}

export function consentRows(purposes: { purpose: Purpose; title: string; text: string; required: boolean }[],
  consents: ConsentsView, current: string): Row[] {
  return purposes.map((p) => {
    const state = consents[p.purpose]
    const granted = !!(state && state.granted)
    const when = state ? shortTime(state.at) : ''
    const stateText = !state ? '尚未选择' : `${granted ? '已同意' : '已撤回'}${when ? ` · ${when}` : ''}`
    const versionText = state && state.version && state.version !== 'withdrawal' ? `按政策版本 ${state.version}` : ''
    return { ...p, granted, stateText, versionText, outdated: granted && !!state && state.version !== current }
  })
}

Component({
  behaviors: [careMode],
  data: {
    loading: true,
    error: '',
    busy: '',
    actionError: '',
    version: '',
    purposes: [] as { purpose: Purpose; title: string; text: string; required: boolean }[],
    rows: [] as Row[],
  },
  methods: {
    onLoad() {
      this.load()
    },
    load() {
      return loadInto(this, async () => {
        const [setup, reply] = await Promise.all([loadSetup(), getConsents()])
        return { version: setup.policy.version, purposes: setup.purposes,
          rows: consentRows(setup.purposes, reply.consents, setup.policy.version) }
      })
    },
    show(consents: ConsentsView) {
      this.setData({ busy: '', rows: consentRows(this.data.purposes, consents, this.data.version) })
    },
    async onGrant(e: WechatMiniprogram.CustomEvent<WechatMiniprogram.IAnyObject, WechatMiniprogram.IAnyObject, { purpose: Purpose }>) {
      const purpose = e.currentTarget.dataset.purpose
      if (this.data.busy) return
      this.setData({ busy: purpose, actionError: '' })
      try {
        const reply = await grantConsents({ [purpose]: true }, this.data.version)
        this.show(reply.consents)
        wx.showToast({ title: '已同意', icon: 'success' })
      } catch (e) {
        this.setData({ busy: '', actionError: toApiError(pageError(e)).message })
      }
    },
    onWithdraw(e: WechatMiniprogram.CustomEvent<WechatMiniprogram.IAnyObject, WechatMiniprogram.IAnyObject, { purpose: Purpose }>) {
      const purpose = e.currentTarget.dataset.purpose
      if (this.data.busy) return
      const row = this.data.rows.find((r) => r.purpose === purpose)
      wx.showModal({
        title: `撤回“${row ? row.title : ''}”？`,
        content: WITHDRAW_TEXT[purpose],
        confirmText: '确认撤回',
        confirmColor: '#d54941',
        cancelText: '再想想',
        success: (res) => {
          if (res.confirm) this.withdraw(purpose)
        },
      })
    },
    async withdraw(purpose: Purpose) {
      this.setData({ busy: purpose, actionError: '' })
      try {
        const reply = await withdrawConsents([purpose])
        this.show(reply.consents)
        wx.showToast({ title: '已撤回', icon: 'success' })
      } catch (e) {
        this.setData({ busy: '', actionError: toApiError(pageError(e)).message })
      }
    },
  },
})
