// 我的授权: each consent purpose on its own (title and text from GET /me/setup), granted or
// withdrawn and when, which version of its text the patient agreed to; when that version is not
// the current one, the text agreed to then (GET /consent-texts/{version}, read once per version)
// and a way to agree to the new one. Grant under the current version, withdraw after a
// confirmation that says what stops.
import { ConsentsView, getConsents, getConsentTexts, grantConsents, loadSetup, Purpose, toApiError, withdrawConsents } from '../../../api/index'
import { loadInto, pageError } from '../../../utils/page'
import { careMode } from '../../../utils/care'

/** What stops when a purpose is withdrawn: the confirmation's text. */
export const WITHDRAW_TEXT: Record<Purpose, string> = {
  service: '撤回后，诊所将不再通过小程序为您提供复诊提醒、打卡积分等服务。'
    + '为保障您的诊疗安全，已有的就诊和健康记录会按规定继续保存；'
    + '如需删除全部信息，请到“我的 - 注销账号”。',
  marketing: '撤回后，诊所将不再给您发送健康活动和优惠信息，已安排的此类消息也会停止。复诊提醒等诊疗服务不受影响。',
  analytics: '撤回后，您的数据不再用于服务改进统计。诊疗服务不受影响。',
}

const pad = (n: number) => (n < 10 ? `0${n}` : `${n}`)

/** An ISO instant -> "2026年12月1日 10:30" in the phone's time zone ('' when it is not a date). */
export function dateTimeText(iso: string | null | undefined): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return ''
  return `${d.getFullYear()}年${d.getMonth() + 1}月${d.getDate()}日 ${pad(d.getHours())}:${pad(d.getMinutes())}`
}

interface PurposeText {
  purpose: Purpose
  title: string
  text: string
  required: boolean
}

/** The text agreed to earlier, as the card shows it (closed until the patient asks for it). */
interface AgreedText {
  open: boolean
  loading: boolean
  error: string
  title: string
  text: string
}

interface Row extends PurposeText {
  granted: boolean
  /** "已同意 · 2026年12月1日 10:30", "已撤回 · …" or "尚未选择" */
  stateText: string
  /** the version of the text the patient agreed to ('' when not agreed) */
  agreedVersion: string
  /** "同意的是 v1 版说明（即上面的文字）" */
  agreedText: string
  /** agreed to an older version of the text than the current one */
  outdated: boolean
  agreed: AgreedText
}

const CLOSED: AgreedText = { open: false, loading: false, error: '', title: '', text: '' }

/** Texts read from GET /consent-texts/{version}: version -> purpose -> its title and text then. */
type TextCache = Record<string, Partial<Record<Purpose, { title: string; text: string }>>>

export function consentRows(purposes: PurposeText[], consents: ConsentsView, current: string): Row[] {
  return purposes.map((p) => {
    const state = consents[p.purpose]
    const granted = !!(state && state.granted)
    const when = state ? dateTimeText(state.at) : ''
    const stateText = !state ? '尚未选择' : `${granted ? '已同意' : '已撤回'}${when ? ` · ${when}` : ''}`
    const agreedVersion = granted && state && state.version ? state.version : ''
    const outdated = !!agreedVersion && agreedVersion !== current
    const agreedText = !agreedVersion ? ''
      : `同意的是 ${agreedVersion} 版说明${outdated ? '（不是当前版本）' : '（即上面的文字）'}`
    return { ...p, granted, stateText, agreedVersion, agreedText, outdated, agreed: { ...CLOSED } }
  })
}

/** What an opened card shows once the version's texts are read. */
function agreedFrom(cache: TextCache, version: string, purpose: Purpose): AgreedText {
  const then = cache[version] && cache[version][purpose]
  if (!then) return { ...CLOSED, open: true, error: '这一版里没有这项授权的说明，请联系诊所' }
  return { ...CLOSED, open: true, title: then.title, text: then.text }
}

type TapEvent = WechatMiniprogram.CustomEvent<WechatMiniprogram.IAnyObject, WechatMiniprogram.IAnyObject, { purpose: Purpose }>

Component({
  behaviors: [careMode],
  data: {
    loading: true,
    error: '',
    busy: '',
    actionError: '',
    /** the current consent version (GET /me/setup `consent.version`), sent back when agreeing */
    version: '',
    purposes: [] as PurposeText[],
    rows: [] as Row[],
    /** consent texts of earlier versions, read once per version */
    texts: {} as TextCache,
    /** versions being read now */
    reading: {} as Record<string, boolean>,
  },
  methods: {
    onLoad() {
      this.load()
    },
    load() {
      return loadInto(this, async () => {
        const [setup, reply] = await Promise.all([loadSetup(), getConsents()])
        return { version: setup.consentVersion, purposes: setup.purposes,
          rows: consentRows(setup.purposes, reply.consents, setup.consentVersion) }
      })
    },
    show(consents: ConsentsView) {
      this.setData({ busy: '', rows: consentRows(this.data.purposes, consents, this.data.version) })
    },
    /** Set the earlier text's view of one purpose's card (found again: the rows may have changed). */
    setAgreed(purpose: Purpose, agreed: AgreedText) {
      const i = this.data.rows.findIndex((r) => r.purpose === purpose)
      if (i >= 0) this.setData({ [`rows[${i}].agreed`]: agreed })
    },
    /** 查看当时同意的文本 (or 收起): the text of the version agreed to, read once per version. */
    onShowAgreed(e: TapEvent) {
      const purpose = e.currentTarget.dataset.purpose
      const row = this.data.rows.find((r) => r.purpose === purpose)
      if (!row || !row.agreedVersion) return
      if (row.agreed.open && !row.agreed.error && !row.agreed.loading) {
        this.setAgreed(purpose, { ...CLOSED })
        return
      }
      const version = row.agreedVersion
      if (this.data.texts[version]) {
        this.setAgreed(purpose, agreedFrom(this.data.texts, version, purpose))
        return
      }
      this.setAgreed(purpose, { ...CLOSED, open: true, loading: true })
      if (!this.data.reading[version]) this.readTexts(version)
    },
    async readTexts(version: string) {
      this.setData({ reading: { ...this.data.reading, [version]: true } })
      let error = ''
      try {
        const reply = await getConsentTexts(version)
        const byPurpose: TextCache[string] = {}
        reply.purposes.forEach((p) => { byPurpose[p.purpose as Purpose] = { title: p.title, text: p.text } })
        this.setData({ texts: { ...this.data.texts, [version]: byPurpose } })
      } catch (e) {
        error = pageError(e).message
      }
      this.setData({ reading: { ...this.data.reading, [version]: false } })
      // every card waiting for this version (two purposes may share it)
      this.data.rows.forEach((r) => {
        if (r.agreedVersion !== version || !r.agreed.open || !r.agreed.loading) return
        this.setAgreed(r.purpose, error ? { ...CLOSED, open: true, error } : agreedFrom(this.data.texts, version, r.purpose))
      })
    },
    async onGrant(e: TapEvent) {
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
    onWithdraw(e: TapEvent) {
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
