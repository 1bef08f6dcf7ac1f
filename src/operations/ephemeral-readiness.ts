import type { ClusterEndpoint } from '../atlas/api.js'
import { AtlasUnreachableError } from '../atlas/errors.js'
import { mapLimited, RequestLimiter } from '../atlas/limiter.js'
import { TitledError } from '../errors.js'
import type { StepContext } from './operation.js'

/**
 * Waiting until a new database user can log in: Atlas applies it to each cluster it reaches
 * asynchronously, and while a cluster's change status is PENDING the user cannot log in there.
 */

/**
 * Status polls in flight at most: the clusters of a round are asked together, so a project of
 * many clusters waits a round trip per round, not one per cluster.
 */
export const PARALLEL_POLLS = 4

/** Status polls: a short first interval for the common case of seconds, then backing off. */
export const READY_POLL = { firstIntervalMs: 1000, factor: 1.5, maxIntervalMs: 10_000 } as const

/** The wait ran out of time: the clusters named still report PENDING. */
export class NotReadyError extends TitledError {
  constructor(
    readonly pending: string[],
    readonly waitedMs: number,
    timeoutSeconds: number
  ) {
    super(
      'Ephemeral user not ready',
      `After ${seconds(waitedMs)} s (ready-timeout-seconds: ${timeoutSeconds}), ${list(pending)} still ${pending.length === 1 ? 'reports' : 'report'} changeStatus PENDING: the user cannot log in there yet. Raise ready-timeout-seconds if the project's clusters often take longer, or check them in the Atlas UI.`
    )
  }
}

/** A `scopes` entry that is no cluster of the project: the user could never log in there. */
export class UnknownClusterError extends TitledError {
  constructor(
    readonly clusters: string[],
    groupId: string
  ) {
    super(
      'Unknown cluster in scopes',
      `${list(clusters)} in scopes ${clusters.length === 1 ? 'is' : 'are'} not a cluster of project ${groupId} (Atlas answers CLUSTER_NOT_FOUND): the user could never log in there. Check the names in scopes.`
    )
  }
}

export interface ReadyResult {
  /** The clusters waited for (empty: the project has none). */
  clusters: string[]
  waitedMs: number
  /** Without scopes: the project's clusters as listed, with their connection strings. */
  listed?: ClusterEndpoint[]
}

/** Seconds as the `ready-seconds` output and messages show them: at most one decimal. */
export function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10)
}

/** Clusters a message names at most: ten thousand pending ones must not make a 490 KB annotation. */
export const MAX_NAMED_CLUSTERS = 20

/** The names, the first MAX_NAMED_CLUSTERS of them and how many more. */
export function list(names: readonly string[]): string {
  const named = names.slice(0, MAX_NAMED_CLUSTERS).join(', ')
  const more = names.length - MAX_NAMED_CLUSTERS
  return more > 0 ? `${named} … and ${more} more` : named
}

/**
 * Polls `…/clusters/{name}/status` of every cluster the user reaches (its scopes, or every
 * dedicated and Flex cluster of the project) until each has answered APPLIED once; a cluster that
 * has applied the user keeps it, so it is not asked again. The whole wait, listing included, runs
 * within `timeoutSeconds`, which replaces `timeout-seconds` for these requests, whether it is
 * shorter or longer: no request, retry or Retry-After pause of the wait outlasts it.
 */
export async function waitUntilReady(
  scopes: string[],
  timeoutSeconds: number,
  ctx: StepContext
): Promise<ReadyResult> {
  const started = ctx.clock.now()
  const deadline = started + timeoutSeconds * 1000
  return ctx.api.withinBudget(deadline, timeoutSeconds, 'ready-timeout-seconds', () =>
    pollUntilApplied(scopes, timeoutSeconds, started, ctx)
  )
}

async function pollUntilApplied(
  scopes: string[],
  timeoutSeconds: number,
  started: number,
  ctx: StepContext
): Promise<ReadyResult> {
  const { api, clock, groupId, io } = ctx
  const deadline = started + timeoutSeconds * 1000
  const elapsed = () => clock.now() - started
  const timedOut = (pending: string[]) => new NotReadyError(pending, elapsed(), timeoutSeconds)

  const listed =
    scopes.length > 0
      ? undefined
      : [...(await api.listClusters(groupId)), ...(await api.listFlexClusters(groupId))]
  const clusters = listed ? listed.map(cluster => cluster.name) : scopes
  if (clusters.length === 0) {
    io.info(`Project ${groupId} has no clusters: nothing to wait for.`)
    return { clusters, waitedMs: 0, listed }
  }
  io.info(
    `Waiting until ${list(clusters)} ${clusters.length === 1 ? 'has' : 'have'} applied the user (up to ${timeoutSeconds} s).`
  )

  const limiter = new RequestLimiter(PARALLEL_POLLS, () => api.rateLimitRemaining)
  let pending = [...clusters]
  let intervalMs: number = READY_POLL.firstIntervalMs
  for (let round = 1; ; round++) {
    const stillPending: string[] = []
    const unknown: string[] = []
    let statuses
    try {
      statuses = await mapLimited(limiter, pending, name =>
        api.getClusterChangeStatus(groupId, name)
      )
    } catch (error) {
      // A request refused because the wait's own deadline passed is the wait timing out.
      if (error instanceof AtlasUnreachableError && clock.now() >= deadline) throw timedOut(pending)
      throw error
    }
    pending.forEach((name, index) => {
      const status = statuses[index]
      if (status === 'PENDING') stillPending.push(name)
      else if (status === undefined) {
        // A listed cluster deleted since is nothing to wait for; a scope that names none is a mistake.
        if (scopes.length > 0) unknown.push(name)
        else io.debug(`${name} is gone since it was listed: not waited for.`)
      }
    })
    if (unknown.length > 0) throw new UnknownClusterError(unknown, groupId)
    pending = stillPending
    io.debug(
      `Readiness round ${round} after ${elapsed()} ms: ${pending.length > 0 ? `pending ${list(pending)}` : 'all applied'}`
    )
    if (pending.length === 0) break
    const remaining = deadline - clock.now()
    if (remaining <= 0) throw timedOut(pending)
    // The last poll lands on the deadline rather than after it.
    await clock.sleep(Math.min(intervalMs, remaining))
    intervalMs = Math.min(Math.round(intervalMs * READY_POLL.factor), READY_POLL.maxIntervalMs)
  }
  const waitedMs = elapsed()
  io.info(
    `The user can log in on ${list(clusters)}: every cluster reports APPLIED after ${seconds(waitedMs)} s.`
  )
  return { clusters, waitedMs, listed }
}
