import { ApiFailure } from './json.js'

/** The version a route serves when it declares none: the X.509 endpoints exist only in it. */
export const BASE_VERSION = '2023-01-01'

export function versionedJson(version: string): string {
  return `application/vnd.atlas.${version}+json`
}

const versionedType = /^application\/vnd\.atlas\.(\d{4})-(\d{2})-(\d{2})\+json$/i

function invalidVersion(accept: string | undefined, example: string): ApiFailure {
  return new ApiFailure(
    406,
    'INVALID_VERSION_DATE',
    `Invalid accept header or version date: ${accept ?? '(none)'}. This resource requires a ` +
      `versioned Accept header such as ${versionedJson(example)}.`,
    [accept ?? '']
  )
}

/**
 * The version dates a v2 request asks for: every real date from 2023-01-01 up to today in an
 * `application/vnd.atlas.<date>+json` item of the Accept header. None: 406 INVALID_VERSION_DATE.
 */
export function checkVersionedAccept(accept: string | undefined, now: Date): string[] {
  const dates = (accept ?? '').split(',').flatMap(item => {
    const match = versionedType.exec((item.split(';')[0] ?? '').trim())
    if (!match) return []
    const [, y, m, d] = match.map(Number) as [number, number, number, number]
    const date = new Date(Date.UTC(y, m - 1, d))
    const real =
      date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d
    const inRange = date >= new Date(Date.UTC(2023, 0, 1)) && date <= now
    return real && inRange ? [date.toISOString().slice(0, 10)] : []
  })
  if (dates.length === 0) throw invalidVersion(accept, BASE_VERSION)
  return dates
}

/**
 * Atlas resolves the newest version a resource serves on or before the requested date (the
 * first Accept item that resolves wins). `served` is ascending; none on or before: 406.
 */
export function resolveVersion(
  requested: string[],
  served: string[],
  accept: string | undefined
): string {
  for (const date of requested) {
    const version = served.filter(v => v <= date).at(-1)
    if (version) return version
  }
  throw invalidVersion(accept, served.at(-1) ?? BASE_VERSION)
}
