import { MAX_TEMPORARY_MS, parseEntryValue, type AccessListEntryState } from '../accessList.js'
import { ApiFailure } from '../json.js'
import {
  groupApiUrl,
  invalidAttribute,
  readJsonBody,
  type Reply,
  type RouteContext
} from './context.js'
import { paginate } from './pagination.js'

const MAX_COMMENT = 80

function entryView(ctx: RouteContext, entry: AccessListEntryState): Record<string, unknown> {
  return {
    [entry.cidr ? 'cidrBlock' : 'ipAddress']: entry.value,
    ...(entry.comment !== undefined ? { comment: entry.comment } : {}),
    ...(entry.deleteAfterDate ? { deleteAfterDate: entry.deleteAfterDate } : {}),
    groupId: ctx.project.groupId,
    links: [
      {
        href: groupApiUrl(ctx, `/accessList/${encodeURIComponent(entry.value)}`),
        rel: 'self'
      }
    ]
  }
}

function entryNotFound(ctx: RouteContext, value: string): ApiFailure {
  return new ApiFailure(
    404,
    'ATLAS_NETWORK_PERMISSION_ENTRY_NOT_FOUND',
    `IP address ${value} not on Atlas access list for group ${ctx.project.groupId}.`,
    [value, ctx.project.groupId]
  )
}

function listedEntry(ctx: RouteContext): AccessListEntryState {
  const value = ctx.params.entryValue ?? ''
  const entry = ctx.project.accessList.get(value, ctx.now.getTime())
  if (!entry) throw entryNotFound(ctx, value)
  return entry
}

/** GET …/accessList: every entry, paged. */
export function listAccessList(ctx: RouteContext): Reply {
  const page = paginate(ctx, ctx.project.accessList.list(ctx.now.getTime()))
  return { status: 200, json: { ...page, results: page.results.map(e => entryView(ctx, e)) } }
}

/** The `deleteAfterDate` of a new entry: later than now, at most one week ahead. */
function checkDeleteAfter(raw: unknown, nowMs: number): string | undefined {
  if (raw === undefined) return undefined
  const when = typeof raw === 'string' ? Date.parse(raw) : NaN
  if (Number.isNaN(when)) throw invalidAttribute('deleteAfterDate', 'not an ISO 8601 date-time.')
  if (when <= nowMs)
    throw new ApiFailure(
      400,
      'EXPIRATION_DATE_IN_PAST',
      'The expiration date cannot be in the past.',
      []
    )
  if (when > nowMs + MAX_TEMPORARY_MS)
    throw new ApiFailure(
      400,
      'EXPIRATION_DATE_EXCEEDS_MAX',
      'The expiration date cannot be more than one week in the future.',
      []
    )
  return raw as string
}

/** POST …/accessList: an array of entries, each an ipAddress or a cidrBlock. */
export function addAccessListEntries(ctx: RouteContext): Reply {
  const body = readJsonBody(ctx)
  if (!Array.isArray(body) || body.length === 0)
    throw new ApiFailure(400, 'MALFORMED_JSON', 'Received JSON is malformed: expected an array.')
  const nowMs = ctx.now.getTime()
  const delayMs = ctx.server.options.accessListActivationMs
  const accepted: AccessListEntryState[] = body.map(raw => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw new ApiFailure(400, 'MALFORMED_JSON', 'Received JSON is malformed: expected objects.')
    const item = raw as Record<string, unknown>
    const given = ['ipAddress', 'cidrBlock', 'awsSecurityGroup'].filter(k => item[k] !== undefined)
    if (given.length !== 1)
      throw invalidAttribute(
        'ipAddress',
        'give exactly one of ipAddress, cidrBlock, awsSecurityGroup.'
      )
    if (given[0] === 'awsSecurityGroup')
      throw invalidAttribute('awsSecurityGroup', 'AWS security groups are not modelled.')
    const cidr = given[0] === 'cidrBlock'
    const value = item[given[0]!]
    const parsed = typeof value === 'string' ? parseEntryValue(value) : undefined
    if (!parsed || (cidr ? parsed.prefix === undefined : parsed.prefix !== undefined))
      throw new ApiFailure(
        400,
        cidr ? 'INVALID_CIDR_BLOCK' : 'INVALID_IP_ADDRESS',
        `${String(value)} is not a valid ${cidr ? 'CIDR block' : 'IP address'}.`,
        [String(value)]
      )
    if (
      item.comment !== undefined &&
      (typeof item.comment !== 'string' || item.comment.length > MAX_COMMENT)
    )
      throw invalidAttribute('comment', `at most ${MAX_COMMENT} characters.`)
    const deleteAfterDate = checkDeleteAfter(item.deleteAfterDate, nowMs)
    const existing = ctx.project.accessList.get(value as string, nowMs)
    if (existing && !existing.deleteAfterDate && deleteAfterDate)
      throw new ApiFailure(
        400,
        'PERMANENT_ENTITY_CANNOT_BE_MADE_TEMPORARY',
        `The permanent access list entry ${String(value)} cannot be made temporary.`,
        [String(value)]
      )
    return {
      value: value as string,
      cidr,
      ...(typeof item.comment === 'string' ? { comment: item.comment } : {}),
      ...(deleteAfterDate ? { deleteAfterDate } : {}),
      activeAt: existing && existing.activeAt <= nowMs ? existing.activeAt : nowMs + delayMs
    }
  })
  // Validated as a whole first: a refused body changes nothing.
  for (const entry of accepted) ctx.project.accessList.put(entry)
  return listAccessList(ctx)
}

/** GET …/accessList/{entryValue}. */
export function getAccessListEntry(ctx: RouteContext): Reply {
  return { status: 200, json: entryView(ctx, listedEntry(ctx)) }
}

/** DELETE …/accessList/{entryValue}: 204, or 404 when it is not listed. */
export function deleteAccessListEntry(ctx: RouteContext): Reply {
  const value = ctx.params.entryValue ?? ''
  if (!ctx.project.accessList.delete(value, ctx.now.getTime())) throw entryNotFound(ctx, value)
  return { status: 204 }
}

/** GET …/accessList/{entryValue}/status: PENDING until the activation delay has passed. */
export function getAccessListStatus(ctx: RouteContext): Reply {
  const entry = listedEntry(ctx)
  return {
    status: 200,
    json: { STATUS: ctx.now.getTime() >= entry.activeAt ? 'ACTIVE' : 'PENDING' }
  }
}
