// 建档: name, phone, birth year, conditions, and consent per purpose (each its own checkbox).
import { loadSetup, register, Setup, toApiError } from '../../api/index'
import { careMode } from '../../utils/care'

const PHONE = /^1\d{10}$/

interface Form {
  name: string
  phone: string
  birthYear: string
  conditions: string[]
  consents: Record<string, boolean>
}

export function validate(form: Form, setup: Setup, thisYear: number): Record<string, string> {
  const errors: Record<string, string> = {}
  if (!form.name.trim()) errors.name = '请填写姓名'
  else if (form.name.trim().length > 40) errors.name = '姓名太长了'
  if (!PHONE.test(form.phone.replace(/[\s-]/g, ''))) errors.phone = '请填写 11 位手机号'
  if (form.birthYear) {
    const year = Number(form.birthYear)
    if (!Number.isInteger(year) || year < 1900 || year > thisYear) errors.birthYear = '请填写四位出生年份，如 1965'
  }
  for (const p of setup.purposes) {
    if (p.required && !form.consents[p.purpose]) errors.consents = `需要同意“${p.title}”才能建档`
  }
  return errors
}

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
    form: { name: '', phone: '', birthYear: '', conditions: [], consents: {} } as Form,
  },
  methods: {
    onLoad() {
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
    onPrivacy() {
      wx.navigateTo({ url: '/pages/privacy/index' })
    },
    async onSubmit() {
      const setup = this.data.setup
      if (!setup || this.data.submitting) return
      const form = this.data.form
      const errors = validate(form, setup, new Date().getFullYear())
      this.setData({ errors, submitError: '' })
      if (Object.keys(errors).length) return
      this.setData({ submitting: true })
      try {
        await register({
          name: form.name.trim(),
          phone: form.phone.replace(/[\s-]/g, ''),
          birth_year: form.birthYear ? Number(form.birthYear) : null,
          conditions: form.conditions,
          consents: form.consents,
          consent_version: setup.policy.version,
        })
        wx.switchTab({ url: '/pages/home/index' })
      } catch (e) {
        const error = toApiError(e)
        const field = error.field === 'phone' || error.code === 'invalid_phone' || error.code === 'phone_registered' ? 'phone' : ''
        this.setData(field ? { [`errors.${field}`]: error.message } : { submitError: error.message })
      } finally {
        this.setData({ submitting: false })
      }
    },
  },
})
