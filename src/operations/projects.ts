import type { DatabaseUser, Project } from '../atlas/api.js'
import { AtlasApiError } from '../atlas/errors.js'
import { RequestLimiter } from '../atlas/limiter.js'
import type { StepContext } from './operation.js'

/**
 * The projects a step covers: the one of `group-id`, or every project of the `org-id`
 * organisation, each read as far as the credential may.
 */

/**
 * Requests in flight at most across the whole step, for every project together: Atlas's rate
 * limits are per project and generous (database users refill 5,000 a minute).
 */
export const PARALLEL_REQUESTS = 8

/** A project an organisation step could not read, as the `skipped-projects` output lists it. */
export interface SkippedProject {
  groupId: string
  name: string
  /** Atlas's answer: `403 USER_UNAUTHORIZED`. */
  error: string
}

export interface ProjectUsers {
  project: Project
  users: DatabaseUser[]
}

/** Projects warned about one by one at most; more are named in one warning. */
const MAX_PROJECT_WARNINGS = 3

/** The step's one request limiter, paced by Atlas's rate-limit headers. */
export function requestLimiter(ctx: StepContext): RequestLimiter {
  return new RequestLimiter(PARALLEL_REQUESTS, () => ctx.api.rateLimitRemaining)
}

/** The project as messages name it: `name (id)`, or the id alone. */
export function projectLabel(project: Project): string {
  const name = project.name.length > 64 ? `${project.name.slice(0, 64)}…` : project.name
  return name ? `${name} (${project.id})` : project.id
}

/** The project of `group-id`, or every project of the organisation (every page). */
export async function projectsInScope(
  ctx: StepContext,
  limiter: RequestLimiter
): Promise<Project[]> {
  const orgId = ctx.orgId
  if (!orgId) return [{ id: ctx.groupId, name: '' }]
  const projects = await limiter.run(() => ctx.api.listOrganisationProjects(orgId))
  ctx.io.info(`Organisation ${orgId} has ${projects.length} project(s).`)
  return projects
}

/**
 * Whether Atlas's answer says the credential cannot read the project (no role on it, or a
 * project it cannot see): in an organisation step that project is skipped, not the step failed.
 */
function isUnreadable(error: unknown): error is AtlasApiError {
  return (
    error instanceof AtlasApiError &&
    (error.status === 403 ||
      error.status === 404 ||
      (error.status === 401 && error.errorCode === 'NOT_IN_GROUP'))
  )
}

/**
 * Every database user of each project, the projects read together through the limiter. In an
 * organisation step, a project the credential cannot read is skipped with a warning and the
 * others go on; when none can be read, the first project's error is the step's. Any other error
 * stops the step, as it does for one project.
 */
export async function listUsersOfProjects(
  ctx: StepContext,
  limiter: RequestLimiter,
  projects: readonly Project[]
): Promise<{ listed: ProjectUsers[]; skipped: SkippedProject[]; warnings: number }> {
  const failures: AtlasApiError[] = []
  const outcomes = await Promise.all(
    projects.map(project =>
      limiter
        .run(() => ctx.api.listUsers(project.id))
        .then(
          (users): ProjectUsers => ({ project, users }),
          (error: unknown) => {
            if (ctx.orgId && isUnreadable(error)) {
              failures.push(error)
              return { project, error }
            }
            limiter.stop(error)
            throw error
          }
        )
    )
  )
  const listed: ProjectUsers[] = []
  const skipped: SkippedProject[] = []
  for (const outcome of outcomes) {
    if ('users' in outcome) listed.push(outcome)
    else {
      const error = outcome.error
      skipped.push({
        groupId: outcome.project.id,
        name: outcome.project.name,
        error: `${error.status} ${error.errorCode.slice(0, 100)}`
      })
    }
  }
  if (listed.length === 0 && failures.length > 0) throw failures[0]!
  return { listed, skipped, warnings: warnAboutSkipped(ctx, skipped) }
}

/**
 * A warning for each skipped project, or one naming them all when there are more than a few
 * (the runner shows 10 warnings per step). How many warnings it made.
 */
function warnAboutSkipped(ctx: StepContext, skipped: readonly SkippedProject[]): number {
  const title = 'Project skipped'
  const advice =
    'give the API key or service account a role on the project (Project Read Only to list, Project Owner or Database Access Admin to prune), or leave it if it is not meant to be covered'
  const label = (s: SkippedProject) =>
    `${projectLabel({ id: s.groupId, name: s.name })}: ${s.error}`
  if (skipped.length === 0) return 0
  if (skipped.length <= MAX_PROJECT_WARNINGS) {
    for (const project of skipped)
      ctx.io.warning(
        `The credential cannot read project ${label(project)}; it is skipped. To cover it, ${advice}.`,
        title
      )
    return skipped.length
  }
  const named = skipped.slice(0, 10).map(label).join('; ')
  const more = skipped.length > 10 ? `; … and ${skipped.length - 10} more` : ''
  ctx.io.warning(
    `The credential cannot read ${skipped.length} projects of the organisation (the skipped-projects output lists them all); they are skipped: ${named}${more}. To cover them, ${advice}.`,
    title
  )
  return 1
}
