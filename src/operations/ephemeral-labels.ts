import type { DatabaseUser } from '../atlas/api.js'

/** The labels this action puts on the ephemeral users it creates, and how it recognises them. */
export const LABELS = {
  managedBy: 'managed-by',
  expiresAt: 'expires-at',
  githubRun: 'github-run'
} as const
export const MANAGED_BY = 'atlas-x509-action'

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

/** Created by this action in this very run, job and attempt. */
export function isFromRun(user: DatabaseUser, githubRun: string): boolean {
  return isManagedByAction(user) && labelValue(user, LABELS.githubRun) === githubRun
}
