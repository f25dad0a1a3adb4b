// 我的: the patient's own record, the privacy policy and the about page (subpackage `more`).
import { getMe, Patient } from '../../api/index'
import { pageError } from '../../utils/page'
import { careMode } from '../../utils/care'

/** 13800001234 -> 138****1234 */
export function maskPhone(phone: string): string {
  return phone.length >= 7 ? `${phone.slice(0, 3)}****${phone.slice(-4)}` : phone
}

Component({
  behaviors: [careMode],
  data: {
    loading: true,
    error: '',
    patient: null as (Patient & { maskedPhone: string }) | null,
  },
  methods: {
    onLoad() {
      this.load()
    },
    async load() {
      this.setData({ loading: true, error: '' })
      try {
        const { patient } = await getMe()
        this.setData({ loading: false, patient: { ...patient, maskedPhone: maskPhone(patient.phone) } })
      } catch (e) {
        this.setData({ loading: false, error: pageError(e).message })
      }
    },
    onPrivacy() {
      wx.navigateTo({ url: '/pages/privacy/index' })
    },
    onAbout() {
      wx.navigateTo({ url: '/packages/more/about/index' })
    },
  },
})
