/** Dates from outside (Atlas fields, labels) are read strictly, then written by this action. */

const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?Z$/

/**
 * The time of a strict ISO 8601 UTC date-time, `YYYY-MM-DDTHH:MM:SS(.sss)Z`, or undefined for
 * anything else. `Date.parse` alone is too lenient: it takes `1`, `Jan 1 1970` or `2024-02-30`.
 */
export function parseIsoUtc(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined
  const match = ISO_UTC.exec(value)
  if (!match) return undefined
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number
  ]
  const millis = Number((match[7] ?? '').padEnd(3, '0'))
  const time = Date.UTC(year, month - 1, day, hour, minute, second, millis)
  const date = new Date(time)
  // Date.UTC rolls 30 February over into March: a date that does not round-trip does not exist.
  const exists =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second
  return exists ? time : undefined
}

/** A strict ISO 8601 UTC date re-written as `toISOString` does, or undefined. */
export function normalisedIsoUtc(value: unknown): string | undefined {
  const time = parseIsoUtc(value)
  return time === undefined ? undefined : new Date(time).toISOString()
}
