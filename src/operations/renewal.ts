import type { CertificateRecord } from '../atlas/api.js'

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
  const expiries = records
    .map(record => Date.parse(record.notAfter ?? ''))
    .filter(time => Number.isFinite(time) && time > now)
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
