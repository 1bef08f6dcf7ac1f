import { EXTERNAL_DATABASE } from '../atlas/api.js'
import { DEFAULTS, parseBoolean } from '../inputs/inputs.js'
import { isManagedByAction, LABELS, labelValue } from './ephemeral-labels.js'
import type { Operation } from './operation.js'

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
    const expired = users.filter(user => {
      if (user.databaseName !== EXTERNAL_DATABASE || !isManagedByAction(user)) return false
      const expiresAt = Date.parse(labelValue(user, LABELS.expiresAt) ?? '')
      return Number.isFinite(expiresAt) && expiresAt <= now
    })
    const managed = users.filter(isManagedByAction).length
    io.info(
      `${users.length} database users in project ${groupId}; ${managed} created by this action; ${expired.length} expired.`
    )

    const pruned: string[] = []
    const failures: string[] = []
    for (const user of expired) {
      if (dryRun) {
        pruned.push(user.username)
        io.info(`Would delete ${user.username} (expired ${labelValue(user, LABELS.expiresAt)}).`)
        continue
      }
      try {
        await api.deleteUser(groupId, user.username)
        pruned.push(user.username)
        io.info(`Deleted ${user.username} (expired ${labelValue(user, LABELS.expiresAt)}).`)
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
          `expired ${labelValue(user, LABELS.expiresAt)}; ${labelValue(user, LABELS.githubRun) ?? 'no github-run label'}${pruned.includes(user.username) ? '' : '; NOT deleted'}`
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
