/**
 * wx.request as typed promises: JSON in and out, the bearer token added, one refresh through
 * /auth/refresh when the API answers 401 token_expired (then the request is sent once more),
 * and every failure turned into an ApiError `{code, message}` (api/errors.ts).
 */
import { config } from '../config'
import { apiError, ApiError } from './errors'
import { clearTokens, loadTokens, saveTokens } from './storage'
import type { components, paths } from './types'

export type Schemas = components['schemas']
export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE'
/** A route of the OpenAPI document, written as it is there (`/me/inbox/{message_id}/read`). */
export type Route = keyof paths

export interface RequestOptions {
  /** JSON body (POST, PUT) or query parameters (GET) */
  data?: object
  /** values for `{name}` in the route */
  params?: Record<string, string>
  headers?: Record<string, string>
  /** false for the login routes, which take no bearer token */
  auth?: boolean
}

interface RawReply {
  statusCode: number
  data: unknown
}

function fillRoute(route: string, params?: Record<string, string>): string {
  return route.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params && params[name]
    if (value === undefined) throw apiError('unknown')
    return encodeURIComponent(value)
  })
}

function send(method: Method, url: string, data: object | undefined, headers: Record<string, string>): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    wx.request({
      url,
      method,
      data: data as WechatMiniprogram.IAnyObject | undefined,
      header: { 'content-type': 'application/json', ...headers },
      timeout: config.requestTimeoutMs,
      dataType: 'json',
      success: (res) => resolve({ statusCode: res.statusCode, data: res.data }),
      fail: (err) => {
        const timedOut = /timeout/i.test((err && err.errMsg) || '')
        reject(apiError(timedOut ? 'timeout' : 'network'))
      },
    })
  })
}

function errorOf(reply: RawReply): ApiError {
  const body = reply.data as { code?: unknown; field?: unknown } | null
  const code = body && typeof body.code === 'string' ? body.code : reply.statusCode >= 500 ? 'server' : 'unknown'
  const field = body && typeof body.field === 'string' ? body.field : null
  return apiError(code, reply.statusCode, field)
}

let refreshing: Promise<boolean> | null = null

/** Exchange the refresh token for new tokens; concurrent callers share one exchange. */
export function refreshTokens(): Promise<boolean> {
  if (!refreshing) {
    refreshing = (async () => {
      const tokens = loadTokens()
      if (!tokens) return false
      const reply = await send('POST', `${config.apiBaseUrl}/auth/refresh`, { refresh_token: tokens.refresh_token }, {})
      if (reply.statusCode !== 200) {
        clearTokens()
        return false
      }
      saveTokens(reply.data as Schemas['SessionTokensReply'])
      return true
    })().finally(() => {
      refreshing = null
    })
  }
  return refreshing
}

/** One call to the API; resolves with the reply's JSON, rejects with an ApiError. */
export async function request<T>(method: Method, route: Route, options: RequestOptions = {}): Promise<T> {
  const url = config.apiBaseUrl + fillRoute(route as string, options.params)
  const auth = options.auth !== false
  const attempt = () => {
    const headers: Record<string, string> = { ...(options.headers || {}) }
    if (auth) {
      const tokens = loadTokens()
      if (!tokens) throw apiError('not_logged_in', 401)
      headers.Authorization = `Bearer ${tokens.access_token}`
    }
    return send(method, url, options.data, headers)
  }
  let reply = await attempt()
  if (auth && reply.statusCode === 401 && errorOf(reply).code === 'token_expired' && (await refreshTokens())) {
    reply = await attempt()
  }
  if (reply.statusCode >= 200 && reply.statusCode < 300) return reply.data as T
  throw errorOf(reply)
}
