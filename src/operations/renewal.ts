import type { CertificateRecord } from '../atlas/api.js'
import { parseIsoUtc } from '../iso-date.js'

const DAY_MS = 86_400_000

/** Whether create-certificate with `renew-within-days` should issue now. */
export type RenewalDecision =
  { due: true; reason: string } | { due: false; latestExpiry: string; dueAt: string }

/**
 * Due unless the user's latest unexpired certificate expires more than `renewWithinDays` days from
 * now; then renewal becomes due `renewWithinDays` days before that expiry.
 */
export function decideRenewal(
  records: readonly CertificateRecord[],
  renewWithinDays: number,
  now: number
): RenewalDecision {
  // Only a strict ISO 8601 UTC notAfter counts: a server's "9999" must not make renewal never due.
  const expiries = records
    .map(record => parseIsoUtc(record.notAfter))
    .filter((time): time is number => time !== undefined && time > now)
  if (expiries.length === 0) return { due: true, reason: 'the user has no unexpired certificate' }
  const latest = Math.max(...expiries)
  const dueAt = latest - renewWithinDays * DAY_MS
  if (now >= dueAt) {
    return {
      due: true,
      reason: `the latest certificate expires at ${new Date(latest).toISOString()}, within ${renewWithinDays} days`
    }
  }
  return {
    due: false,
    latestExpiry: new Date(latest).toISOString(),
    dueAt: new Date(dueAt).toISOString()
  }
}
