import { ApiFailure } from '../json.js'
import { MAX_USERS_PER_GROUP, type ProjectState } from '../state.js'
import type { Reply, RouteContext } from './context.js'
import { paginate, type PagingContext } from './pagination.js'

/** The limit the emulator models; the spec lists others, which it does not serve. */
export const USERS_LIMIT_NAME = 'atlas.project.security.databaseAccess.users'

/** `GET /orgs/{orgId}/groups`: the organisation's projects (`PaginatedAtlasGroupView`), paged. */
export function listOrganisationProjects(
  ctx: PagingContext,
  orgId: string,
  projects: ProjectState[]
): Reply {
  const page = paginate(ctx, projects)
  return {
    status: 200,
    json: {
      ...page,
      results: page.results.map(project => ({
        id: project.groupId,
        name: project.name,
        orgId,
        clusterCount: project.clusters().length,
        created: '2026-01-01T00:00:00Z',
        links: [{ href: `${ctx.baseUrl}/api/atlas/v2/groups/${project.groupId}`, rel: 'self' }]
      }))
    }
  }
}

/** `GET …/limits/{limitName}`: the database-user limit and its usage (`DefaultLimit`). */
export function getProjectLimit(ctx: RouteContext): Reply {
  const name = ctx.params.limitName ?? ''
  if (name !== USERS_LIMIT_NAME) {
    throw new ApiFailure(
      404,
      'RESOURCE_NOT_FOUND',
      `The emulator does not model the limit ${name}.`,
      [name]
    )
  }
  return {
    status: 200,
    json: {
      name,
      value: ctx.project.userLimit,
      currentUsage: ctx.project.users().length,
      defaultLimit: MAX_USERS_PER_GROUP,
      maximumLimit: MAX_USERS_PER_GROUP
    }
  }
}
