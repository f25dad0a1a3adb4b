/**
 * What registration and the consent pages show: the clinic, the conditions to choose from, each
 * consent purpose with its text and the version to send back, and the privacy policy. It comes
 * from GET /me/setup (visitors and patients may read it) and is turned into the shape the pages use.
 */
import { request, Schemas } from './client'

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
  /** `version` is the consent version: send it back as consent_version */
  policy: { version: string; title: string; sections: PolicySection[] }
}

const HEADING = /^[一二三四五六七八九十]+、/

/**
 * The policy's plain text as titled sections: blocks are separated by blank lines, a block whose
 * first line starts with 一、二、… is a section with that heading, a lone first line is the title.
 */
export function policySections(text: string): { title: string; sections: PolicySection[] } {
  const blocks = text.split(/\n\s*\n/).map((b) => b.trim()).filter(Boolean)
  let title = '隐私政策'
  const sections: PolicySection[] = []
  blocks.forEach((block, i) => {
    const lines = block.split('\n').map((l) => l.trim())
    if (i === 0 && lines.length === 1 && lines[0].length <= 20 && !/[。，]/.test(lines[0])) {
      title = lines[0]
    } else if (HEADING.test(lines[0])) {
      sections.push({ heading: lines[0], body: lines.slice(1).join('\n') })
    } else {
      sections.push({ heading: '', body: lines.join('\n') })
    }
  })
  return { title, sections }
}

export function setupFromReply(reply: Schemas['SetupReply']): Setup {
  const { title, sections } = policySections(reply.privacy_policy.text || '')
  return {
    clinicName: reply.clinic.name,
    conditions: reply.conditions.map((c) => ({ code: c.condition, label: c.label })),
    purposes: reply.consent.purposes.map((p) => ({ ...p, purpose: p.purpose as Purpose })),
    policy: { version: reply.consent.version, title, sections },
  }
}

/** Where the setup comes from (tests of other pages may swap `load`). */
export const setupSource = {
  load: async (): Promise<Setup> => setupFromReply(await request<Schemas['SetupReply']>('GET', '/me/setup')),
}

export function loadSetup(): Promise<Setup> {
  return setupSource.load()
}
