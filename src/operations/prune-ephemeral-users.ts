import { EXTERNAL_DATABASE } from '../atlas/api.js'
import { AtlasUnreachableError } from '../atlas/errors.js'
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

/** Deletes in flight at most: a few, to go faster without tripping Atlas's rate limits. */
export const PARALLEL_DELETES = 4
/** Rows of the step summary's user list at most: the summary has a size limit (1 MiB). */
export const MAX_SUMMARY_ROWS = 50

type DeleteOutcome = 'deleted' | 'gone' | { failure: string }

/**
 * Deletes users a few at a time. A worker stands down while Atlas reports that fewer requests
 * remain in its rate-limit bucket than workers are running (a 429's Retry-After already holds
 * every request back); the first budget error stops every worker, and what is left stays for
 * the next run.
 */
export async function deleteInParallel(
  usernames: readonly string[],
  remaining: () => number | undefined,
  remove: (username: string) => Promise<boolean>
): Promise<{
  outcomes: Map<string, DeleteOutcome>
  /** How many deletes were started. */
  started: number
  stopped?: AtlasUnreachableError
}> {
  const outcomes = new Map<string, DeleteOutcome>()
  let next = 0
  let stopped: AtlasUnreachableError | undefined
  const worker = async (index: number) => {
    while (next < usernames.length && !stopped) {
      const left = remaining()
      if (index > 0 && left !== undefined && left <= PARALLEL_DELETES) return
      const username = usernames[next++]!
      try {
        outcomes.set(username, (await remove(username)) ? 'deleted' : 'gone')
      } catch (error) {
        if (error instanceof AtlasUnreachableError) stopped ??= error
        else outcomes.set(username, { failure: (error as Error).message })
      }
    }
  }
  const workers = Math.min(PARALLEL_DELETES, usernames.length)
  await Promise.all(Array.from({ length: workers }, (_, index) => worker(index)))
  return { outcomes, started: next, stopped }
}

/**
 * Deletes the users this action created whose `expires-at` has passed: what a post step that
 * never ran (a dead runner) left behind. A user without the `managed-by` label is never touched.
 */
export const pruneEphemeralUsers: Operation<{ dryRun: boolean }> = {
  name: 'prune-ephemeral-users',
  parallelRequests: PARALLEL_DELETES,
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

    const expiresAt = new Map(
      expired.map(user => [user.username, labelValue(user, LABELS.expiresAt)])
    )
    const expiredNote = (username: string) => `expired ${expiresAt.get(username)}`
    let outcomes = new Map<string, DeleteOutcome>()
    let started = 0
    let stopped: AtlasUnreachableError | undefined
    if (dryRun) {
      for (const user of expired)
        io.info(`Would delete ${user.username} (${expiredNote(user.username)}).`)
    } else {
      ;({ outcomes, started, stopped } = await deleteInParallel(
        expired.map(user => user.username),
        () => api.rateLimitRemaining,
        username => api.deleteUser(groupId, username)
      ))
    }
    const pruned = dryRun
      ? expired.map(user => user.username)
      : expired.map(user => user.username).filter(name => outcomes.get(name) === 'deleted')
    const failures: string[] = []
    for (const [username, outcome] of outcomes) {
      if (outcome === 'deleted') io.info(`Deleted ${username} (${expiredNote(username)}).`)
      // Counted only when this step deleted it: a user already gone was pruned by someone else.
      else if (outcome === 'gone')
        io.info(`${username} was already gone (deleted by someone else); not counted.`)
      else failures.push(`${username}: ${outcome.failure}`)
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
        ...expired.slice(0, MAX_SUMMARY_ROWS).map((user): [string, string] => {
          const outcome = outcomes.get(user.username)
          const result =
            dryRun || outcome === 'deleted'
              ? ''
              : outcome === 'gone'
                ? '; already gone'
                : '; NOT deleted'
          return [
            user.username,
            `${expiredNote(user.username)}; ${labelValue(user, LABELS.githubRun) ?? 'no github-run label'}${result}`
          ]
        }),
        ...(expired.length > MAX_SUMMARY_ROWS
          ? [
              [
                '…',
                `${expired.length - MAX_SUMMARY_ROWS} more not listed here; the pruned output has every deleted name`
              ] as [string, string]
            ]
          : [])
      ]
    )
    if (stopped) {
      const unanswered = started - outcomes.size
      throw new AtlasUnreachableError(
        `${stopped.message} Deleted ${pruned.length} of ${expired.length} expired user(s) before stopping; ${unanswered} delete(s) got no answer (they may have taken effect); ${expired.length - started} not tried are left for the next run.`
      )
    }
    if (failures.length > 0) {
      throw new Error(
        `Could not delete ${failures.length} expired ephemeral user(s): ${failures.join('; ')}`
      )
    }
  }
}
