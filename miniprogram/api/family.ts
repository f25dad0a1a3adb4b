/**
 * Households (家庭): the patient's own household with its members and shared family card, invites
 * and joining with consent, who may act as the patient's carer, registering a child, checking in
 * for a dependant and reading their upcoming check-ups. The routes are those of the households API
 * (issue 12, point 6); their types are written here from that document until docs/openapi.json
 * carries them, then they become `Schemas[...]` like the other modules.
 */
import { request, Route, Schemas } from './client'
import { idempotencyHeader, newIdempotencyKey } from './idempotency'

/** How a member relates to the patient looking at the household. */
export type Relation = 'self' | 'spouse' | 'child' | 'parent' | 'grandparent' | 'other'

export interface FamilyMember {
  /** the member's patient id: opaque, never shown */
  member_id: string
  /** masked by the API (王*) */
  name: string
  relation: Relation | string
  minor: boolean
  /** the signed-in patient themselves */
  me: boolean
  i_care_for: boolean
  cares_for_me: boolean
  /** whether the signed-in patient may check in for this member */
  may_checkin: boolean
  /** whether the signed-in patient receives this member's reminders */
  gets_reminders: boolean
  /** what the signed-in patient lets this member do (PUT /me/family/carers): check in for them */
  checks_in_for_me: boolean
  /** ... and receive their reminders */
  gets_my_reminders: boolean
}

export interface FamilyCardUse {
  date: string
  name: string
}

/** The household's shared family cleaning card. */
export interface FamilyCard {
  uses_total: number
  uses_left: number
  valid_until: string | null
  used: FamilyCardUse[]
}

export interface FamilyReply {
  family_id: string | null
  members: FamilyMember[]
  card: FamilyCard | null
}

export interface FamilyInvite {
  code: string
  expires_at: string
  /** "packages/family/join?code=…" */
  path: string
}

export interface JoinReply {
  family_id: string
  members: FamilyMember[]
}

/** What the patient lets one adult member do for them; both false ends the care. */
export interface CarerChoice {
  checkins: boolean
  reminders: boolean
}

export interface DependantBody {
  name: string
  birth_date: string
  sex: 'F' | 'M'
  relation: 'child'
}

export interface MemberReminder {
  title: string
  due_date: string
  kind: string
}

export interface MemberRemindersReply {
  items: MemberReminder[]
}

export type CheckIn = Schemas['CheckInBody']
export type CheckInReply = Schemas['CheckInReply']

/** The household routes, as the households API names them. */
type FamilyRoute =
  | '/me/family'
  | '/me/family/invites'
  | '/me/family/join'
  | '/me/family/carers/{member_id}'
  | '/me/family/dependants'
  | '/me/family/{member_id}/checkins'
  | '/me/family/{member_id}/reminders'

// docs/openapi.json does not list the household routes yet: the route is named here instead
const route = (path: FamilyRoute) => path as unknown as Route

/** The patient's household: members, and the shared card (`family_id` null when in none). */
export const getFamily = () => request<FamilyReply>('GET', route('/me/family'))

/**
 * A one-time invite (24 h) for a family member who relates to the patient as `relation`. The route
 * replays no Idempotency-Key: a retry makes another code (an unused one expires by itself).
 */
export const createFamilyInvite = (relation: Relation) =>
  request<FamilyInvite>('POST', route('/me/family/invites'), { data: { relation } })

/** Join the household of the invite's `code`; the patient has agreed to what joining shares. */
export const joinFamily = (code: string) =>
  request<JoinReply>('POST', route('/me/family/join'), { data: { code, consent: true } })

/** Let `memberId` check in for the patient and/or receive their reminders; answers the household's members. */
export async function setCarer(memberId: string, choice: CarerChoice): Promise<FamilyMember[]> {
  const reply = await request<{ members: FamilyMember[] }>('PUT', route('/me/family/carers/{member_id}'), {
    params: { member_id: memberId }, data: choice,
  })
  return reply.members || []
}

/** Register a child (an infant too) as a patient of the clinic in the household, cared for by the patient. */
export const addDependant = (body: DependantBody, key: string = newIdempotencyKey('dependant')) =>
  request<FamilyMember>('POST', route('/me/family/dependants'), { data: body, headers: idempotencyHeader(key) })

/** A check-in recorded on a dependant's record, by the patient (one key per reading, as POST /me/checkins). */
export const checkinForMember = (memberId: string, body: CheckIn, key: string = newIdempotencyKey('family-checkin')) =>
  request<CheckInReply>('POST', route('/me/family/{member_id}/checkins'), {
    params: { member_id: memberId }, data: body, headers: idempotencyHeader(key),
  })

/** A member's upcoming check-ups and the reminders the patient receives for them. */
export const getMemberReminders = (memberId: string) =>
  request<MemberRemindersReply>('GET', route('/me/family/{member_id}/reminders'), { params: { member_id: memberId } })

/** Leave the household (refused with `has_dependants` while caring for a minor in it); answers it empty. */
export const leaveFamily = () => request<FamilyReply>('DELETE', route('/me/family'))

// ---- the invite code: opened from a share or a scan, kept until it is used ----

/** The page an invite opens (the API's `path` names it too). */
export const FAMILY_JOIN_PAGE = 'packages/family/join'

const CODE = /^[A-Za-z0-9][A-Za-z0-9._-]{3,63}$/
const KEPT = 'revisit.familyCode'

/** A typed or scanned code without the spaces it was shown with ("ABCD EFGH" -> "ABCDEFGH"). */
function cleanCode(value: string): string | null {
  const code = value.replace(/\s+/g, '')
  return CODE.test(code) ? code : null
}

/**
 * The invite code in a scan's text or a query value: the code itself, or a path or link holding
 * `code=`; null when there is none.
 */
export function familyCodeFrom(scanned: string | undefined | null): string | null {
  let value = (scanned || '').trim()
  try {
    value = decodeURIComponent(value)
  } catch (e) {
    return null
  }
  const found = /[?&]code=([^&#]+)/.exec(value)
  if (found) {
    try {
      return cleanCode(decodeURIComponent(found[1]))
    } catch (e) {
      return null
    }
  }
  if (/[/?=&:]/.test(value)) return null
  return cleanCode(value)
}

/** Keep an invite a patient could not use yet (not registered): 我的家庭 offers it again. */
export function keepFamilyCode(code: string): void {
  wx.setStorageSync(KEPT, code)
}

export function keptFamilyCode(): string | null {
  const value = wx.getStorageSync(KEPT)
  return typeof value === 'string' && value ? value : null
}

export function forgetFamilyCode(): void {
  wx.removeStorageSync(KEPT)
}
