/**
 * 扫码绑定: a patient the clinic registered at the desk links this WeChat account to that record
 * with the one-time code of the QR code the desk shows (ten minutes, once).
 */
import { request, Schemas } from './client'
import { keepRegisteredSession } from './session'

/** The mini-program page the desk's QR code opens (it holds `?code=`). */
export const BIND_PAGE = 'packages/bind/index'

const CODE = /^[a-z0-9][a-z0-9-]{1,39}\.[A-Za-z0-9_-]{16,64}$/

/**
 * The bind code in what a scan gives (the QR code's text, the page path of a mini-program code, or
 * the code itself); null when it holds none.
 */
export function bindCodeFrom(scanned: string | undefined | null): string | null {
  const textValue = (scanned || '').trim()
  if (CODE.test(textValue)) return textValue
  const found = /[?&]code=([^&#]+)/.exec(textValue)
  if (!found) return null
  let code = found[1]
  try {
    code = decodeURIComponent(code)
  } catch (e) {
    return null
  }
  return CODE.test(code) ? code : null
}

/** Link this WeChat account to the desk's record; keeps the patient's tokens it answers with. */
export async function bindWechat(code: string): Promise<Schemas['RegisterReply']> {
  const body: Schemas['BindBody'] = { code }
  const reply = await request<Schemas['RegisterReply']>('POST', '/me/bind', { data: body })
  keepRegisteredSession(reply)
  return reply
}
