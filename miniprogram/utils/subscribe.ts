/**
 * One-time subscribe messages: asked for at a moment that makes sense (after a check-in, after
 * booking, when setting a reminder), at most once per moment per day, and what the patient
 * accepted is reported to the API (POST /me/subscriptions, one template per call with a fresh
 * wx.login code). A refusal, a closed dialog or a failed report is never shown: nothing nags.
 */
import { request, Schemas } from '../api/client'
import { subscribe } from '../api/messages'

export type Moment = 'checkin' | 'booking' | 'reminder'

/** Which of the clinic's message kinds (GET /me/setup's subscribe_templates) each moment asks for. */
export const MOMENT_KINDS: Record<Moment, string[]> = {
  checkin: ['recall', 'content'],
  booking: ['recall'],
  reminder: ['recall', 'content'],
}

// WeChat takes at most three template ids per request.
const MAX_PER_REQUEST = 3
const TEMPLATES_KEY = 'revisit.subscribeTemplates'
const ASKED_KEY = 'revisit.subscribeAsked'
const TEMPLATES_TTL_MS = 24 * 3600 * 1000

const pad = (n: number) => (n < 10 ? `0${n}` : `${n}`)
const today = (now: Date) => `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`

/** The clinic's subscribe templates, kept for a day (they change when the clinic edits its settings). */
async function templates(now: Date): Promise<Schemas['SubscribeTemplate'][]> {
  const kept = wx.getStorageSync(TEMPLATES_KEY) as { at: number; items: Schemas['SubscribeTemplate'][] } | ''
  if (kept && now.getTime() - kept.at < TEMPLATES_TTL_MS) return kept.items
  const setup = await request<Schemas['SetupReply']>('GET', '/me/setup')
  const items = setup.subscribe_templates || []
  wx.setStorageSync(TEMPLATES_KEY, { at: now.getTime(), items })
  return items
}

/** Fetch the templates ahead of the tap that asks, so the dialog opens at once (errors are ignored). */
export function prepareSubscribe(now: Date = new Date()): Promise<unknown> {
  return templates(now).catch(() => [])
}

function requestSubscribe(ids: string[]): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    wx.requestSubscribeMessage({
      tmplIds: ids,
      success: (res) => resolve(res as unknown as Record<string, string>),
      fail: reject,
    })
  })
}

function loginCode(): Promise<string> {
  return new Promise((resolve, reject) => {
    wx.login({ success: (res) => (res.code ? resolve(res.code) : reject(new Error('no code'))), fail: reject })
  })
}

/** Whether `moment` may still be offered today (the page shows its offer only then). */
export function canAsk(moment: Moment, now: Date = new Date()): boolean {
  const asked = (wx.getStorageSync(ASKED_KEY) || {}) as Record<string, string>
  return asked[moment] !== today(now)
}

/**
 * WeChat shows the dialog only from a tap: call this in the tap handler, before any await.
 * Ask for the templates of `moment` unless that moment was asked today; report each accepted one.
 * Resolves to the template ids the API recorded (empty when nothing was asked or accepted).
 */
export async function askSubscribe(moment: Moment, now: Date = new Date()): Promise<string[]> {
  const day = today(now)
  const asked = (wx.getStorageSync(ASKED_KEY) || {}) as Record<string, string>
  if (!canAsk(moment, now)) return []
  try {
    const kinds = MOMENT_KINDS[moment]
    const ids = (await templates(now)).filter((t) => kinds.includes(t.kind)).map((t) => t.template_id)
      .slice(0, MAX_PER_REQUEST)
    if (!ids.length) return []
    // Counted as asked before the dialog shows: whatever the answer, the patient is not asked again today.
    wx.setStorageSync(ASKED_KEY, { ...asked, [moment]: day })
    const answer = await requestSubscribe(ids)
    const accepted = ids.filter((id) => answer[id] === 'accept')
    const recorded: string[] = []
    for (const id of accepted) {
      await subscribe({ template_id: id, code: await loginCode() })
      recorded.push(id)
    }
    return recorded
  } catch (e) {
    return [] // refused, dialog closed, switched off in settings, or the report failed: say nothing
  }
}
