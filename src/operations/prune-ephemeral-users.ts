import { EXTERNAL_DATABASE, MAX_LIST_ITEMS, type DatabaseUser } from '../atlas/api.js'
import { AtlasApiError, AtlasUnreachableError } from '../atlas/errors.js'
import { DEFAULTS, parseBoolean, parseInteger } from '../inputs/inputs.js'
import { TitledError } from '../errors.js'
import {
  EPHEMERAL_X509_TYPES,
  ephemeralExpiry,
  isEphemeralUser,
  isExpiredEphemeralUser,
  isManagedByAction,
  LABELS,
  labelValue,
  MANAGED_BY
} from './ephemeral-labels.js'
import type { Operation, StepContext } from './operation.js'
import type { RequestLimiter } from '../atlas/limiter.js'
import {
  listUsersOfProjects,
  PARALLEL_REQUESTS,
  projectsInScope,
  requestLimiter,
  type SkippedProject
} from './projects.js'

/**
 * How users are told apart and named: by name in one project; with the project in an
 * organisation step, where names repeat across projects.
 */
export interface UserNaming {
  /** The key of a user's delete outcome. */
  keyOf: (user: DatabaseUser) => string
  /** The user as messages and the summary name it. */
  nameOf: (user: DatabaseUser) => string
}

/** One project: users are their names. */
export const BY_NAME: UserNaming = { keyOf: user => user.username, nameOf: user => user.username }

/** Up to ten names, for a message that must stay short. */
const someUsernames = (users: ReadonlyArray<{ username: string }>) =>
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
  const ours = labelled.filter(isEphemeralUser)
  const oursSet = new Set(ours)
  const expiry = new Map(ours.map(user => [user, ephemeralExpiry(user)]))
  const expiresBy = (user: DatabaseUser) => expiry.get(user) ?? Infinity
  const expired = ours
    .filter(user => isExpiredEphemeralUser(user, now))
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
function reportPlan(
  plan: PrunePlan,
  limit: number,
  ctx: StepContext,
  naming: UserNaming,
  where: string
): void {
  const { io } = ctx
  const someNames = (users: readonly DatabaseUser[]) =>
    someUsernames(users.map(user => ({ username: naming.nameOf(user) })))
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
    `${plan.listed} database users in ${where}; ${plan.ours.length} created by this action; ${plan.expired.length} expired.`
  )
  if (plan.leftOver.length > 0) {
    io.info(
      `${plan.leftOver.length} more expired user(s) are beyond prune-limit (${limit}) and left for the next run: ${someNames(plan.leftOver)}.`
    )
  }
}

/** What the deletes did: nothing at all in a dry run. */
type Deletes = Awaited<ReturnType<typeof deleteInParallel<string>>>

const expiredNote = (user: DatabaseUser) => `expired ${labelValue(user, LABELS.expiresAt)}`

/** The users counted as pruned: every due one in a dry run, else those this step deleted. */
export function prunedNames(
  plan: PrunePlan,
  deletes: Deletes,
  dryRun: boolean,
  naming: UserNaming = BY_NAME
): string[] {
  const names = plan.due.map(naming.keyOf)
  return dryRun ? names : names.filter(name => deletes.outcomes.get(name) === 'deleted')
}

/** A line per delete; the failures, for the error. */
function reportDeletes(
  plan: PrunePlan,
  deletes: Deletes,
  io: StepContext['io'],
  naming: UserNaming
): string[] {
  const byKey = new Map(plan.due.map(user => [naming.keyOf(user), user]))
  const failures: string[] = []
  for (const [key, outcome] of deletes.outcomes) {
    const user = byKey.get(key)!
    const name = naming.nameOf(user)
    if (outcome === 'deleted') io.info(`Deleted ${name} (${expiredNote(user)}).`)
    // Counted only when this step deleted it: a user already gone was pruned by someone else.
    else if (outcome === 'gone')
      io.info(`${name} was already gone (deleted by someone else); not counted.`)
    else failures.push(`${name}: ${outcome.failure}`)
  }
  return failures
}

/** The summary's rows: the counts, then what became of each due user (MAX_SUMMARY_ROWS at most). */
export function pruneSummaryRows(
  plan: PrunePlan,
  deletes: Deletes,
  pruned: readonly string[],
  run: { dryRun: boolean; limit: number },
  naming: UserNaming = BY_NAME
): Array<[string, string]> {
  const { due, leftOver } = plan
  const result = (user: DatabaseUser) => {
    const outcome = deletes.outcomes.get(naming.keyOf(user))
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
        naming.nameOf(user),
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
  orgWide: () => true,
  parse: read => ({
    dryRun: parseBoolean(read, 'dry-run', DEFAULTS['dry-run']),
    limit: parseInteger(read, 'prune-limit', DEFAULTS['prune-limit'], 1, MAX_LIST_ITEMS)
  }),
  summaryName: ({ dryRun }) => `prune-ephemeral-users${dryRun ? ' (dry run)' : ''}`,
  async run({ dryRun, limit }, ctx) {
    const { api, io } = ctx
    const orgWide = ctx.orgId !== undefined
    const limiter = requestLimiter(ctx)
    const { listed, skipped } = await listUsersOfProjects(
      ctx,
      limiter,
      await projectsInScope(ctx, limiter)
    )
    // Each listed user is its own object: its project is found by identity.
    const projectOf = new Map(
      listed.flatMap(({ project, users }) => users.map(user => [user, project.id] as const))
    )
    const groupOf = (user: DatabaseUser) => projectOf.get(user) ?? ctx.groupId
    const naming: UserNaming = orgWide
      ? {
          keyOf: user => `${groupOf(user)}\u0000${user.username}`,
          nameOf: user => `${user.username} (project ${groupOf(user)})`
        }
      : BY_NAME
    // Grouped by project in an organisation step, in the order Atlas lists the projects; the
    // plan's order (longest expired first) within each.
    const users = listed.flatMap(project => project.users)
    const plan = planPrune(users, ctx.clock.now(), limit)
    if (orgWide) {
      const order = new Map(listed.map(({ project }, index) => [project.id, index]))
      const byProject = (a: DatabaseUser, b: DatabaseUser) =>
        order.get(groupOf(a))! - order.get(groupOf(b))!
      plan.due = [...plan.due].sort(byProject)
    }
    reportPlan(
      plan,
      limit,
      ctx,
      naming,
      orgWide
        ? `${listed.length} project(s) of organisation ${ctx.orgId}`
        : `project ${ctx.groupId}`
    )
    let deletes: Deletes = { outcomes: new Map(), started: 0 }
    if (dryRun) {
      for (const user of plan.due)
        io.info(`Would delete ${naming.nameOf(user)} (${expiredNote(user)}).`)
    } else {
      const byKey = new Map(plan.due.map(user => [naming.keyOf(user), user]))
      deletes = await deleteInParallel([...byKey.keys()], limiter, key => {
        const user = byKey.get(key)!
        return api.deleteUser(groupOf(user), user.username)
      })
    }
    const pruned = prunedNames(plan, deletes, dryRun, naming)
    const failures = reportDeletes(plan, deletes, io, naming)
    // One project: the usernames, as always; an organisation: each with its project.
    const byKey = new Map(plan.due.map(user => [naming.keyOf(user), user]))
    io.setOutput(
      'pruned',
      JSON.stringify(
        orgWide
          ? pruned.map(key => {
              const user = byKey.get(key)!
              return { groupId: groupOf(user), username: user.username }
            })
          : pruned
      )
    )
    io.setOutput('count', String(pruned.length))
    if (orgWide) io.setOutput('skipped-projects', JSON.stringify(skipped))
    await ctx.summary(
      `Atlas ephemeral users ${dryRun ? 'that would be pruned (dry run)' : 'pruned'}`,
      [
        ...(orgWide ? [projectsRow(listed.length, skipped)] : []),
        ...pruneSummaryRows(plan, deletes, pruned, { dryRun, limit }, naming)
      ]
    )
    const failure = pruneFailure(plan, deletes, pruned, limit, failures)
    if (failure) throw failure
  }
}

/** The organisation step's row of projects read, naming those skipped. */
function projectsRow(read: number, skipped: readonly SkippedProject[]): [string, string] {
  const named = skipped
    .slice(0, 20)
    .map(s => `${s.groupId}${s.name ? ` ${s.name}` : ''} (${s.error})`)
    .join(', ')
  return [
    'Projects',
    `${read} read${skipped.length > 0 ? `, ${skipped.length} skipped (the credential cannot read them): ${named}${skipped.length > 20 ? ', …' : ''}` : ''}`
  ]
}
