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
import type { Operation, OperationContext } from './operation.js'

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

/** What ends every delete of the run: no answer within the budget, or Atlas's rate limit after every retry. */
export type DeleteStop = AtlasUnreachableError | AtlasApiError

const isStop = (error: unknown): error is DeleteStop =>
  error instanceof AtlasUnreachableError || (error instanceof AtlasApiError && error.status === 429)

/**
 * Deletes users a few at a time. A worker stands down while Atlas reports that fewer requests
 * remain in its rate-limit bucket than workers are running (a 429's Retry-After already holds
 * every request back); the first budget error, or a 429 left after every retry, stops every
 * worker, and what is left stays for the next run.
 */
export async function deleteInParallel(
  usernames: readonly string[],
  remaining: () => number | undefined,
  remove: (username: string) => Promise<boolean>
): Promise<{
  outcomes: Map<string, DeleteOutcome>
  /** How many deletes were started. */
  started: number
  stopped?: DeleteStop
}> {
  const outcomes = new Map<string, DeleteOutcome>()
  let next = 0
  let stopped: DeleteStop | undefined
  const worker = async (index: number) => {
    while (next < usernames.length && !stopped) {
      const left = remaining()
      if (index > 0 && left !== undefined && left <= PARALLEL_DELETES) return
      const username = usernames[next++]!
      try {
        outcomes.set(username, (await remove(username)) ? 'deleted' : 'gone')
      } catch (error) {
        if (isStop(error)) stopped ??= error
        else {
          const message = error instanceof Error ? error.message : String(error)
          // A long Atlas detail per user would make the one error unreadable.
          outcomes.set(username, { failure: message.slice(0, 300) })
        }
      }
    }
  }
  const workers = Math.min(PARALLEL_DELETES, usernames.length)
  await Promise.all(Array.from({ length: workers }, (_, index) => worker(index)))
  return { outcomes, started: next, stopped }
}

/** Failed deletes named in the error at most. */
const MAX_NAMED_FAILURES = 10

/** What a prune run does with the project's users, decided from the list before any delete. */
export interface PrunePlan {
  /** Every user the project lists. */
  listed: number
  /** `$external` users of a kind this action creates, with its managed-by label. */
  ours: DatabaseUser[]
  /** Users with this action's label that are of another kind: left alone. */
  notOurKind: DatabaseUser[]
  /** Ours with an expires-at that is not an ISO 8601 UTC date: left alone. */
  undated: DatabaseUser[]
  /** Ours and expired, the longest expired first: `due`, then `leftOver`. */
  expired: DatabaseUser[]
  /** The expired users deleted this run: at most prune-limit. */
  due: DatabaseUser[]
  /** The expired users beyond prune-limit: left for the next run. */
  leftOver: DatabaseUser[]
}

/** Which users are ours, which have expired (by `now`), and which of those this run deletes. */
export function planPrune(users: readonly DatabaseUser[], now: number, limit: number): PrunePlan {
  const labelled = users.filter(isManagedByAction)
  const ours = labelled.filter(
    user => user.databaseName === EXTERNAL_DATABASE && EPHEMERAL_X509_TYPES.has(user.x509Type ?? '')
  )
  const oursSet = new Set(ours)
  // Only a strict ISO 8601 UTC label is a date: anything else is left alone, never read as past.
  const expiry = new Map(ours.map(user => [user, parseIsoUtc(labelValue(user, LABELS.expiresAt))]))
  const expiresBy = (user: DatabaseUser) => expiry.get(user) ?? Infinity
  const expired = ours
    .filter(user => expiresBy(user) <= now)
    .sort((a, b) => expiresBy(a) - expiresBy(b) || a.username.localeCompare(b.username))
  return {
    listed: users.length,
    ours,
    // Our label on another kind of user (a password or LDAP user, another database) is not ours.
    notOurKind: labelled.filter(user => !oursSet.has(user)),
    undated: ours.filter(user => expiry.get(user) === undefined),
    expired,
    due: expired.slice(0, limit),
    leftOver: expired.slice(limit)
  }
}

/** The warnings and lines that say what the plan leaves alone, and what it deletes. */
function reportPlan(plan: PrunePlan, limit: number, ctx: OperationContext): void {
  const { io } = ctx
  if (plan.notOurKind.length > 0) {
    io.warning(
      `${plan.notOurKind.length} user(s) labelled ${LABELS.managedBy}=${MANAGED_BY} are not ${EXTERNAL_DATABASE} users of x509Type ${[...EPHEMERAL_X509_TYPES].join(' or ')}, so this action did not create them; they are left alone: ${someNames(plan.notOurKind)}.`,
      'Users left alone'
    )
  }
  if (plan.undated.length > 0) {
    io.warning(
      `${plan.undated.length} user(s) labelled ${LABELS.managedBy}=${MANAGED_BY} have an expires-at label that is not an ISO 8601 UTC date (YYYY-MM-DDTHH:MM:SS.sssZ) and are left alone: ${someNames(plan.undated)}. Delete them with delete-user once they are no longer needed.`,
      'Ephemeral users left alone'
    )
  }
  io.info(
    `${plan.listed} database users in project ${ctx.groupId}; ${plan.ours.length} created by this action; ${plan.expired.length} expired.`
  )
  if (plan.leftOver.length > 0) {
    io.info(
      `${plan.leftOver.length} more expired user(s) are beyond prune-limit (${limit}) and left for the next run: ${someNames(plan.leftOver)}.`
    )
  }
}

/** What the deletes did: nothing at all in a dry run. */
type Deletes = Awaited<ReturnType<typeof deleteInParallel>>

const expiredNote = (user: DatabaseUser) => `expired ${labelValue(user, LABELS.expiresAt)}`

/** The users counted as pruned: every due one in a dry run, else those this step deleted. */
export function prunedNames(plan: PrunePlan, deletes: Deletes, dryRun: boolean): string[] {
  const names = plan.due.map(user => user.username)
  return dryRun ? names : names.filter(name => deletes.outcomes.get(name) === 'deleted')
}

/** A line per delete; the failures, for the error. */
function reportDeletes(plan: PrunePlan, deletes: Deletes, io: OperationContext['io']): string[] {
  const byName = new Map(plan.due.map(user => [user.username, user]))
  const failures: string[] = []
  for (const [username, outcome] of deletes.outcomes) {
    if (outcome === 'deleted')
      io.info(`Deleted ${username} (${expiredNote(byName.get(username)!)}).`)
    // Counted only when this step deleted it: a user already gone was pruned by someone else.
    else if (outcome === 'gone')
      io.info(`${username} was already gone (deleted by someone else); not counted.`)
    else failures.push(`${username}: ${outcome.failure}`)
  }
  return failures
}

/** The summary's rows: the counts, then what became of each due user (MAX_SUMMARY_ROWS at most). */
export function pruneSummaryRows(
  plan: PrunePlan,
  deletes: Deletes,
  pruned: readonly string[],
  run: { dryRun: boolean; limit: number }
): Array<[string, string]> {
  const { due, leftOver } = plan
  const result = (user: DatabaseUser) => {
    const outcome = deletes.outcomes.get(user.username)
    if (run.dryRun || outcome === 'deleted') return ''
    return outcome === 'gone' ? '; already gone' : '; NOT deleted'
  }
  return [
    ['Users listed', String(plan.listed)],
    [run.dryRun ? 'Would delete' : 'Deleted', String(pruned.length)],
    ...(leftOver.length > 0
      ? [
          [
            run.dryRun ? 'Would be left for the next run' : 'Left for the next run',
            `${leftOver.length} expired user(s) beyond prune-limit (${run.limit})`
          ] as [string, string]
        ]
      : []),
    ...due
      .slice(0, MAX_SUMMARY_ROWS)
      .map((user): [string, string] => [
        user.username,
        `${expiredNote(user)}; ${labelValue(user, LABELS.githubRun) ?? 'no github-run label'}${result(user)}`
      ]),
    ...(due.length > MAX_SUMMARY_ROWS
      ? [
          [
            '…',
            `${due.length - MAX_SUMMARY_ROWS} more not listed here; the pruned output has every deleted name`
          ] as [string, string]
        ]
      : [])
  ]
}

/**
 * The step's one error when deletes were stopped or failed, saying what was deleted and what is
 * left for the next run; undefined when every due delete went through.
 */
export function pruneFailure(
  plan: PrunePlan,
  deletes: Deletes,
  pruned: readonly string[],
  limit: number,
  failures: readonly string[]
): Error | undefined {
  const { due, leftOver } = plan
  const { stopped, started } = deletes
  const unanswered = started - deletes.outcomes.size
  const tally = (what: string) =>
    `Deleted ${pruned.length} of ${due.length} expired user(s) before ${what}; ${due.length - started} not tried${leftOver.length > 0 ? ` and ${leftOver.length} beyond prune-limit (${limit})` : ''} are left for the next run.`
  if (stopped instanceof AtlasApiError) {
    // Atlas's rate limit outlasted every retry: one Atlas error, with its hint.
    return new AtlasApiError(
      stopped.status,
      stopped.errorCode,
      `${stopped.detail} ${tally(`Atlas's rate limit stopped the run; ${unanswered} refused`)}`,
      stopped.retryAfterMs
    )
  }
  if (stopped) {
    return new AtlasUnreachableError(
      `${stopped.message} ${tally(`stopping; ${unanswered} delete(s) got no answer (they may have taken effect)`)}`
    )
  }
  if (failures.length === 0) return undefined
  const named = failures.slice(0, MAX_NAMED_FAILURES).join('; ')
  const more =
    failures.length > MAX_NAMED_FAILURES
      ? `; … and ${failures.length - MAX_NAMED_FAILURES} more`
      : ''
  return new TitledError(
    'Ephemeral users not deleted',
    `Could not delete ${failures.length} of ${due.length} expired ephemeral user(s) due this run: ${named}${more}. They stay until a later run deletes them: check the errors above (the credentials' role, the project), then run prune-ephemeral-users again.`
  )
}

/**
 * Deletes the users this action created whose `expires-at` has passed: what a post step that
 * never ran (a dead runner) left behind, the longest expired first, at most `prune-limit` per run.
 * Only `$external` users of a type this action creates and with its `managed-by` label are ever
 * touched.
 */
export const pruneEphemeralUsers: Operation<{ dryRun: boolean; limit: number }> = {
  name: 'prune-ephemeral-users',
  parallelRequests: PARALLEL_DELETES,
  parse: read => ({
    dryRun: parseBoolean(read, 'dry-run', DEFAULTS['dry-run']),
    limit: parseInteger(read, 'prune-limit', DEFAULTS['prune-limit'], 1, MAX_LIST_ITEMS)
  }),
  summaryName: ({ dryRun }) => `prune-ephemeral-users${dryRun ? ' (dry run)' : ''}`,
  async run({ dryRun, limit }, ctx) {
    const { api, groupId, io } = ctx
    const plan = planPrune(await api.listUsers(groupId), ctx.clock.now(), limit)
    reportPlan(plan, limit, ctx)
    let deletes: Deletes = { outcomes: new Map(), started: 0 }
    if (dryRun) {
      for (const user of plan.due) io.info(`Would delete ${user.username} (${expiredNote(user)}).`)
    } else {
      deletes = await deleteInParallel(
        plan.due.map(user => user.username),
        () => api.rateLimitRemaining,
        username => api.deleteUser(groupId, username)
      )
    }
    const pruned = prunedNames(plan, deletes, dryRun)
    const failures = reportDeletes(plan, deletes, io)
    io.setOutput('pruned', JSON.stringify(pruned))
    io.setOutput('count', String(pruned.length))
    await ctx.summary(
      `Atlas ephemeral users ${dryRun ? 'that would be pruned (dry run)' : 'pruned'}`,
      pruneSummaryRows(plan, deletes, pruned, { dryRun, limit })
    )
    const failure = pruneFailure(plan, deletes, pruned, limit, failures)
    if (failure) throw failure
  }
}
