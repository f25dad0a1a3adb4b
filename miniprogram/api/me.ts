/**
 * The patient's routes, one typed function each. Adding a route: write its function here with
 * the request and reply types from ./types (regenerate them with `npm run types` first).
 */
import { request, Schemas } from './client'
import { idempotencyHeader, newIdempotencyKey } from './idempotency'
import { keepRegisteredSession } from './session'

export type Patient = Schemas['OwnPatientView']
export type RegisterForm = Schemas['PatientRecord']
export type CheckIn = Schemas['CheckInBody']
export type CheckInReply = Schemas['CheckInReply']
export type InboxReply = Schemas['InboxReply']
export type InboxMessage = Schemas['InboxMessage']

export const getMe = () => request<Schemas['MeReply']>('GET', '/me')

/** 建档; keeps the patient tokens the reply carries. */
export async function register(form: RegisterForm): Promise<Schemas['RegisterReply']> {
  const reply = await request<Schemas['RegisterReply']>('POST', '/me/register', { data: form })
  keepRegisteredSession(reply)
  return reply
}

export const getConsents = () => request<Schemas['ConsentsReply']>('GET', '/me/consents')

export const putConsents = (body: Schemas['ConsentUpdate']) =>
  request<Schemas['ConsentsReply']>('PUT', '/me/consents', { data: body })

/** A check-in; pass the same key again when retrying the same reading. */
export const postCheckin = (body: CheckIn, key: string = newIdempotencyKey('checkin')) =>
  request<CheckInReply>('POST', '/me/checkins', { data: body, headers: idempotencyHeader(key) })

export const getCheckins = () => request<Schemas['CheckinsReply']>('GET', '/me/checkins')

export const getPoints = () => request<Schemas['MyPointsReply']>('GET', '/me/points')

export const getChallenges = () => request<Schemas['MyChallengesReply']>('GET', '/me/challenges')

export const getInbox = () => request<InboxReply>('GET', '/me/inbox')

export const markRead = (messageId: string) =>
  request<Schemas['MarkReadReply']>('POST', '/me/inbox/{message_id}/read', { params: { message_id: messageId } })
