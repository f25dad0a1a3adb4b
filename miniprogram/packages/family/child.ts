// 添加孩子: register a child (a newborn too) in the patient's household: name, birth date, sex.
// The child gets a record of their own at the clinic, cared for by the patient (check-ins for them,
// their check-up reminders to the patient). POST /me/family/dependants, one key per child.
import { addDependant, FamilyMember } from '../../api/family'
import { newIdempotencyKey } from '../../api/index'
import { pageError } from '../../utils/page'
import { careMode } from '../../utils/care'
import { isoDay } from './format'

export const SEXES = [
  { value: 'F', label: '女孩' },
  { value: 'M', label: '男孩' },
]

/** Whether a child born on `birthDate` counts as a minor today: under 18 by birth year, as the API counts. */
function minorByYear(birthDate: string, today: string): boolean {
  return Number(today.slice(0, 4)) - Number(birthDate.slice(0, 4)) < 18
}

export interface ChildForm {
  name: string
  birthDate: string
  sex: string
}

export function validateChild(form: ChildForm, today: string): Record<string, string> {
  const errors: Record<string, string> = {}
  const name = form.name.trim()
  if (!name) errors.name = '请填写孩子的姓名'
  else if (Array.from(name).length > 20) errors.name = '姓名最多 20 个字'
  if (!/^\d{4}-\d{2}-\d{2}$/.test(form.birthDate)) errors.birthDate = '请选择孩子的出生日期'
  else if (form.birthDate > today) errors.birthDate = '出生日期不能晚于今天'
  else if (!minorByYear(form.birthDate, today)) errors.birthDate = '孩子已满 18 岁，请让 TA 自己建档后再邀请加入家庭'
  if (form.sex !== 'F' && form.sex !== 'M') errors.sex = '请选择性别'
  return errors
}

const NEEDS_CONSENT = '添加孩子需要您先同意“诊疗服务”授权，请在“我的授权”里同意后再添加'

/** Which field an API refusal belongs to. */
const FIELD_OF: Record<string, string> = { not_a_minor: 'birthDate', invalid_birth_date: 'birthDate' }

Component({
  behaviors: [careMode],
  data: {
    sexes: SEXES,
    today: '',
    form: { name: '', birthDate: '', sex: '' } as ChildForm,
    errors: {} as Record<string, string>,
    submitting: false,
    submitError: '',
    idemKey: '',
    added: null as FamilyMember | null,
    needsConsent: false,
  },
  methods: {
    onLoad() {
      this.setData({ today: isoDay(0) })
    },
    onName(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      this.setData({ 'form.name': e.detail.value, 'errors.name': '', idemKey: '' })
    },
    onBirthDate(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      this.setData({ 'form.birthDate': e.detail.value, 'errors.birthDate': '', idemKey: '' })
    },
    onSex(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      this.setData({ 'form.sex': e.detail.value, 'errors.sex': '', idemKey: '' })
    },
    async onSubmit() {
      if (this.data.submitting) return
      const today = this.data.today || isoDay(0)
      const errors = validateChild(this.data.form, today)
      this.setData({ errors, submitError: '' })
      if (Object.keys(errors).length) return
      // one key per child: a retry after a failure never registers the child twice
      const key = this.data.idemKey || newIdempotencyKey('dependant')
      this.setData({ submitting: true, idemKey: key, needsConsent: false })
      const { name, birthDate, sex } = this.data.form
      try {
        const added = await addDependant({ name: name.trim(), birth_date: birthDate, sex: sex as 'F' | 'M', relation: 'child' }, key)
        this.setData({ added, idemKey: '' })
      } catch (err) {
        const error = pageError(err)
        const field = FIELD_OF[error.code]
        if (field) this.setData({ [`errors.${field}`]: error.message })
        // registering a child needs the patient's own 诊疗服务 consent (the API's code may vary)
        else if (/consent/.test(error.code)) this.setData({ submitError: NEEDS_CONSENT, needsConsent: true })
        else this.setData({ submitError: error.message })
      } finally {
        this.setData({ submitting: false })
      }
    },
    onOpenChild() {
      const added = this.data.added
      if (added && added.member_id) wx.redirectTo({ url: `/packages/family/member?id=${encodeURIComponent(added.member_id)}` })
    },
    onConsents() {
      wx.navigateTo({ url: '/packages/me/consents/index' })
    },
    onBack() {
      wx.navigateBack({ delta: 1 })
    },
  },
})
