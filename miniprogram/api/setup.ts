/**
 * What registration shows (GET /me/setup): the clinic, the conditions to choose from, each
 * consent purpose with its text and the consent version to send back, and the privacy policy
 * cut into sections for the privacy page.
 */
import { request, Schemas } from './client'
import { keepRegisteredSession } from './session'

export type SetupReply = Schemas['SetupReply']

export type Purpose = 'service' | 'marketing' | 'analytics'

export interface ConsentPurpose {
  purpose: Purpose
  title: string
  text: string
  required: boolean
}

export interface PolicySection {
  heading: string
  body: string
}

export interface Setup {
  clinicName: string
  conditions: { code: string; label: string }[]
  purposes: ConsentPurpose[]
  /** sent back as consent_version when registering */
  consentVersion: string
  policy: { version: string; title: string; sections: PolicySection[] }
  subscribeTemplates: Schemas['SubscribeTemplate'][]
}

// "一、我们收集的信息" / "1. " / "（一）": a heading starts a block with a numbering of its own
const HEADING = /^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）)/

/** The policy text as the API keeps it (title line, blank-line blocks) -> title and sections. */
export function policySections(text: string): { title: string; sections: PolicySection[] } {
  const blocks = text.replace(/\r\n/g, '\n').split(/\n\s*\n/).map((b) => b.trim()).filter(Boolean)
  let title = '隐私政策'
  if (blocks.length && !blocks[0].includes('\n') && !HEADING.test(blocks[0]) && blocks[0].length <= 30) {
    title = blocks.shift() as string
  }
  const sections = blocks.map((block) => {
    const [first, ...rest] = block.split('\n')
    return HEADING.test(first) && rest.length ? { heading: first.trim(), body: rest.join('\n').trim() }
      : { heading: '', body: block }
  })
  return { title, sections }
}

export function toSetup(reply: SetupReply): Setup {
  const policy = policySections(reply.privacy_policy.text)
  return {
    clinicName: reply.clinic.name,
    conditions: reply.conditions.map((c) => ({ code: c.condition, label: c.label })),
    purposes: reply.consent.purposes.map((p) => ({ purpose: p.purpose as Purpose, title: p.title, text: p.text, required: p.required })),
    consentVersion: reply.consent.version,
    policy: { version: reply.privacy_policy.version, title: policy.title, sections: policy.sections },
    subscribeTemplates: reply.subscribe_templates,
  }
}

export async function loadSetup(): Promise<Setup> {
  return toSetup(await request<SetupReply>('GET', '/me/setup'))
}

export type Registration = Schemas['OwnRegistration']

/**
 * 建档 with either the typed phone or the code of WeChat's getPhoneNumber button (exactly one),
 * the invite code the patient arrived with, and consent per purpose; keeps the patient tokens.
 */
export async function registerPatient(form: Registration): Promise<Schemas['RegisterReply']> {
  const reply = await request<Schemas['RegisterReply']>('POST', '/me/register', { data: form })
  keepRegisteredSession(reply)
  return reply
}

// ---- The clinic's check-in types (GET /me/setup `checkin_types`): what the check-in page offers
// and the words a challenge on one of them reads with. The last list read is kept on the phone, so
// the pages still have it offline; null means it was never read.

export type CheckinTypeSetting = Schemas['SetupCheckinType']

const CHECKIN_TYPES_KEY = 'revisit.checkinTypes'

interface KeptCheckinTypes {
  at: number
  items: CheckinTypeSetting[]
}

/** The check-in types last read from GET /me/setup (with when they were read), or null. */
export function keptCheckinTypes(): KeptCheckinTypes | null {
  const kept = wx.getStorageSync(CHECKIN_TYPES_KEY) as KeptCheckinTypes | ''
  return kept && Array.isArray(kept.items) ? kept : null
}

/**
 * The clinic's active check-in types. A kept list younger than `maxAgeMs` is answered without a
 * request; otherwise GET /me/setup is read (and kept). When that fails (offline), the kept list of
 * any age, else null: the caller then offers what it knows without the clinic's settings.
 */
export async function loadCheckinTypes(maxAgeMs = 0, now: number = Date.now()): Promise<CheckinTypeSetting[] | null> {
  const kept = keptCheckinTypes()
  if (kept && maxAgeMs > 0 && now - kept.at < maxAgeMs) return kept.items
  try {
    const reply = await request<SetupReply>('GET', '/me/setup')
    const items = reply.checkin_types || []
    wx.setStorageSync(CHECKIN_TYPES_KEY, { at: now, items })
    return items
  } catch (e) {
    return kept ? kept.items : null
  }
}

/** code -> the clinic's Chinese label, from a list of check-in types (empty when there is none). */
export function checkinLabels(types: CheckinTypeSetting[] | null): Record<string, string> {
  const labels: Record<string, string> = {}
  for (const t of types || []) labels[t.code] = t.label
  return labels
}
