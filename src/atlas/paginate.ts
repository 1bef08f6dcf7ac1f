import type { AtlasClient } from './client.js'

/** The largest page Atlas serves, so most lists take one request. */
export const PAGE_SIZE = 500
const MAX_PAGES = 1000

interface Page<T> {
  results?: T[]
  totalCount?: number
  links?: Array<{ rel?: string; href?: string }>
}

/**
 * Every item of a paginated list. Follows the `next` link or `totalCount`; a page shorter than
 * asked for is not taken as the end (Atlas's `totalCount` is an estimate and pages may be short).
 */
export async function listAll<T>(
  client: AtlasClient,
  path: string,
  parse: (text: string) => unknown = JSON.parse
): Promise<T[]> {
  const items: T[] = []
  for (let pageNum = 1; pageNum <= MAX_PAGES; pageNum++) {
    const response = await client.call('GET', path, {
      query: { itemsPerPage: PAGE_SIZE, pageNum, includeCount: true }
    })
    const page = parse(response.text) as Page<T>
    const results = Array.isArray(page.results) ? page.results : []
    items.push(...results)
    const hasNext = page.links?.some(link => link.rel === 'next') ?? false
    const countSaysMore = typeof page.totalCount === 'number' && items.length < page.totalCount
    if (results.length === 0 || (!hasNext && !countSaysMore)) break
  }
  return items
}
