import { ApiFailure } from '../json.js'
import type { RouteContext } from './context.js'

interface Link {
  href: string
  rel: string
}

/** What paging reads of a request: its query, the server's page cap, and where links point. */
export type PagingContext = Pick<RouteContext, 'query' | 'server' | 'baseUrl' | 'pathname'>

export interface Page<T> {
  links: Link[]
  results: T[]
  totalCount?: number
}

function integerParam(
  ctx: PagingContext,
  name: string,
  fallback: number,
  min: number,
  max: number
) {
  const raw = ctx.query.get(name)
  if (raw === null) return fallback
  const value = Number(raw)
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw invalidQuery(name, raw, `an integer from ${min} to ${max}`)
  }
  return value
}

function booleanParam(ctx: PagingContext, name: string, fallback: boolean): boolean {
  const raw = ctx.query.get(name)
  if (raw === null) return fallback
  if (raw !== 'true' && raw !== 'false') throw invalidQuery(name, raw, 'true or false')
  return raw === 'true'
}

/** Atlas's error code for a query parameter out of its bounds (error-code reference). */
function invalidQuery(name: string, raw: string, expected: string): ApiFailure {
  return new ApiFailure(
    400,
    'INVALID_QUERY_PARAMETER',
    `Invalid query parameter ${name}: ${raw} (expected ${expected}).`,
    [name, raw]
  )
}

/** Atlas list paging: itemsPerPage 1–500 (100), pageNum ≥ 1 (1), includeCount (true). */
export function paginate<T>(ctx: PagingContext, items: T[]): Page<T> {
  const asked = integerParam(ctx, 'itemsPerPage', 100, 1, 500)
  const itemsPerPage = Math.min(asked, ctx.server.options.maxPageSize)
  const pageNum = integerParam(ctx, 'pageNum', 1, 1, Number.MAX_SAFE_INTEGER)
  const includeCount = booleanParam(ctx, 'includeCount', true)
  const start = (pageNum - 1) * itemsPerPage
  const href = (page: number) =>
    `${ctx.baseUrl}${ctx.pathname}?pageNum=${page}&itemsPerPage=${itemsPerPage}`
  const links: Link[] = []
  if (pageNum > 1) links.push({ href: href(pageNum - 1), rel: 'previous' })
  links.push({ href: href(pageNum), rel: 'self' })
  if (start + itemsPerPage < items.length) links.push({ href: href(pageNum + 1), rel: 'next' })
  return {
    links,
    results: items.slice(start, start + itemsPerPage),
    ...(includeCount ? { totalCount: items.length } : {})
  }
}
