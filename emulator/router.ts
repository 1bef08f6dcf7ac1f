import { BASE_VERSION, checkVersionedAccept, resolveVersion, versionedJson } from './accept.js'
import { sendApiError, sendBody, sendEmpty, sendJson, type Exchange } from './exchange.js'
import { ApiFailure } from './json.js'
import type { Reply, RouteContext, ServerResources } from './routes/context.js'
import { listOrganisationProjects } from './routes/projects.js'
import { matchRoute, v1Routes, v2Routes } from './routes/table.js'
import type { ProjectRegistry, ProjectState } from './state.js'
import type { CorruptPemVariant } from './types.js'

const groupIdPattern = /^[a-f0-9]{24}$/

/** Routes an authenticated /api/atlas request: version check, path match, handler, reply. */
export class AtlasRouter {
  constructor(
    private readonly projects: ProjectRegistry,
    private readonly resources: ServerResources,
    private readonly now: () => Date
  ) {}

  async dispatch(ex: Exchange, corruptPem?: CorruptPemVariant): Promise<void> {
    try {
      const reply = await this.route(ex, corruptPem)
      sendReply(ex, reply, this.resources.options.rateLimitCapacity)
    } catch (error) {
      if (!(error instanceof ApiFailure)) throw error
      sendApiError(ex, error)
    }
  }

  private async route(
    ex: Exchange,
    corruptPem?: CorruptPemVariant
  ): Promise<Reply & { version?: string }> {
    const raw = ex.pathname.split('/')
    // ['', 'api', 'atlas', version, 'groups', groupId, ...rest]
    const version = raw[3]
    const v2 = version === 'v2'
    const accept = ex.req.headers.accept
    const requestedVersions = v2 ? checkVersionedAccept(accept, this.now()) : []
    if (v2 && raw[4] === 'orgs') return this.routeOrganisation(ex, raw)
    if ((!v2 && version !== 'v1.0') || raw[4] !== 'groups' || raw.length < 7) {
      throw notFound(ex.pathname)
    }
    const segments = raw.slice(5).map(segment => {
      const decoded = safeDecode(segment)
      if (decoded === null) throw notFound(ex.pathname)
      return decoded
    })
    const [groupId = '', ...rest] = segments
    const match = matchRoute(v2 ? v2Routes : v1Routes, rest)
    if (!match) throw notFound(ex.pathname)
    const handler = match.route.methods[ex.method]
    if (!handler) {
      const allowed = Object.keys(match.route.methods).join(', ')
      throw new ApiFailure(
        405,
        'METHOD_NOT_ALLOWED',
        `Method ${ex.method} is not allowed here.`,
        [],
        {
          Allow: allowed
        }
      )
    }
    const resolved = v2
      ? resolveVersion(requestedVersions, match.route.versions ?? [BASE_VERSION], accept)
      : undefined
    const ctx: RouteContext = {
      project: this.projectForRequest(groupId),
      params: match.params,
      query: ex.query,
      body: ex.body,
      contentType: ex.req.headers['content-type'] ?? '',
      baseUrl: ex.baseUrl,
      pathname: ex.pathname,
      now: this.now(),
      ...(resolved ? { version: resolved } : {}),
      server: this.resources,
      ...(corruptPem ? { corruptPem } : {})
    }
    return { ...(await handler(ctx)), ...(resolved ? { version: resolved } : {}) }
  }

  /** `/api/atlas/v2/orgs/{orgId}/groups`: the one organisation route. */
  private routeOrganisation(ex: Exchange, raw: string[]): Reply & { version?: string } {
    const orgId = safeDecode(raw[5] ?? '') ?? ''
    if (raw.length !== 7 || raw[6] !== 'groups') throw notFound(ex.pathname)
    if (ex.method !== 'GET') {
      throw new ApiFailure(
        405,
        'METHOD_NOT_ALLOWED',
        `Method ${ex.method} is not allowed here.`,
        [],
        {
          Allow: 'GET'
        }
      )
    }
    const version = resolveVersion(
      checkVersionedAccept(ex.req.headers.accept, this.now()),
      [BASE_VERSION],
      ex.req.headers.accept
    )
    if (!groupIdPattern.test(orgId)) {
      throw new ApiFailure(
        400,
        'INVALID_ORG_ID',
        `An invalid organization ID ${orgId} was specified.`,
        [orgId]
      )
    }
    if (!this.projects.hasOrganisation(orgId)) {
      throw new ApiFailure(404, 'ORG_NOT_FOUND', `No organization with ID ${orgId} exists.`, [
        orgId
      ])
    }
    const ctx = {
      query: ex.query,
      server: this.resources,
      baseUrl: ex.baseUrl,
      pathname: ex.pathname
    }
    return { ...listOrganisationProjects(ctx, orgId, this.projects.inOrganisation(orgId)), version }
  }

  private projectForRequest(groupId: string): ProjectState {
    if (!groupIdPattern.test(groupId)) {
      throw new ApiFailure(
        400,
        'INVALID_GROUP_ID',
        `An invalid group ID ${groupId} was specified.`,
        [groupId]
      )
    }
    const project = this.projects.find(groupId)
    if (!project) {
      throw new ApiFailure(404, 'GROUP_NOT_FOUND', `No group with ID ${groupId} exists.`, [groupId])
    }
    if (project.forbidden) {
      throw new ApiFailure(
        403,
        'USER_UNAUTHORIZED',
        'Current user is not authorized to perform this action.',
        []
      )
    }
    return project
  }
}

function sendReply(ex: Exchange, reply: Reply & { version?: string }, capacity: number): void {
  // Atlas labels v2 success bodies with the resolved version, the PEM text included.
  const contentType = reply.version ? versionedJson(reply.version) : 'application/json'
  // Every 2xx may carry the bucket's state; the emulator never throttles on its own (429 is a
  // fault), so the bucket is always full but for this request.
  const rateLimit: Record<string, string> =
    reply.status >= 200 && reply.status < 300
      ? { 'RateLimit-Limit': String(capacity), 'RateLimit-Remaining': String(capacity - 1) }
      : {}
  if ('json' in reply) return sendJson(ex, reply.status, reply.json, contentType, rateLimit)
  if ('text' in reply)
    return sendBody(ex, reply.status, reply.text, { 'Content-Type': contentType, ...rateLimit })
  sendEmpty(ex, reply.status, rateLimit)
}

export function safeDecode(text: string): string | null {
  try {
    return decodeURIComponent(text)
  } catch {
    return null
  }
}

export function notFound(pathname: string): ApiFailure {
  return new ApiFailure(404, 'RESOURCE_NOT_FOUND', `Cannot find resource ${pathname}.`, [pathname])
}
