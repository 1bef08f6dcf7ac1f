import { ApiFailure } from './json.js'

/** The only version the X.509 endpoints exist in. */
export const RESOLVED_VERSION = '2023-01-01'
export const VERSIONED_JSON = `application/vnd.atlas.${RESOLVED_VERSION}+json`

const versionedType = /^application\/vnd\.atlas\.(\d{4})-(\d{2})-(\d{2})\+json$/i

/**
 * Atlas resolves the newest version on or before the date in the Accept header; for these
 * endpoints that is always 2023-01-01, so any real date from 2023-01-01 up to today works.
 */
export function checkVersionedAccept(accept: string | undefined, now: Date): void {
  const ok = (accept ?? '').split(',').some(item => {
    const match = versionedType.exec((item.split(';')[0] ?? '').trim())
    if (!match) return false
    const [, y, m, d] = match.map(Number) as [number, number, number, number]
    const date = new Date(Date.UTC(y, m - 1, d))
    const real =
      date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d
    return real && date >= new Date(Date.UTC(2023, 0, 1)) && date <= now
  })
  if (!ok) {
    throw new ApiFailure(
      406,
      'INVALID_VERSION_DATE',
      `Invalid accept header or version date: ${accept ?? '(none)'}. This resource requires a ` +
        `versioned Accept header such as ${VERSIONED_JSON}.`,
      [accept ?? '']
    )
  }
}
