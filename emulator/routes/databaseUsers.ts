import { ApiFailure } from '../json.js'
import { normalizeUser } from '../state.js'
import type { DatabaseUser } from '../types.js'
import {
  groupApiUrl,
  requireJsonObject,
  usernameNotFound,
  type Reply,
  type RouteContext
} from './context.js'
import { paginate } from './pagination.js'
import { groupMismatch, validateNewUser } from './userValidation.js'

/**
 * A stored user as Atlas returns it: with links, never with a password, and without groupId
 * (writeOnly in CloudDatabaseUser: required in a create body, not part of an answer).
 */
function userView(ctx: RouteContext, user: DatabaseUser): Record<string, unknown> {
  const path = `/databaseUsers/${encodeURIComponent(user.databaseName)}/${encodeURIComponent(user.username)}`
  const view: Partial<DatabaseUser> = { ...user }
  delete view.groupId
  return { ...view, links: [{ href: groupApiUrl(ctx, path), rel: 'self' }] }
}

export function createUser(ctx: RouteContext): Reply {
  const input = validateNewUser(requireJsonObject(ctx), ctx.project.groupId, ctx.now)
  if (ctx.project.getUser(input.databaseName, input.username)) {
    throw new ApiFailure(
      409,
      'USER_ALREADY_EXISTS',
      `A user with username ${input.username} already exists.`,
      [input.username]
    )
  }
  const limit = ctx.project.userLimit
  if (ctx.project.users().length >= limit) {
    throw new ApiFailure(
      403,
      'GROUP_USERS_LIMIT_EXCEEDED',
      `Groups can contain at most ${limit} database users.`,
      [limit]
    )
  }
  const user = normalizeUser(ctx.project.groupId, input)
  const nowMs = ctx.now.getTime()
  ctx.project.scheduleUserChange(user, undefined, nowMs, ctx.server.options.applyDelayMs)
  ctx.project.putUser(user)
  return { status: 201, json: userView(ctx, user) }
}

export function listUsers(ctx: RouteContext): Reply {
  const page = paginate(ctx, ctx.project.users())
  return { status: 200, json: { ...page, results: page.results.map(u => userView(ctx, u)) } }
}

function existingUser(ctx: RouteContext): DatabaseUser {
  const username = ctx.params.username ?? ''
  const user = ctx.project.getUser(ctx.params.databaseName ?? '', username)
  if (!user) throw usernameNotFound(username)
  return user
}

export function getUser(ctx: RouteContext): Reply {
  return { status: 200, json: userView(ctx, existingUser(ctx)) }
}

export function deleteUser(ctx: RouteContext): Reply {
  const user = existingUser(ctx)
  const nowMs = ctx.now.getTime()
  ctx.project.scheduleUserChange(user, user, nowMs, ctx.server.options.applyDelayMs)
  ctx.project.deleteUser(user.databaseName, user.username)
  return { status: 204 }
}

const immutable: Array<[keyof DatabaseUser, string]> = [
  ['username', 'DATABASE_USERNAME_CANNOT_BE_CHANGED'],
  ['databaseName', 'DATABASE_NAME_CANNOT_BE_CHANGED'],
  ['x509Type', 'AUTH_TYPE_CANNOT_BE_CHANGED'],
  ['awsIAMType', 'AUTH_TYPE_CANNOT_BE_CHANGED'],
  ['ldapAuthType', 'AUTH_TYPE_CANNOT_BE_CHANGED'],
  ['oidcAuthType', 'AUTH_TYPE_CANNOT_BE_CHANGED']
]

/** PATCH: roles, scopes, labels and description may change; identity and auth type may not. */
export function updateUser(ctx: RouteContext): Reply {
  const user = existingUser(ctx)
  const patch = requireJsonObject(ctx)
  for (const [field, errorCode] of immutable) {
    if (patch[field] !== undefined && patch[field] !== user[field]) {
      throw new ApiFailure(409, errorCode, `The attribute ${field} cannot be changed.`, [field])
    }
  }
  if (patch.groupId !== undefined && patch.groupId !== ctx.project.groupId) {
    throw groupMismatch(patch.groupId, ctx.project.groupId)
  }
  const merged = validateNewUser(
    { ...user, ...patch, groupId: ctx.project.groupId },
    ctx.project.groupId,
    ctx.now
  )
  const updated = normalizeUser(ctx.project.groupId, merged)
  ctx.project.putUser(updated)
  return { status: 200, json: userView(ctx, updated) }
}
