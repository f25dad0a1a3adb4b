/** Small helpers shared by pages. */
import { ApiError, toApiError } from '../api/index'

/**
 * The error a page shows; a lost session (401 after the refresh was tried) starts over at the
 * launch page, which signs in again.
 */
export function pageError(e: unknown): ApiError {
  const error = toApiError(e)
  if (error.status === 401) wx.reLaunch({ url: '/pages/launch/index' })
  return error
}

/** "2026-12-06T08:30:00Z" -> "12月6日 16:30" in the phone's time zone. */
export function shortTime(iso: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return ''
  const pad = (n: number) => (n < 10 ? `0${n}` : `${n}`)
  return `${d.getMonth() + 1}月${d.getDate()}日 ${pad(d.getHours())}:${pad(d.getMinutes())}`
}
