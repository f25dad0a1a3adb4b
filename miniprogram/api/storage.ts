/** Session tokens, kept with wx.setStorageSync so a restart keeps the patient signed in. */

export interface Tokens {
  access_token: string
  refresh_token: string
  /** epoch ms when the access token stops working (from expires_in) */
  expires_at: number
  patient_id: string | null
  registered: boolean
}

const KEY = 'revisit.session'

export function loadTokens(): Tokens | null {
  try {
    const value = wx.getStorageSync(KEY) as Tokens | ''
    return value && value.access_token ? value : null
  } catch (e) {
    return null
  }
}

export function saveTokens(reply: {
  access_token: string
  refresh_token: string
  expires_in: number
  patient_id: string | null
  registered: boolean
}): Tokens {
  const tokens: Tokens = {
    access_token: reply.access_token,
    refresh_token: reply.refresh_token,
    expires_at: Date.now() + reply.expires_in * 1000,
    patient_id: reply.patient_id,
    registered: reply.registered,
  }
  wx.setStorageSync(KEY, tokens)
  return tokens
}

export function clearTokens(): void {
  wx.removeStorageSync(KEY)
}
