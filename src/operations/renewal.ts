import type { CertificateRecord } from '../atlas/api.js'
import type { SecretState } from '../github/secret-store.js'
import { parseIsoUtc } from '../iso-date.js'

const DAY_MS = 86_400_000

/**
 * GitHub stamps `updated_at` and Atlas `createdAt`, each by its own clock and to the second: a
 * secret written right after minting may look a little older than its certificate. Without this
 * allowance a skew of a second would make every run issue again.
 */
export const CLOCK_SKEW_ALLOWANCE_MS = 60_000

/** Output `renewal-reason`: why create-certificate issued, or did not. */
export type RenewalReason = 'expiring' | 'secret-missing' | 'secret-stale' | 'not-due' | 'always'

/** Whether create-certificate with `renew-within-days` should issue now. */
export type RenewalDecision =
  | { due: true; reason: 'expiring' | 'secret-missing' | 'secret-stale'; detail: string }
  | { due: false; reason: 'not-due'; latestExpiry: string; dueAt: string }

/**
 * Due when the secret (if there is one to keep) does not hold the latest certificate: it is
 * missing, or was last written before that certificate was created, as when a run minted it and
 * then failed to store it. Otherwise due once the latest unexpired certificate expires within
 * `renewWithinDays` days. The secret comes first: it is what the run repairs.
 */
export function decideRenewal(
  records: readonly CertificateRecord[],
  renewWithinDays: number,
  now: number,
  secret?: SecretState
): RenewalDecision {
  // Only a strict ISO 8601 UTC notAfter counts: a server's "9999" must not make renewal never due.
  const unexpired = records
    .map(record => ({ record, expiry: parseIsoUtc(record.notAfter) }))
    .filter(
      (entry): entry is { record: CertificateRecord; expiry: number } =>
        entry.expiry !== undefined && entry.expiry > now
    )
  const latest = unexpired.reduce<(typeof unexpired)[number] | undefined>(
    (best, entry) => (best === undefined || entry.expiry > best.expiry ? entry : best),
    undefined
  )
  if (secret && !secret.exists) {
    return { due: true, reason: 'secret-missing', detail: 'the GitHub secret does not exist' }
  }
  if (secret?.exists && latest) {
    const updatedAt = parseIsoUtc(secret.updatedAt)
    const createdAt = parseIsoUtc(latest.record.createdAt)
    // A date that cannot be read cannot show that the secret holds the certificate.
    if (
      updatedAt === undefined ||
      createdAt === undefined ||
      updatedAt < createdAt - CLOCK_SKEW_ALLOWANCE_MS
    ) {
      return {
        due: true,
        reason: 'secret-stale',
        detail: `the GitHub secret was last updated at ${secret.updatedAt || 'an unknown time'}, before the latest certificate was created (${latest.record.createdAt ?? 'at an unknown time'}): that certificate never reached it`
      }
    }
  }
  if (!latest) {
    return { due: true, reason: 'expiring', detail: 'the user has no unexpired certificate' }
  }
  const latestExpiry = new Date(latest.expiry).toISOString()
  const dueAt = latest.expiry - renewWithinDays * DAY_MS
  if (now >= dueAt) {
    return {
      due: true,
      reason: 'expiring',
      detail: `the latest certificate expires at ${latestExpiry}, within ${renewWithinDays} days`
    }
  }
  return { due: false, reason: 'not-due', latestExpiry, dueAt: new Date(dueAt).toISOString() }
}
