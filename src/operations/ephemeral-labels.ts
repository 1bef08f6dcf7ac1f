import { EXTERNAL_DATABASE, type DatabaseUser } from '../atlas/api.js'
import { parseIsoUtc } from '../iso-date.js'

/** The labels this action puts on the ephemeral users it creates, and how it recognises them. */
export const LABELS = {
  managedBy: 'managed-by',
  expiresAt: 'expires-at',
  githubRun: 'github-run',
  /** A random value per step: tells this step's user from any other, even of the same run and job. */
  stepNonce: 'step-nonce'
} as const
export const MANAGED_BY = 'atlas-x509-action'
/**
 * The `x509Type`s of the `$external` users this action creates: the only kinds prune may delete,
 * whatever labels another user carries.
 */
export const EPHEMERAL_X509_TYPES: ReadonlySet<string> = new Set(['MANAGED', 'CUSTOMER'])

export function labelValue(user: DatabaseUser, key: string): string | undefined {
  const labels: unknown = user.labels
  if (!Array.isArray(labels)) return undefined
  const label: unknown = labels.find(l => (l as { key?: unknown } | null)?.key === key)
  const value = (label as { value?: unknown } | undefined)?.value
  return typeof value === 'string' ? value : undefined
}

/** Created by this action (whatever run): the only users prune may ever touch. */
export function isManagedByAction(user: DatabaseUser): boolean {
  return labelValue(user, LABELS.managedBy) === MANAGED_BY
}

/** One of the users this action creates: its label, `$external`, and a kind it creates. */
export function isEphemeralUser(user: DatabaseUser): boolean {
  return (
    isManagedByAction(user) &&
    user.databaseName === EXTERNAL_DATABASE &&
    EPHEMERAL_X509_TYPES.has(user.x509Type ?? '')
  )
}

/**
 * When an ephemeral user expires by its `expires-at` label; undefined unless the label is a strict
 * ISO 8601 UTC date (anything else is never read as past).
 */
export function ephemeralExpiry(user: DatabaseUser): number | undefined {
  return parseIsoUtc(labelValue(user, LABELS.expiresAt))
}

/**
 * A user prune deletes as expired: an ephemeral user whose `expires-at` is at or before `now`.
 * The watch skips the same users, so the two never disagree.
 */
export function isExpiredEphemeralUser(user: DatabaseUser, now: number): boolean {
  if (!isEphemeralUser(user)) return false
  const expiry = ephemeralExpiry(user)
  return expiry !== undefined && expiry <= now
}

/** Created by this action in this very step: run, job and attempt, and the step's nonce. */
export function isFromStep(user: DatabaseUser, githubRun: string, stepNonce: string): boolean {
  return (
    stepNonce !== '' &&
    isManagedByAction(user) &&
    labelValue(user, LABELS.githubRun) === githubRun &&
    labelValue(user, LABELS.stepNonce) === stepNonce
  )
}
