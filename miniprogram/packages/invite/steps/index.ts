// 微信运动步数: with the patient's leave (scope.werun), a fresh wx.login code and wx.getWeRunData's
// encrypted week go to POST /me/checkins/werun; the days recorded and the points are shown.
// A patient who says no is told kindly how to turn it on later, and nothing is sent.
import { apiError, ApiError, newIdempotencyKey, postWerun, toApiError, WerunReply } from '../../../api/index'
import { pageError } from '../../../utils/page'
import { careMode } from '../../../utils/care'

/** Refused: the patient said no to WeRun (now or before). */
const REFUSED = 'werun_refused'

function authorizeWerun(): Promise<void> {
  return new Promise((resolve, reject) => {
    wx.authorize({ scope: 'scope.werun', success: () => resolve(), fail: () => reject(apiError(REFUSED)) })
  })
}

function freshLoginCode(): Promise<string> {
  return new Promise((resolve, reject) => {
    wx.login({
      success: (res) => (res.code ? resolve(res.code) : reject(apiError('wx_login_failed'))),
      fail: () => reject(apiError('wx_login_failed')),
    })
  })
}

function weRunData(): Promise<{ encryptedData: string; iv: string }> {
  return new Promise((resolve, reject) => {
    wx.getWeRunData({
      success: (res) => resolve({ encryptedData: res.encryptedData, iv: res.iv }),
      fail: (err) => reject(apiError(/auth|deny|privacy/i.test((err && err.errMsg) || '') ? REFUSED : 'werun_unavailable')),
    })
  })
}

function dayText(iso: string): string {
  const m = /^\d{4}-(\d{2})-(\d{2})/.exec(iso)
  return m ? `${Number(m[1])}月${Number(m[2])}日` : ''
}

export function resultView(reply: WerunReply) {
  const days = reply.days.slice().sort((a, b) => (a.local_date < b.local_date ? 1 : -1)).map((d) => ({
    date: d.local_date,
    day: dayText(d.local_date),
    steps: `${d.steps} 步`,
    note: d.points_awarded > 0 ? `+${d.points_awarded} 积分` : d.recorded ? '已记录' : '之前已记录',
  }))
  return {
    days,
    recorded: reply.days.filter((d) => d.recorded).length,
    points: reply.points_awarded,
    balance: reply.balance,
  }
}

Component({
  behaviors: [careMode],
  data: {
    syncing: false,
    refused: false,
    error: '',
    result: null as ReturnType<typeof resultView> | null,
  },
  methods: {
    async onSync() {
      if (this.data.syncing) return
      this.setData({ syncing: true, error: '', refused: false })
      try {
        await authorizeWerun()
        const code = await freshLoginCode() // first: a later login would change the key that opens the data
        const data = await weRunData()
        const self = this as unknown as { key: string }
        if (!self.key) self.key = newIdempotencyKey('werun')
        const reply = await postWerun({ code, encrypted_data: data.encryptedData, iv: data.iv }, self.key)
        self.key = ''
        this.setData({ syncing: false, result: resultView(reply) })
      } catch (e) {
        const error: ApiError = toApiError(e)
        if (error.code === REFUSED) this.setData({ syncing: false, refused: true })
        else this.setData({ syncing: false, error: (error.status === 401 && error.code !== 'invalid_wechat_code' && error.code !== 'wechat_code_used' ? pageError(e) : error).message })
      }
    },
    onOpenSetting() {
      wx.openSetting({
        success: (res) => {
          if (res.authSetting && res.authSetting['scope.werun']) {
            this.setData({ refused: false })
            ;(this as unknown as { onSync(): void }).onSync()
          }
        },
      })
    },
  },
})
