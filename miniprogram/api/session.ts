/**
 * Signing in: wx.login gives a one-time code, /auth/wechat/login (with the clinic id from config)
 * exchanges it for our tokens. A visitor (not yet registered) gets tokens too: registration needs them.
 */
import { config } from '../config'
import { request, Schemas } from './client'
import { apiError } from './errors'
import { clearTokens, loadTokens, saveTokens, Tokens } from './storage'

function wxLoginCode(): Promise<string> {
  if (config.devLoginCode) return Promise.resolve(config.devLoginCode)
  return new Promise((resolve, reject) => {
    wx.login({
      success: (res) => (res.code ? resolve(res.code) : reject(apiError('wx_login_failed'))),
      fail: () => reject(apiError('wx_login_failed')),
    })
  })
}

/** Sign in afresh with WeChat and keep the tokens. */
export async function login(): Promise<Tokens> {
  const code = await wxLoginCode()
  const body: Schemas['WechatLogin'] = { clinic_id: config.clinicId, code }
  const reply = await request<Schemas['SessionTokensReply']>('POST', '/auth/wechat/login', { data: body, auth: false })
  return saveTokens(reply)
}

/** The kept session, or a new one when there is none. */
export async function ensureSession(): Promise<Tokens> {
  return loadTokens() || login()
}

/** Keep the tokens registration answers with (the patient's role replaces the visitor's). */
export function keepRegisteredSession(reply: Schemas['RegisterReply']): Tokens {
  return saveTokens(reply)
}

export function logout(): void {
  clearTokens()
}
