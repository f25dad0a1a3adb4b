// 扫码绑定: a patient the clinic registered at the desk links this WeChat account to that record.
// Opened from the desk's QR code (this page with ?code=...), or from 建档's "扫码绑定" entry, where
// the patient scans the QR code here (wx.scanCode). The patient confirms before anything is linked.
import { apiError, bindCodeFrom, bindWechat, ensureSession, login } from '../../api/index'
import { careMode } from '../../utils/care'
import { pageError } from '../../utils/page'

type Step = 'scan' | 'confirm' | 'registered' | 'done'

Component({
  behaviors: [careMode],
  data: {
    loading: true,
    step: 'scan' as Step,
    code: '',
    binding: false,
    error: '',
    name: '',
  },
  methods: {
    onLoad(query?: Record<string, string | undefined>) {
      // a path's query value arrives percent-encoded when the code was put in a link
      const code = bindCodeFrom(query && query.code ? `?code=${query.code}` : '')
      if (query && query.code && !code) {
        this.setData({ loading: false, step: 'scan', error: apiError('not_a_bind_code').message })
        return
      }
      this.start(code || '')
    },
    async start(code: string) {
      this.setData({ loading: true, error: '', code })
      try {
        let session = await ensureSession()
        if (!session.registered && code) session = await login() // a kept visitor session may be stale
        if (session.registered) {
          this.setData({ loading: false, step: 'registered' })
          return
        }
        this.setData({ loading: false, step: code ? 'confirm' : 'scan' })
      } catch (e) {
        this.setData({ loading: false, step: code ? 'confirm' : 'scan', error: pageError(e).message })
      }
    },
    onScan() {
      this.setData({ error: '' })
      wx.scanCode({
        onlyFromCamera: false,
        scanType: ['qrCode'],
        success: (res) => {
          const code = bindCodeFrom(res.path || res.result)
          if (!code) {
            this.setData({ error: apiError('not_a_bind_code').message })
            return
          }
          this.start(code)
        },
        fail: () => {
          // the patient closed the camera: nothing to say, the button stays there
        },
      })
    },
    async onConfirm() {
      if (this.data.binding || !this.data.code) return
      this.setData({ binding: true, error: '' })
      try {
        const reply = await bindWechat(this.data.code)
        this.setData({ binding: false, step: 'done', name: reply.patient.nickname || reply.patient.name })
      } catch (e) {
        const error = pageError(e)
        // a code that cannot work any more: the patient needs a new QR code, so offer the scan again
        const dead = ['bind_code_used', 'bind_code_expired', 'bind_code_unknown', 'bind_code_other_clinic']
        this.setData({ binding: false, error: error.message, step: dead.includes(error.code) ? 'scan' : this.data.step })
      }
    },
    onHome() {
      wx.switchTab({ url: '/pages/home/index' })
    },
    onRegister() {
      wx.redirectTo({ url: '/pages/register/index' })
    },
  },
})
