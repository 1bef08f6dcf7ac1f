import type { Clock } from '../clock.js'
import { describeAnswer, errorForAnswer } from './answers.js'
import {
  AtlasApiError,
  AtlasUnreachableError,
  OutcomeUnknownError,
  ProxyRefusedError
} from './errors.js'
import { header, type HttpResponse } from './http.js'
import {
  classifyNetworkError,
  describeNetworkError,
  isTimeout,
  networkErrorCode,
  proxyRefusal,
  type Budget
} from './transport.js'

/**
 * When a request may be sent again.
 * - `retry-safe`: reads, and writes whose repeat Atlas tells apart (a repeated create answers 409):
 *   429, 5xx and network failures are retried.
 * - `no-repeat`: writes that restart every cluster of a project. Retried only on 429 and when the
 *   connection failed before anything was sent; any other failure leaves the outcome unknown.
 */
export type RetryPolicy = 'retry-safe' | 'no-repeat'

/** Backoff for retried Atlas requests: exponential with full jitter, capped. */
export interface BackoffPolicy {
  baseDelayMs: number
  maxDelayMs: number
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseDelayMs: 1000, maxDelayMs: 20_000 }

/** Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): uniform in [0, cap]. */
export function backoffDelayMs(retry: number, policy: BackoffPolicy, random: () => number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry)
  return Math.floor(random() * cap)
}

/** `Retry-After` as milliseconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const date = Date.parse(text)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - nowMs)
}

/** Statuses worth another try: rate limits and server-side failures (501 will not change). */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501 && status !== 505)
}

export interface Retrier {
  maxRetries: number
  budget: Budget
  clock: Clock
  random: () => number
  backoff: BackoffPolicy
  debug(message: string): void
  notice(message: string): void
  /** Resolves redirect targets in error messages. */
  baseUrl: string
  /**
   * Shared by every request of the step: after a 429 with Retry-After, requests in parallel hold
   * back until then too, instead of each spending a try on the same limit.
   */
  pause: { until: number }
}

// Connecting, headers and body are each given what is left of the budget: their timeouts mean it is spent.
const BUDGET_TIMEOUTS = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT'
])

const attempts = (n: number) => `after ${n} attempt${n === 1 ? '' : 's'}`

/**
 * The one retry loop: runs an attempt, then retries as the policy allows, within max-retries and
 * the step's budget, honouring Retry-After. Errors that are not network failures are rethrown at once.
 */
export async function withRetries(
  label: string,
  policy: RetryPolicy,
  retrier: Retrier,
  attempt: () => Promise<HttpResponse>
): Promise<HttpResponse> {
  const { budget, clock, maxRetries } = retrier
  const maxAttempts = maxRetries + 1
  for (let attemptNumber = 1; ; attemptNumber++) {
    const held = retrier.pause.until - clock.now()
    if (held > 0) {
      if (held >= budget.remainingMs()) throw budget.spent(label)
      await clock.sleep(held)
    }
    let response: HttpResponse
    try {
      response = await attempt()
    } catch (error) {
      const refusedWith = proxyRefusal(error)
      if (refusedWith !== undefined) throw new ProxyRefusedError(refusedWith)
      if (isTimeout(error) || BUDGET_TIMEOUTS.has(networkErrorCode(error) ?? ''))
        throw budget.spent(label)
      const failure = classifyNetworkError(error)
      if (!failure) throw error
      if (budget.remainingMs() <= 0) throw budget.spent(label)
      const reason = `${label}: ${describeNetworkError(error)} (${attempts(attemptNumber)})`
      if (failure === 'exchange' && policy === 'no-repeat') {
        throw new OutcomeUnknownError(
          `${reason}. The request may have reached Atlas; it is not sent again, since a repeat would restart the clusters a second time.`
        )
      }
      if (attemptNumber >= maxAttempts || failure === 'permanent') {
        throw new AtlasUnreachableError(`${reason}.`)
      }
      const wait = backoffDelayMs(attemptNumber - 1, retrier.backoff, retrier.random)
      if (wait >= budget.remainingMs()) {
        throw new AtlasUnreachableError(
          `${reason}; no time left for another try within ${budget.description}.`
        )
      }
      retrier.debug(`${reason}; retry ${attemptNumber} of ${maxRetries} in ${wait} ms`)
      await clock.sleep(wait)
      continue
    }
    if (!isRetryableStatus(response.status)) return response
    if (policy === 'no-repeat' && response.status !== 429) {
      const error = errorForAnswer(response, retrier.baseUrl)
      throw new OutcomeUnknownError(
        `${label} answered ${describeAnswer(response)}: ${error instanceof AtlasApiError ? error.detail : error.message} The request may have taken effect; it is not sent again, since a repeat would restart the clusters a second time.`,
        { cause: error }
      )
    }
    if (attemptNumber >= maxAttempts) return response
    const retryAfterMs = parseRetryAfter(header(response.headers, 'retry-after'), clock.now())
    const wait = retryAfterMs ?? backoffDelayMs(attemptNumber - 1, retrier.backoff, retrier.random)
    if (wait >= budget.remainingMs()) {
      throw withBudgetNote(
        errorForAnswer(response, retrier.baseUrl),
        `Not retried: waiting ${Math.ceil(wait / 1000)} s${retryAfterMs === undefined ? '' : ' as Retry-After asks'} would pass ${budget.description}.`
      )
    }
    const message = `${label}: ${describeAnswer(response)}; retry ${attemptNumber} of ${maxRetries} in ${(wait / 1000).toFixed(1)} s${retryAfterMs === undefined ? '' : ' (Retry-After)'}`
    if (response.status === 429) {
      // The notice's title names the service (Atlas or GitHub rate limit).
      retrier.notice(message)
      if (retryAfterMs !== undefined)
        retrier.pause.until = Math.max(retrier.pause.until, clock.now() + wait)
    } else retrier.debug(message)
    await clock.sleep(wait)
  }
}

function withBudgetNote(error: Error, note: string): Error {
  if (error instanceof AtlasApiError) {
    return new AtlasApiError(
      error.status,
      error.errorCode,
      `${error.detail} ${note}`,
      error.retryAfterMs
    )
  }
  return new AtlasUnreachableError(`${error.message} ${note}`)
}
