/**
 * What the home page shows, in one shape. Until GET /me/home exists it is put together from
 * /me, /me/challenges and /me/inbox; when it lands, loadHome becomes one request and the page
 * does not change.
 */
import { getChallenges, getInbox, getMe, InboxMessage } from './me'

export interface HomeView {
  name: string
  balance: number
  /** the longest current streak among the challenges the patient joined (0 when none) */
  streak: number
  unread: number
  /** newest messages first, at most three */
  messages: InboxMessage[]
  revisitDueDate: string | null
}

export async function loadHome(): Promise<HomeView> {
  const [me, challenges, inbox] = await Promise.all([getMe(), getChallenges(), getInbox()])
  const streaks = challenges.items.map((c) => (c.progress ? c.progress.current_streak : 0))
  return {
    name: me.patient.name,
    balance: me.patient.balance,
    streak: streaks.length ? Math.max(...streaks) : 0,
    unread: inbox.unread,
    messages: inbox.items.slice(0, 3),
    revisitDueDate: me.patient.revisit_due_date,
  }
}
