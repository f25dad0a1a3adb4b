/**
 * `Idempotency-Key` for POSTs the API answers once (check-ins, redemptions, shares): one key per
 * user action, reused when that same action is retried, so a retry never counts twice.
 */

function randomHex(length: number): string {
  let out = ''
  for (let i = 0; i < length; i += 1) out += Math.floor(Math.random() * 16).toString(16)
  return out
}

/** A new key for one user action (at most 100 characters, as the API allows). */
export function newIdempotencyKey(prefix = 'mp'): string {
  return `${prefix}-${Date.now().toString(36)}-${randomHex(16)}`
}

export function idempotencyHeader(key: string): Record<string, string> {
  return { 'Idempotency-Key': key }
}
