// 加入家庭: opened from a family member's invite (this page with ?code=…, shared in WeChat or scanned
// from their QR code), or with no code to scan or type one. It says in plain words what joining
// shares, and joins only once the patient ticked that they agree (POST /me/family/join, consent).
// A WeChat user without a record is asked to 建档 first; the invite waits on the phone meanwhile.
import { familyCodeFrom, forgetFamilyCode, joinFamily, keepFamilyCode } from '../../api/family'
import { apiError, ensureSession, login } from '../../api/index'
import { pageError } from '../../utils/page'
import { careMode } from '../../utils/care'
import { memberRows, MemberRow } from './format'

type Step = 'enter' | 'register' | 'confirm' | 'done'

/** Refusals after which this code is of no use: the patient is asked for another. */
const DEAD_CODE = ['invalid_code', 'code_expired']

/** What the patient reads next to a refusal: what to do now. */
const NEXT: Record<string, string> = {
  invalid_code: '请让家人在“我的家庭”里重新邀请您。',
  code_expired: '请让家人在“我的家庭”里重新邀请您。',
  own_code: '请把邀请发给家人，由家人打开。',
  already_in_family: '如果想换一个家庭，请先在“我的家庭”里退出现在的家庭。',
}

Component({
  behaviors: [careMode],
  data: {
    loading: true,
    step: 'enter' as Step,
    code: '',
    typed: '',
    typedError: '',
    agreed: false,
    agreeError: '',
    joining: false,
    error: '',
    errorCode: '',
    next: '',
    members: [] as MemberRow[],
  },
  methods: {
    onLoad(query?: Record<string, string | undefined>) {
      const raw = query && query.code
      const code = raw ? familyCodeFrom(`?code=${raw}`) : null
      if (raw && !code) {
        this.setData({ loading: false, step: 'enter', error: apiError('not_a_family_code').message })
        return
      }
      this.start(code || '')
    },
    /** Sign in (the page may be the first one opened), then show the invite or ask for one. */
    async start(code: string) {
      this.setData({ loading: true, error: '', errorCode: '', next: '', code })
      try {
        let session = await ensureSession()
        if (!session.registered) session = await login() // a kept visitor session may have registered since
        if (!session.registered) {
          if (code) keepFamilyCode(code)
          this.setData({ loading: false, step: 'register' })
          return
        }
        this.setData({ loading: false, step: code ? 'confirm' : 'enter' })
      } catch (e) {
        this.setData({ loading: false, step: code ? 'confirm' : 'enter', error: pageError(e).message })
      }
    },
    onTyped(e: WechatMiniprogram.CustomEvent<{ value: string }>) {
      this.setData({ typed: e.detail.value, typedError: '' })
    },
    onUseTyped() {
      const code = familyCodeFrom(this.data.typed)
      if (!code) {
        this.setData({ typedError: this.data.typed.trim() ? '邀请码不对，请核对后再填' : '请填写家人给您的邀请码' })
        return
      }
      this.start(code)
    },
    onScan() {
      this.setData({ error: '', errorCode: '', next: '' })
      wx.scanCode({
        onlyFromCamera: false,
        scanType: ['qrCode'],
        success: (res) => {
          const code = familyCodeFrom(res.path || res.result)
          if (!code) {
            this.setData({ error: apiError('not_a_family_code').message })
            return
          }
          this.start(code)
        },
        fail: () => {
          // the patient closed the camera: the button stays there
        },
      })
    },
    onAgree(e: WechatMiniprogram.CustomEvent<{ checked: boolean }>) {
      this.setData({ agreed: !!e.detail.checked, agreeError: '' })
    },
    async onJoin() {
      if (this.data.joining) return
      if (!this.data.agreed) {
        this.setData({ agreeError: '请先阅读上面的说明，勾选同意后再加入' })
        return
      }
      this.setData({ joining: true, error: '', errorCode: '', next: '' })
      try {
        const reply = await joinFamily(this.data.code)
        forgetFamilyCode()
        this.setData({ step: 'done', members: memberRows(reply.members || []) })
      } catch (err) {
        const error = pageError(err)
        this.setData({ error: error.message, errorCode: error.code, next: NEXT[error.code] || '' })
        if (DEAD_CODE.includes(error.code) || error.code === 'own_code' || error.code === 'already_in_family') forgetFamilyCode()
        if (DEAD_CODE.includes(error.code)) this.setData({ step: 'enter', code: '', agreed: false })
      } finally {
        this.setData({ joining: false })
      }
    },
    onRegister() {
      wx.navigateTo({ url: '/pages/register/index' })
    },
    onFamily() {
      wx.redirectTo({ url: '/packages/family/index' })
    },
    onHome() {
      wx.switchTab({ url: '/pages/home/index' })
    },
  },
})
