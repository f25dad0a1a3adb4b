// 我的: the patient's own record (name masked or their nickname, the verified-phone mark, points),
// their rights (profile, consents, export, deletion), 关怀模式, and the entries to the other pages.
import { getMe } from '../../api/index'
import { pageError } from '../../utils/page'
import { MY_BOOKINGS_PAGE } from '../../utils/booking'
import { careChosen, careClass, careEnabled, careMode, setCareMode } from '../../utils/care'

/** 13800001234 -> 138****1234 */
export function maskPhone(phone: string): string {
  return phone.length >= 7 ? `${phone.slice(0, 3)}****${phone.slice(-4)}` : phone
}

/** 王芳 -> 王*, 欧阳小明 -> 欧***: the family name only, as the board shows it. */
export function maskName(name: string): string {
  const chars = Array.from(name.trim())
  if (!chars.length) return ''
  return chars[0] + '*'.repeat(Math.max(chars.length - 1, 1))
}

interface Shown {
  displayName: string
  maskedPhone: string
  phoneVerified: boolean
  balance: number
  /** "下次就诊：12月9日" when a visit is booked */
  nextBooking: string
}

/** Where each entry of the page goes. */
export const ENTRIES: Record<string, string> = {
  profile: '/packages/me/profile/index',
  consents: '/packages/me/consents/index',
  export: '/packages/me/data/index?part=export',
  delete: '/packages/me/data/index?part=delete',
  tasks: '/packages/me/tasks/index',
  board: '/packages/me/board/index',
  points: '/packages/points/index/index',
  challenges: '/pages/challenges/index',
  channels: '/packages/messages/channels/index',
  invite: '/packages/invite/index/index',
  packages: '/packages/invite/packages/index',
  privacy: '/pages/privacy/index',
  about: '/packages/more/about/index',
  appointments: MY_BOOKINGS_PAGE,
  family: '/packages/family/index',
}

/** "2026-12-09" -> "下次就诊：12月9日"; '' when nothing is booked. */
export function nextBookingText(day: string | null | undefined): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || '')
  return m ? `下次就诊：${Number(m[2])}月${Number(m[3])}日` : ''
}

Component({
  behaviors: [careMode],
  data: {
    loading: true,
    error: '',
    me: null as Shown | null,
    careOn: false,
    careFollowsSystem: true,
  },
  methods: {
    onLoad() {
      this.load()
    },
    onShow() {
      // back from 编辑资料 or another page: the name and points may have changed
      this.readCare()
      if (!this.data.loading) this.load(true)
    },
    readCare() {
      this.setData({ careOn: careEnabled(), careFollowsSystem: !careChosen() })
    },
    async load(quiet = false) {
      if (!quiet) this.setData({ loading: true, error: '' })
      this.readCare()
      try {
        const { patient } = await getMe()
        const nickname = (patient.nickname || '').trim()
        this.setData({
          loading: false,
          error: '',
          me: {
            displayName: nickname || maskName(patient.name),
            maskedPhone: maskPhone(patient.phone),
            phoneVerified: !!patient.phone_verified,
            balance: patient.balance,
            nextBooking: nextBookingText(patient.next_booking_date),
          },
        })
      } catch (e) {
        this.setData({ loading: false, error: pageError(e).message })
      }
    },
    onRetry() {
      this.load()
    },
    onCareChange(e: WechatMiniprogram.CustomEvent<{ value: boolean }>) {
      const on = !!e.detail.value
      setCareMode(on)
      this.setData({ careOn: on, careFollowsSystem: false, careClass: careClass() })
    },
    onEntry(e: WechatMiniprogram.CustomEvent<WechatMiniprogram.IAnyObject, WechatMiniprogram.IAnyObject, { to: string }>) {
      const url = ENTRIES[e.currentTarget.dataset.to]
      if (url) wx.navigateTo({ url })
    },
  },
})
