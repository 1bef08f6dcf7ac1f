import { EXTERNAL_DATABASE } from '../atlas/api.js'
import { DEFAULTS, parseBoolean } from '../inputs/inputs.js'
import { parseIsoUtc } from '../iso-date.js'
import { isManagedByAction, LABELS, labelValue, MANAGED_BY } from './ephemeral-labels.js'
import type { Operation } from './operation.js'

/** Up to ten names, for a message that must stay short. */
const someNames = (users: ReadonlyArray<{ username: string }>) =>
  users
    .slice(0, 10)
    .map(user => user.username)
    .join(', ') + (users.length > 10 ? ', …' : '')

/**
 * Deletes the users this action created whose `expires-at` has passed: what a post step that
 * never ran (a dead runner) left behind. A user without the `managed-by` label is never touched.
 */
export const pruneEphemeralUsers: Operation<{ dryRun: boolean }> = {
  name: 'prune-ephemeral-users',
  parse: read => ({ dryRun: parseBoolean(read, 'dry-run', DEFAULTS['dry-run']) }),
  async run({ dryRun }, ctx) {
    const { api, groupId, io } = ctx
    const users = await api.listUsers(groupId)
    const now = ctx.clock.now()
    const ours = users.filter(
      user => user.databaseName === EXTERNAL_DATABASE && isManagedByAction(user)
    )
    // Only a strict ISO 8601 UTC label is a date: anything else is left alone, never read as past.
    const undated = ours.filter(
      user => parseIsoUtc(labelValue(user, LABELS.expiresAt)) === undefined
    )
    const expired = ours.filter(user => {
      const expiresAt = parseIsoUtc(labelValue(user, LABELS.expiresAt))
      return expiresAt !== undefined && expiresAt <= now
    })
    if (undated.length > 0) {
      io.warning(
        `${undated.length} user(s) labelled ${LABELS.managedBy}=${MANAGED_BY} have an expires-at label that is not an ISO 8601 UTC date (YYYY-MM-DDTHH:MM:SS.sssZ) and are left alone: ${someNames(undated)}. Delete them with delete-user once they are no longer needed.`,
        'Ephemeral users left alone'
      )
    }
    const managed = users.filter(isManagedByAction).length
    io.info(
      `${users.length} database users in project ${groupId}; ${managed} created by this action; ${expired.length} expired.`
    )

    const pruned: string[] = []
    const gone: string[] = []
    const failures: string[] = []
    for (const user of expired) {
      if (dryRun) {
        pruned.push(user.username)
        io.info(`Would delete ${user.username} (expired ${labelValue(user, LABELS.expiresAt)}).`)
        continue
      }
      try {
        // Counted only when this step deleted it: a user already gone was pruned by someone else.
        if (await api.deleteUser(groupId, user.username)) {
          pruned.push(user.username)
          io.info(`Deleted ${user.username} (expired ${labelValue(user, LABELS.expiresAt)}).`)
        } else {
          gone.push(user.username)
          io.info(`${user.username} was already gone (deleted by someone else); not counted.`)
        }
      } catch (error) {
        failures.push(`${user.username}: ${(error as Error).message}`)
      }
    }
    io.setOutput('pruned', JSON.stringify(pruned))
    io.setOutput('count', String(pruned.length))
    await io.summary(
      `Atlas ephemeral users ${dryRun ? 'that would be pruned (dry run)' : 'pruned'}`,
      [
        ['Operation', `prune-ephemeral-users${dryRun ? ' (dry run)' : ''}`],
        ['Project', groupId],
        ['Users listed', String(users.length)],
        [dryRun ? 'Would delete' : 'Deleted', String(pruned.length)],
        ...expired.map((user): [string, string] => [
          user.username,
          `expired ${labelValue(user, LABELS.expiresAt)}; ${labelValue(user, LABELS.githubRun) ?? 'no github-run label'}${pruned.includes(user.username) ? '' : gone.includes(user.username) ? '; already gone' : '; NOT deleted'}`
        ])
      ]
    )
    if (failures.length > 0) {
      throw new Error(
        `Could not delete ${failures.length} expired ephemeral user(s): ${failures.join('; ')}`
      )
    }
  }
}
