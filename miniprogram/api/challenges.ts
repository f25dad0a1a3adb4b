/**
 * Streak challenges and the vouchers they win (scenario S2, the glucose guard): the patient's
 * challenges with their progress, joining one, and the vouchers shown at the desk.
 */
import { request, Schemas } from './client'
import { idempotencyHeader, newIdempotencyKey } from './idempotency'

export type ChallengeItem = Schemas['ChallengeItem']
export type ChallengeReward = Schemas['ChallengeRewardTerms']
export type StreakProgress = Schemas['StreakProgress']
export type StreakRewardEarned = Schemas['StreakRewardEarned']
export type VoucherItem = Schemas['VoucherItem']

/** Open challenges the patient may join and every challenge they joined, with progress. */
export const getMyChallenges = () => request<Schemas['MyChallengesReply']>('GET', '/me/challenges')

/**
 * Join a challenge. The API answers 201 for a new enrolment and 200 with the same enrolment when
 * the patient had already joined, so a retried tap never joins twice; the page still keeps one key
 * per tap until it succeeds, as for every write.
 */
export const joinChallenge = (challengeId: string, key: string = newIdempotencyKey('join')) =>
  request<Schemas['JoinReply']>('POST', '/me/challenges/{challenge_id}/join',
    { params: { challenge_id: challengeId }, headers: idempotencyHeader(key) })

/** The patient's vouchers, newest first, each with its desk code, validity and status. */
export const getMyVouchers = () => request<Schemas['MyVouchersReply']>('GET', '/me/vouchers')
