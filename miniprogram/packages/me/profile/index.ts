// 编辑资料: what a patient may change on their own record (nickname, birth year, district).
// Name and phone are changed at the desk; an empty field clears it.
import { getMe, toApiError, updateProfile, ProfileUpdate } from '../../../api/index'
import { loadInto, pageError } from '../../../utils/page'
import { careMode } from '../../../utils/care'

export interface ProfileForm {
  nickname: string
  birthYear: string
  district: string
}

/** Field -> the Chinese message; empty when the form can be sent. */
export function validateProfile(form: ProfileForm, thisYear: number): Record<string, string> {
  const errors: Record<string, string> = {}
  const nickname = form.nickname.trim()
  if (Array.from(nickname).length > 20) errors.nickname = '昵称最多 20 个字'
  const year = form.birthYear.trim()
  if (year) {
    const n = Number(year)
    if (!/^\d{4}$/.test(year) || n < 1900 || n > thisYear) errors.birthYear = `请填写 1900 到 ${thisYear} 之间的四位年份`
  }
  if (Array.from(form.district.trim()).length > 40) errors.district = '所在区域最多 40 个字'
  return errors
}

export function profileBody(form: ProfileForm): ProfileUpdate {
  const nickname = form.nickname.trim()
  const year = form.birthYear.trim()
  const district = form.district.trim()
  return { nickname: nickname || null, birth_year: year ? Number(year) : null, district: district || null }
}

const FIELD_OF: Record<string, keyof ProfileForm> = { nickname: 'nickname', birth_year: 'birthYear', district: 'district' }

Component({
  behaviors: [careMode],
  data: {
    loading: true,
    error: '',
    saving: false,
    form: { nickname: '', birthYear: '', district: '' } as ProfileForm,
    errors: {} as Record<string, string>,
    saveError: '',
  },
  methods: {
    onLoad() {
      this.load()
    },
    load() {
      return loadInto(this, async () => {
        const { patient } = await getMe()
        return { form: { nickname: patient.nickname || '', birthYear: patient.birth_year ? String(patient.birth_year) : '',
          district: patient.district || '' } }
      })
    },
    onInput(e: WechatMiniprogram.CustomEvent<{ value: string }, WechatMiniprogram.IAnyObject, { field: keyof ProfileForm }>) {
      const field = e.currentTarget.dataset.field
      this.setData({ [`form.${field}`]: e.detail.value, [`errors.${field}`]: '', saveError: '' })
    },
    async onSave() {
      if (this.data.saving) return
      const form = this.data.form
      const errors = validateProfile(form, new Date().getFullYear())
      this.setData({ errors, saveError: '' })
      if (Object.keys(errors).length) return
      this.setData({ saving: true })
      try {
        await updateProfile(profileBody(form))
        this.setData({ saving: false })
        wx.showToast({ title: '已保存', icon: 'success' })
        wx.navigateBack({ delta: 1 })
      } catch (e) {
        const error = pageError(e)
        const field = error.field ? FIELD_OF[error.field] : undefined
        if (field) this.setData({ saving: false, [`errors.${field}`]: error.message })
        else this.setData({ saving: false, saveError: toApiError(error).message })
      }
    },
  },
})
