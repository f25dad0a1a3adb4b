/**
 * Points and rewards for the patient: the balance with its paged ledger, the rewards catalogue,
 * redeeming a reward (answered once per Idempotency-Key) and the patient's redemptions with
 * the codes the desk types.
 */
import { request, Schemas } from './client'
import { idempotencyHeader } from './idempotency'

export type PointsPage = Schemas['MyPointsReply']
export type PointsEntry = Schemas['LedgerEntry']
export type ExpiringLot = Schemas['ExpiringPoints']
export type Reward = Schemas['RewardItem']
export type RedeemReply = Schemas['RedeemReply']
export type MyRedemption = Schemas['MyRedemption']
export type RedemptionsPage = Schemas['MyRedemptionsReply']

/** How many ledger entries or redemptions one page asks for. */
export const PAGE_SIZE = 20

const pageQuery = (cursor?: string) => (cursor ? { limit: PAGE_SIZE, cursor } : { limit: PAGE_SIZE })

/** Balance, tier, expiring lots and one page of the ledger (newest first); pass `next_cursor` for more. */
export const getPoints = (cursor?: string) =>
  request<PointsPage>('GET', '/me/points', { data: pageQuery(cursor) })

/** The clinic's rewards catalogue (active rewards only). */
export const getRewards = () => request<Schemas['RewardsReply']>('GET', '/rewards')

/**
 * Redeem a reward. `key` is the Idempotency-Key of this one redemption: the page keeps it and
 * sends it again when the patient retries after a failure, so a retry never spends twice.
 */
export const redeemReward = (rewardId: string, key: string) =>
  request<RedeemReply>('POST', '/me/redemptions', { data: { reward_id: rewardId }, headers: idempotencyHeader(key) })

/** The patient's redemptions, newest first, each with its desk code; pass `next_cursor` for more. */
export const getMyRedemptions = (cursor?: string) =>
  request<RedemptionsPage>('GET', '/me/redemptions', { data: pageQuery(cursor) })
