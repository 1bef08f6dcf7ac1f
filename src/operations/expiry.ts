import type { OperationContext } from './operation.js'

const DAY_MS = 86_400_000

/** Whole days from now until an ISO date (negative once past). */
export function daysUntil(iso: string, now: number): number {
  return Math.floor((Date.parse(iso) - now) / DAY_MS)
}
/** The runner shows at most 10 warnings per step: keep room for one that sums up the rest. */
const MAX_WARNINGS = 9

/** A warning for each item that expires within `days`; past nine, one warning sums up the rest. */
export function warnAboutExpiry(
  ctx: OperationContext,
  items: ReadonlyArray<{ name: string; notAfter: string }>,
  days: number,
  advice: string
): number {
  const now = ctx.clock.now()
  const soon = items.filter(item => Date.parse(item.notAfter) - now <= days * DAY_MS)
  soon.slice(0, MAX_WARNINGS).forEach(item => {
    const left = Math.max(0, daysUntil(item.notAfter, now))
    ctx.io.warning(
      `${item.name} expires at ${item.notAfter} (in ${left} day${left === 1 ? '' : 's'}); ${advice}.`,
      'Certificate expires soon'
    )
  })
  if (soon.length > MAX_WARNINGS) {
    ctx.io.warning(
      `${soon.length - MAX_WARNINGS} more expire within ${days} days; see the step summary.`,
      'Certificate expires soon'
    )
  }
  return soon.length
}
