/**
 * The patient's routes, one typed function each. Adding a route: write its function here with
 * the request and reply types from ./types (regenerate them with `npm run types` first).
 */
import { request, Schemas } from './client'
import { idempotencyHeader, newIdempotencyKey } from './idempotency'

export type Patient = Schemas['OwnPatientView']
export type CheckIn = Schemas['CheckInBody']
export type CheckInReply = Schemas['CheckInReply']
export type InboxReply = Schemas['InboxReply']
export type InboxMessage = Schemas['InboxMessage']

export const getMe = () => request<Schemas['MeReply']>('GET', '/me')

export const getConsents = () => request<Schemas['ConsentsReply']>('GET', '/me/consents')

export const putConsents = (body: Schemas['ConsentUpdate']) =>
  request<Schemas['ConsentsReply']>('PUT', '/me/consents', { data: body })

/** A check-in; pass the same key again when retrying the same reading. */
export const postCheckin = (body: CheckIn, key: string = newIdempotencyKey('checkin')) =>
  request<CheckInReply>('POST', '/me/checkins', { data: body, headers: idempotencyHeader(key) })

export const getCheckins = () => request<Schemas['CheckinsReply']>('GET', '/me/checkins')

export const getInbox = () => request<InboxReply>('GET', '/me/inbox')

export const markRead = (messageId: string) =>
  request<Schemas['MarkReadReply']>('POST', '/me/inbox/{message_id}/read', { params: { message_id: messageId } })
