/**
 * Invites, shares, member packages and WeRun steps: one typed function per route, plus the
 * invite code a new patient arrived with (kept on the phone from launch until 建档 sends it).
 */
import { request, Schemas } from './client'
import { idempotencyHeader, newIdempotencyKey } from './idempotency'

export type Referral = Schemas['ReferralReply']
export type ShareReply = Schemas['ShareReply']
export type PackageItem = Schemas['PackageItem']
export type WerunBody = Schemas['WerunBody']
export type WerunReply = Schemas['WerunReply']

export const getReferral = () => request<Referral>('GET', '/me/referral')

/** A share of the invite card; the same share_ref (and key) again when retrying that share. */
export const recordShare = (shareRef: string, key: string = newIdempotencyKey('share')) =>
  request<ShareReply>('POST', '/me/shares', { data: { share_ref: shareRef } as Schemas['ShareBody'], headers: idempotencyHeader(key) })

export const getMyPackages = () => request<Schemas['MyPackagesReply']>('GET', '/me/packages')

/** The last week's steps as wx.getWeRunData gave them, with the fresh wx.login code that opens them. */
export const postWerun = (body: WerunBody, key: string = newIdempotencyKey('werun')) =>
  request<WerunReply>('POST', '/me/checkins/werun', { data: body, headers: idempotencyHeader(key) })

// ---- the invite code a friend's share brought (launch keeps it, 建档 sends it) ----

const INVITE_KEY = 'revisit.invite'
const INVITE_CODE = /^[A-Za-z0-9]{4,16}$/

/** Keep a well-formed invite code from the launch query; anything else is ignored. */
export function keepInviteCode(code: unknown): boolean {
  const value = typeof code === 'string' ? decodeURIComponent(code).trim() : ''
  if (!INVITE_CODE.test(value)) return false
  wx.setStorageSync(INVITE_KEY, value)
  return true
}

export function keptInviteCode(): string | null {
  try {
    const value = wx.getStorageSync(INVITE_KEY)
    return typeof value === 'string' && INVITE_CODE.test(value) ? value : null
  } catch (e) {
    return null
  }
}

export function forgetInviteCode(): void {
  wx.removeStorageSync(INVITE_KEY)
}

/** The path a share opens: the launch page, which keeps the code for 建档. */
export function invitePath(code: string): string {
  return `/pages/launch/index?invite=${encodeURIComponent(code)}`
}
