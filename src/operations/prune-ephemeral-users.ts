import { EXTERNAL_DATABASE, MAX_LIST_ITEMS, type DatabaseUser } from '../atlas/api.js'
import { AtlasApiError, AtlasUnreachableError } from '../atlas/errors.js'
import { DEFAULTS, parseBoolean, parseInteger } from '../inputs/inputs.js'
import { parseIsoUtc } from '../iso-date.js'
import { TitledError } from '../errors.js'
import {
  EPHEMERAL_X509_TYPES,
  isManagedByAction,
  LABELS,
  labelValue,
  MANAGED_BY
} from './ephemeral-labels.js'
import type { Operation } from './operation.js'
import {
  listUsersOfProjects,
  PARALLEL_REQUESTS,
  projectsInScope,
  requestLimiter
} from './projects.js'
import type { RequestLimiter } from '../atlas/limiter.js'

/** A database user and its project. */
interface ProjectUser {
  groupId: string
  user: DatabaseUser
}

/** Up to ten names, for a message that must stay short. */
const someNames = (users: ReadonlyArray<{ username: string }>) =>
  users
    .slice(0, 10)
    .map(user => user.username)
    .join(', ') + (users.length > 10 ? ', …' : '')

/** Deletes in flight at most: the step's bound on requests in flight. */
export const PARALLEL_DELETES = PARALLEL_REQUESTS
/** Rows of the step summary's user list at most: the summary has a size limit (1 MiB). */
export const MAX_SUMMARY_ROWS = 50

type DeleteOutcome = 'deleted' | 'gone' | { failure: string }

/** What ends every delete of the run: no answer within the budget, or Atlas's rate limit after every retry. */
export type DeleteStop = AtlasUnreachableError | AtlasApiError

const isStop = (error: unknown): error is DeleteStop =>
  error instanceof AtlasUnreachableError || (error instanceof AtlasApiError && error.status === 429)

/**
 * Deletes users through the step's limiter (a few at a time, one at a time while Atlas's
 * rate-limit bucket runs low; a 429's Retry-After already holds every request back). The first
 * budget error, or a 429 left after every retry, stops every delete not yet sent, and what is left
 * stays for the next run.
 */
export async function deleteInParallel<T>(
  items: readonly T[],
  limiter: RequestLimiter,
  remove: (item: T) => Promise<boolean>
): Promise<{
  outcomes: Map<T, DeleteOutcome>
  /** How many deletes were started. */
  started: number
  stopped?: DeleteStop
}> {
  const outcomes = new Map<T, DeleteOutcome>()
  let started = 0
  let stopped: DeleteStop | undefined
  const removeOne = async (item: T) => {
    if (stopped) return
    started += 1
    try {
      outcomes.set(item, (await remove(item)) ? 'deleted' : 'gone')
    } catch (error) {
      if (isStop(error)) stopped ??= error
      else {
        const message = error instanceof Error ? error.message : String(error)
        // A long Atlas detail per user would make the one error unreadable.
        outcomes.set(item, { failure: message.slice(0, 300) })
      }
    }
  }
  await Promise.all(items.map(item => limiter.run(() => removeOne(item))))
  return { outcomes, started, stopped }
}

/** Failed deletes named in the error at most. */
const MAX_NAMED_FAILURES = 10

/**
 * Deletes the users this action created whose `expires-at` has passed: what a post step that
 * never ran (a dead runner) left behind, the longest expired first, at most `prune-limit` per run.
 * Only `$external` users of a type this action creates and with its `managed-by` label are ever
 * touched.
 */
export const pruneEphemeralUsers: Operation<{ dryRun: boolean; limit: number }> = {
  name: 'prune-ephemeral-users',
  parallelRequests: PARALLEL_DELETES,
  orgWide: () => true,
  parse: read => ({
    dryRun: parseBoolean(read, 'dry-run', DEFAULTS['dry-run']),
    limit: parseInteger(read, 'prune-limit', DEFAULTS['prune-limit'], 1, MAX_LIST_ITEMS)
  }),
  async run({ dryRun, limit }, ctx) {
    const { api, io } = ctx
    const orgWide = ctx.orgId !== undefined
    const limiter = requestLimiter(ctx)
    const projects = await projectsInScope(ctx, limiter)
    const { listed, skipped } = await listUsersOfProjects(ctx, limiter, projects)
    const users: ProjectUser[] = listed.flatMap(({ project, users }) =>
      users.map(user => ({ groupId: project.id, user }))
    )
    // In an organisation step a user is named with its project: names repeat across projects.
    const nameOf = (entry: ProjectUser) =>
      orgWide ? `${entry.user.username} (project ${entry.groupId})` : entry.user.username
    const named = (entries: readonly ProjectUser[]) =>
      someNames(entries.map(entry => ({ username: nameOf(entry) })))
    const now = ctx.clock.now()
    const labelled = users.filter(entry => isManagedByAction(entry.user))
    const ours = labelled.filter(
      ({ user }) =>
        user.databaseName === EXTERNAL_DATABASE && EPHEMERAL_X509_TYPES.has(user.x509Type ?? '')
    )
    // Our label on another kind of user (a password or LDAP user, another database) is not ours.
    const oursSet = new Set(ours)
    const notOurKind = labelled.filter(entry => !oursSet.has(entry))
    if (notOurKind.length > 0) {
      io.warning(
        `${notOurKind.length} user(s) labelled ${LABELS.managedBy}=${MANAGED_BY} are not ${EXTERNAL_DATABASE} users of x509Type ${[...EPHEMERAL_X509_TYPES].join(' or ')}, so this action did not create them; they are left alone: ${named(notOurKind)}.`,
        'Users left alone'
      )
    }
    // Only a strict ISO 8601 UTC label is a date: anything else is left alone, never read as past.
    const expiry = new Map(
      ours.map(entry => [entry, parseIsoUtc(labelValue(entry.user, LABELS.expiresAt))])
    )
    const undated = ours.filter(entry => expiry.get(entry) === undefined)
    const expiresBy = (entry: ProjectUser) => expiry.get(entry) ?? Infinity
    const expired = ours
      .filter(entry => expiresBy(entry) <= now)
      .sort(
        (a, b) =>
          expiresBy(a) - expiresBy(b) ||
          a.user.username.localeCompare(b.user.username) ||
          a.groupId.localeCompare(b.groupId)
      )
    if (undated.length > 0) {
      io.warning(
        `${undated.length} user(s) labelled ${LABELS.managedBy}=${MANAGED_BY} have an expires-at label that is not an ISO 8601 UTC date (YYYY-MM-DDTHH:MM:SS.sssZ) and are left alone: ${named(undated)}. Delete them with delete-user once they are no longer needed.`,
        'Ephemeral users left alone'
      )
    }
    io.info(
      `${users.length} database users in ${orgWide ? `${listed.length} project(s) of organisation ${ctx.orgId}` : `project ${ctx.groupId}`}; ${ours.length} created by this action; ${expired.length} expired.`
    )
    const due = expired.slice(0, limit)
    const leftOver = expired.slice(limit)
    if (leftOver.length > 0) {
      io.info(
        `${leftOver.length} more expired user(s) are beyond prune-limit (${limit}) and left for the next run: ${named(leftOver)}.`
      )
    }

    const expiredNote = (entry: ProjectUser) =>
      `expired ${labelValue(entry.user, LABELS.expiresAt)}`
    let outcomes = new Map<ProjectUser, DeleteOutcome>()
    let started = 0
    let stopped: DeleteStop | undefined
    if (dryRun) {
      for (const entry of due) io.info(`Would delete ${nameOf(entry)} (${expiredNote(entry)}).`)
    } else {
      ;({ outcomes, started, stopped } = await deleteInParallel(due, limiter, entry =>
        api.deleteUser(entry.groupId, entry.user.username)
      ))
    }
    const prunedEntries = dryRun ? due : due.filter(entry => outcomes.get(entry) === 'deleted')
    const failures: string[] = []
    for (const [entry, outcome] of outcomes) {
      if (outcome === 'deleted') io.info(`Deleted ${nameOf(entry)} (${expiredNote(entry)}).`)
      // Counted only when this step deleted it: a user already gone was pruned by someone else.
      else if (outcome === 'gone')
        io.info(`${nameOf(entry)} was already gone (deleted by someone else); not counted.`)
      else failures.push(`${nameOf(entry)}: ${outcome.failure}`)
    }
    // One project: the usernames, as always; an organisation: each with its project.
    io.setOutput(
      'pruned',
      JSON.stringify(
        prunedEntries.map(entry =>
          orgWide ? { groupId: entry.groupId, username: entry.user.username } : entry.user.username
        )
      )
    )
    io.setOutput('count', String(prunedEntries.length))
    if (orgWide) io.setOutput('skipped-projects', JSON.stringify(skipped))
    // Grouped by project in an organisation step, in the order Atlas lists the projects.
    const projectOrder = new Map(listed.map(({ project }, index) => [project.id, index]))
    const rowsInOrder = orgWide
      ? [...due].sort((a, b) => projectOrder.get(a.groupId)! - projectOrder.get(b.groupId)!)
      : due
    await io.summary(
      `Atlas ephemeral users ${dryRun ? 'that would be pruned (dry run)' : 'pruned'}`,
      [
        ['Operation', `prune-ephemeral-users${dryRun ? ' (dry run)' : ''}`],
        orgWide ? ['Organisation', ctx.orgId!] : ['Project', ctx.groupId],
        ...(orgWide
          ? [
              [
                'Projects',
                `${listed.length} read${
                  skipped.length > 0
                    ? `, ${skipped.length} skipped (the credential cannot read them): ${skipped
                        .slice(0, 20)
                        .map(s => `${s.groupId}${s.name ? ` ${s.name}` : ''} (${s.error})`)
                        .join(', ')}${skipped.length > 20 ? ', …' : ''}`
                    : ''
                }`
              ] as [string, string]
            ]
          : []),
        ['Users listed', String(users.length)],
        [dryRun ? 'Would delete' : 'Deleted', String(prunedEntries.length)],
        ...(leftOver.length > 0
          ? [
              [
                dryRun ? 'Would be left for the next run' : 'Left for the next run',
                `${leftOver.length} expired user(s) beyond prune-limit (${limit})`
              ] as [string, string]
            ]
          : []),
        ...rowsInOrder.slice(0, MAX_SUMMARY_ROWS).map((entry): [string, string] => {
          const outcome = outcomes.get(entry)
          const result =
            dryRun || outcome === 'deleted'
              ? ''
              : outcome === 'gone'
                ? '; already gone'
                : '; NOT deleted'
          return [
            nameOf(entry),
            `${expiredNote(entry)}; ${labelValue(entry.user, LABELS.githubRun) ?? 'no github-run label'}${result}`
          ]
        }),
        ...(due.length > MAX_SUMMARY_ROWS
          ? [
              [
                '…',
                `${due.length - MAX_SUMMARY_ROWS} more not listed here; the pruned output has every deleted name`
              ] as [string, string]
            ]
          : [])
      ]
    )
    const unanswered = started - outcomes.size
    const tally = (what: string) =>
      `Deleted ${prunedEntries.length} of ${due.length} expired user(s) before ${what}; ${due.length - started} not tried${leftOver.length > 0 ? ` and ${leftOver.length} beyond prune-limit (${limit})` : ''} are left for the next run.`
    if (stopped instanceof AtlasApiError) {
      // Atlas's rate limit outlasted every retry: one Atlas error, with its hint.
      throw new AtlasApiError(
        stopped.status,
        stopped.errorCode,
        `${stopped.detail} ${tally(`Atlas's rate limit stopped the run; ${unanswered} refused`)}`,
        stopped.retryAfterMs
      )
    }
    if (stopped) {
      throw new AtlasUnreachableError(
        `${stopped.message} ${tally(`stopping; ${unanswered} delete(s) got no answer (they may have taken effect)`)}`
      )
    }
    if (failures.length > 0) {
      throw new TitledError(
        'Ephemeral users not deleted',
        `Could not delete ${failures.length} of ${due.length} expired ephemeral user(s) due this run: ${failures
          .slice(0, MAX_NAMED_FAILURES)
          .join(
            '; '
          )}${failures.length > MAX_NAMED_FAILURES ? `; … and ${failures.length - MAX_NAMED_FAILURES} more` : ''}. They stay until a later run deletes them: check the errors above (the credentials' role, the project), then run prune-ephemeral-users again.`
      )
    }
  }
}
