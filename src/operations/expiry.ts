import type { StepContext } from './operation.js'

const DAY_MS = 86_400_000

/** Whole days from now until an ISO date (negative once past). */
export function daysUntil(iso: string, now: number): number {
  return Math.floor((Date.parse(iso) - now) / DAY_MS)
}
/** The runner shows at most 10 warning annotations per step. */
export const MAX_WARNINGS_PER_STEP = 10

/**
 * A warning for each item that expires within `days`, within `maxWarnings` annotations: past
 * them, the last one sums up the rest.
 */
export function warnAboutExpiry(
  ctx: StepContext,
  items: ReadonlyArray<{ name: string; notAfter: string }>,
  days: number,
  advice: string,
  maxWarnings = MAX_WARNINGS_PER_STEP
): number {
  const now = ctx.clock.now()
  const soon = items.filter(item => Date.parse(item.notAfter) - now <= days * DAY_MS)
  // Room kept for the warning that sums up the rest.
  const named = Math.max(0, maxWarnings - 1)
  soon.slice(0, named).forEach(item => {
    const left = Math.max(0, daysUntil(item.notAfter, now))
    ctx.io.warning(
      `${item.name} expires at ${item.notAfter} (in ${left} day${left === 1 ? '' : 's'}); ${advice}.`,
      'Certificate expires soon'
    )
  })
  if (soon.length > named && maxWarnings > 0) {
    ctx.io.warning(
      `${soon.length - named} ${named > 0 ? 'more ' : ''}expire within ${days} days; see the step summary.`,
      'Certificate expires soon'
    )
  }
  return soon.length
}
