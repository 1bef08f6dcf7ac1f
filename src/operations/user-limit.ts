import { DATABASE_USERS_LIMIT, type Project } from '../atlas/api.js'
import type { RequestLimiter } from '../atlas/limiter.js'
import type { StepContext } from './operation.js'
import { projectLabel, type ProjectUsers } from './projects.js'

/**
 * A project holds 100 database users unless raised, and past its limit every job that creates a
 * user fails: the watch warns before that.
 */

/** The share of the limit at which the watch warns. */
export const USER_LIMIT_WARNING_SHARE = 0.9

/** Projects near their limit warned about one by one at most; more are named in one warning. */
const MAX_LIMIT_WARNINGS = 3

/**
 * The database-user limit of each project, by project id, read through the limiter alongside the
 * rest. A limit that cannot be read is left out (debug only): the watch's other work does not
 * depend on it.
 */
export async function readUserLimits(
  ctx: StepContext,
  limiter: RequestLimiter,
  projects: readonly Project[]
): Promise<Map<string, number>> {
  const limits = new Map<string, number>()
  await Promise.all(
    projects.map(project =>
      limiter
        .run(() => ctx.api.getProjectLimit(project.id, DATABASE_USERS_LIMIT))
        .then(
          limit => void limits.set(project.id, limit.value),
          (error: unknown) =>
            ctx.io.debug(
              `The database-user limit of project ${project.id} could not be read: ${error instanceof Error ? error.message.slice(0, 300) : String(error)}`
            )
        )
    )
  )
  return limits
}

/** Whether `users` database users reach the warning share of `limit`. */
export function nearUserLimit(users: number, limit: number): boolean {
  return limit > 0 && users >= limit * USER_LIMIT_WARNING_SHARE
}

/**
 * A warning for each project whose users reach 90 % of its limit, within `maxWarnings`
 * annotations. The projects near it.
 */
export function warnNearUserLimit(
  ctx: StepContext,
  listed: readonly ProjectUsers[],
  limits: ReadonlyMap<string, number>,
  maxWarnings: number
): Array<{ project: Project; users: number; limit: number }> {
  const near = listed.flatMap(({ project, users }) => {
    const limit = limits.get(project.id)
    return limit !== undefined && nearUserLimit(users.length, limit)
      ? [{ project, users: users.length, limit }]
      : []
  })
  const title = 'Near the database-user limit'
  const advice =
    'past it, creating a user fails (GROUP_USERS_LIMIT_EXCEEDED): delete users no longer needed, run prune-ephemeral-users for leftover ephemeral users, or ask MongoDB support to raise the limit'
  if (near.length === 0 || maxWarnings <= 0) return near
  if (near.length <= Math.min(MAX_LIMIT_WARNINGS, maxWarnings)) {
    for (const { project, users, limit } of near)
      ctx.io.warning(
        `Project ${projectLabel(project)} holds ${users} of its ${limit} database users (${Math.floor((users / limit) * 100)} %); ${advice}.`,
        title
      )
    return near
  }
  const named = near
    .slice(0, 10)
    .map(({ project, users, limit }) => `${projectLabel(project)} ${users}/${limit}`)
    .join(', ')
  ctx.io.warning(
    `${near.length} projects hold ${Math.round(USER_LIMIT_WARNING_SHARE * 100)} % or more of their database-user limit: ${named}${near.length > 10 ? ` … and ${near.length - 10} more` : ''}; ${advice}.`,
    title
  )
  return near
}
