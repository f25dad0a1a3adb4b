/**
 * The patient's own record and rights (PIPL): change the profile, consent per purpose (grant,
 * withdraw), export everything we hold, delete the account; tasks, badges and perks; the
 * monthly board and the choice to stay off it.
 */
import { request, Schemas } from './client'
import { logout } from './session'
import type { Purpose } from './setup'

export type ProfileUpdate = Schemas['OwnProfileUpdate']
export type ConsentsView = Schemas['ConsentsView']
export type ConsentState = Schemas['ConsentState']
export type ExportReply = Schemas['ExportReply']
export type TasksReply = Schemas['MyTasksReply']
export type TaskView = Schemas['TaskView']
export type PerksReply = Schemas['MyPerksReply']
export type BoardReply = Schemas['LeaderboardReply']
export type ConsentTextsReply = Schemas['ConsentTextsReply']

/** A field left out keeps its value; one sent as null is cleared. */
export const updateProfile = (body: ProfileUpdate) => request<Schemas['MeReply']>('PUT', '/me', { data: body })

/** Grant (or refuse) purposes under the consent version the patient read. */
export const grantConsents = (consents: Partial<Record<Purpose, boolean>>, version: string) =>
  request<Schemas['ConsentsReply']>('PUT', '/me/consents', { data: { consents, consent_version: version } })

/** The consent texts of one published version (every version is kept), as the patient read them then. */
export const getConsentTexts = (version: string) =>
  request<ConsentTextsReply>('GET', '/consent-texts/{version}', { params: { version } })

/** Withdraw the named purposes (all of them when none are named). */
export const withdrawConsents = (purposes: Purpose[]) =>
  request<Schemas['ConsentsReply']>('POST', '/me/consents/withdraw', { data: { purposes } })

/** Everything the clinic holds about the patient. */
export const exportMyData = () => request<ExportReply>('GET', '/me/export')

/** Erase the record and everything linked to it, then forget the session on this phone. */
export async function deleteAccount(): Promise<Schemas['EraseReply']> {
  const reply = await request<Schemas['EraseReply']>('DELETE', '/me')
  logout()
  return reply
}

export const getTasks = () => request<TasksReply>('GET', '/me/tasks')

export const getPerks = () => request<PerksReply>('GET', '/me/perks')

/** The month's board (this month when none is given, `YYYY-MM`), with the patient's own place. */
export const getBoard = (month?: string) =>
  request<BoardReply>('GET', '/leaderboard', { data: month ? { month } : {} })

export const setBoardVisibility = (visible: boolean) =>
  request<Schemas['VisibilityReply']>('PUT', '/me/leaderboard', { data: { visible } })
