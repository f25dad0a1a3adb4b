// 建档: name, the phone (verified through WeChat's getPhoneNumber button, or typed), birth year,
// conditions, consent per purpose (each its own checkbox, texts and version from GET /me/setup)
// and the invite code the patient arrived with. WeChat's privacy authorisation comes first where
// the base library asks for it (onNeedPrivacyAuthorization shows our popup).
import {
  forgetInviteCode, keepInviteCode, keptInviteCode, loadSetup, registerPatient, Registration, Setup, toApiError,
} from '../../api/index'
import { careMode } from '../../utils/care'

const PHONE = /^1\d{10}$/

interface Form {
  name: string
  phone: string
  /** the code from getPhoneNumber; when set, it is sent instead of the typed phone */
  phoneCode: string
  birthYear: string
  conditions: string[]
  consents: Record<string, boolean>
}

type PrivacyResolve = (option: { event: 'agree' | 'disagree' | 'exposureAuthorization'; buttonId?: string }) => void

export function validate(form: Form, setup: Setup, thisYear: number): Record<string, string> {
  const errors: Record<string, string> = {}
  if (!form.name.trim()) errors.name = '请填写姓名'
  else if (form.name.trim().length > 40) errors.name = '姓名太长了'
  if (!form.phoneCode && !PHONE.test(form.phone.replace(/[\s-]/g, ''))) errors.phone = '请填写 11 位手机号'
  if (form.birthYear) {
    const year = Number(form.birthYear)
    if (!Number.isInteger(year) || year < 1900 || year > thisYear) errors.birthYear = '请填写四位出生年份，如 1965'
  }
  for (const p of setup.purposes) {
    if (p.required && !form.consents[p.purpose]) errors.consents = `需要同意“${p.title}”才能建档`
  }
  return errors
}

// The listener WeChat calls is global (one per app); it reaches the register page shown now.
let privacyPage: { askPrivacy(resolve: PrivacyResolve): void } | null = null

Component({
  behaviors: [careMode],
  data: {
    loading: true,
    loadError: '',
    submitting: false,
    submitError: '',
    errors: {} as Record<string, string>,
    setup: null as Setup | null,
    conditionItems: [] as { code: string; label: string; checked: boolean }[],
    form: { name: '', phone: '', phoneCode: '', birthYear: '', conditions: [], consents: {} } as Form,
    inviteCode: '',
    phoneNote: '',
    privacyShown: false,
    privacyContract: '《用户隐私保护指引》',
  },
  lifetimes: {
    attached() {
      privacyPage = this as unknown as { askPrivacy(resolve: PrivacyResolve): void }
      if (typeof wx.onNeedPrivacyAuthorization === 'function') {
        // the typings describe the listener's argument as a plain result; it is the resolve function
        wx.onNeedPrivacyAuthorization(((resolve: PrivacyResolve) => {
          if (privacyPage) privacyPage.askPrivacy(resolve)
          else resolve({ event: 'disagree' })
        }) as unknown as Parameters<typeof wx.onNeedPrivacyAuthorization>[0])
      }
    },
    detached() {
      if (privacyPage === (this as unknown)) privacyPage = null
    },
  },
  methods: {
    onLoad(query?: Record<string, string | undefined>) {
      if (query && query.invite) keepInviteCode(query.invite) // the API's share path opens this page directly
      this.setData({ inviteCode: keptInviteCode() || '' })
      if (typeof wx.getPrivacySetting === 'function') {
        wx.getPrivacySetting({
          success: (res) => { if (res.privacyContractName) this.setData({ privacyContract: res.privacyContractName }) },
        })
      }
      this.load()
    },
    async load() {
      this.setData({ loading: true, loadError: '' })
      try {
        const setup = await loadSetup()
        const consents: Record<string, boolean> = {}
        setup.purposes.forEach((p) => { consents[p.purpose] = false })
        this.setData({
          loading: false,
          setup,
          conditionItems: setup.conditions.map((c) => ({ ...c, checked: false })),
          'form.consents': consents,
        })
      } catch (e) {
        this.setData({ loading: false, loadError: toApiError(e).message })
      }
    },
    onField(e: WechatMiniprogram.CustomEvent<{ value: string }, Record<string, never>, { field: string }>) {
      const field = e.currentTarget.dataset.field
      this.setData({ [`form.${field}`]: e.detail.value, [`errors.${field}`]: '' })
    },
    onCondition(e: WechatMiniprogram.CustomEvent<{ checked: boolean }, Record<string, never>, { code: string }>) {
      const code = e.currentTarget.dataset.code
      const items = this.data.conditionItems.map((c) => (c.code === code ? { ...c, checked: e.detail.checked } : c))
      this.setData({ conditionItems: items, 'form.conditions': items.filter((c) => c.checked).map((c) => c.code) })
    },
    onConsent(e: WechatMiniprogram.CustomEvent<{ checked: boolean }, Record<string, never>, { purpose: string }>) {
      this.setData({ [`form.consents.${e.currentTarget.dataset.purpose}`]: e.detail.checked, 'errors.consents': '' })
    },
    /** 扫码绑定: a patient the desk registered links this WeChat to that record instead (packages/bind). */
    onScanBind() {
      wx.navigateTo({ url: '/packages/bind/index' })
    },
    onPrivacy() {
      wx.navigateTo({ url: '/pages/privacy/index' })
    },

    // ---- the verified phone ----
    /** WeChat answers the getPhoneNumber button with a one-time code the API exchanges (phone_code). */
    onPhoneNumber(e: WechatMiniprogram.CustomEvent<{ code?: string; errMsg?: string }>) {
      const detail = e.detail || {}
      if (detail.code && /:ok$/.test(detail.errMsg || ':ok')) {
        this.setData({ 'form.phoneCode': detail.code, 'errors.phone': '', phoneNote: '' })
      } else {
        this.setData({ phoneNote: '没有获取到微信手机号，您可以直接在上面填写手机号' })
      }
    },
    onTypePhone() {
      this.setData({ 'form.phoneCode': '', phoneNote: '' })
    },

    // ---- WeChat's privacy authorisation popup ----
    askPrivacy(resolve: PrivacyResolve) {
      ;(this as unknown as { privacyResolve: PrivacyResolve | null }).privacyResolve = resolve
      resolve({ event: 'exposureAuthorization' })
      this.setData({ privacyShown: true })
    },
    answerPrivacy(event: 'agree' | 'disagree') {
      const self = this as unknown as { privacyResolve: PrivacyResolve | null }
      const resolve = self.privacyResolve
      self.privacyResolve = null
      this.setData({ privacyShown: false })
      if (resolve) resolve(event === 'agree' ? { event, buttonId: 'agree-btn' } : { event })
      if (event === 'disagree') this.setData({ phoneNote: '没关系，您可以直接在上面填写手机号' })
    },
    onAgreePrivacy() {
      this.answerPrivacy('agree')
    },
    onDisagreePrivacy() {
      this.answerPrivacy('disagree')
    },
    onPrivacyContract() {
      if (typeof wx.openPrivacyContract === 'function') wx.openPrivacyContract({})
      else wx.navigateTo({ url: '/pages/privacy/index' })
    },

    // ---- the invite code ----
    onDropInvite() {
      forgetInviteCode()
      this.setData({ inviteCode: '', 'errors.invite': '' })
    },

    async onSubmit() {
      const setup = this.data.setup
      if (!setup || this.data.submitting) return
      const form = this.data.form
      const errors = validate(form, setup, new Date().getFullYear())
      this.setData({ errors, submitError: '' })
      if (Object.keys(errors).length) return
      this.setData({ submitting: true })
      const body: Registration = {
        name: form.name.trim(),
        birth_year: form.birthYear ? Number(form.birthYear) : null,
        conditions: form.conditions,
        consents: form.consents,
        consent_version: setup.consentVersion,
      }
      if (form.phoneCode) body.phone_code = form.phoneCode
      else body.phone = form.phone.replace(/[\s-]/g, '')
      if (this.data.inviteCode) body.invite_code = this.data.inviteCode
      try {
        await registerPatient(body)
        forgetInviteCode()
        wx.switchTab({ url: '/pages/home/index' })
      } catch (e) {
        const error = toApiError(e)
        if (error.code === 'invalid_phone_code') {
          // the code is used or too old: ask again, or type the number
          this.setData({ 'form.phoneCode': '', 'errors.phone': error.message })
        } else if (error.field === 'invite_code' || error.code === 'unknown_invite_code' || error.code === 'self_referral') {
          this.setData({ 'errors.invite': error.message })
        } else if (error.field === 'phone' || error.code === 'invalid_phone' || error.code === 'phone_registered') {
          this.setData({ 'errors.phone': error.message })
        } else {
          this.setData({ submitError: error.message })
        }
      } finally {
        this.setData({ submitting: false })
      }
    },
  },
})
