import { request, type Dispatcher } from 'undici'
import type { Clock } from '../clock.js'
import { AtlasUnreachableError } from './errors.js'
import { header, type HttpRequest, type HttpResponse } from './http.js'

/** Larger answers are refused: no endpoint used here legitimately returns more. */
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024

/** A named time limit: the step's `timeout-seconds`, or a wait's own while it runs. */
interface BudgetLimit {
  deadline: number
  seconds: number
  /** What the limit is called in messages: "the step's budget of 60 s (timeout-seconds)". */
  description: string
}

/** The step's time budget (`timeout-seconds`): every round trip and every wait fits in it. */
export class Budget {
  private limit: BudgetLimit

  constructor(
    readonly timeoutSeconds: number,
    private readonly clock: Clock
  ) {
    this.limit = {
      deadline: clock.now() + timeoutSeconds * 1000,
      seconds: timeoutSeconds,
      description: `the step's budget of ${timeoutSeconds} s (timeout-seconds)`
    }
  }

  remainingMs(): number {
    return this.limit.deadline - this.clock.now()
  }

  /** The limit in force, as messages name it. */
  get description(): string {
    return this.limit.description
  }

  /**
   * Runs `work` under a limit of its own (a wait with its own budget): until `deadlineMs`, earlier
   * or later than the step's, every request, retry and pause of `work` must end. Afterwards the
   * step's deadline holds again, moved to `deadlineMs` if that is later, as a wait that ran long
   * leaves the step's last requests (the post step has a budget of its own).
   */
  async within<T>(
    deadlineMs: number,
    seconds: number,
    input: string,
    work: () => Promise<T>
  ): Promise<T> {
    const outer = this.limit
    // Whole milliseconds: undici refuses fractional timeouts.
    const deadline = Math.ceil(deadlineMs)
    this.limit = { deadline, seconds, description: `the wait's budget of ${seconds} s (${input})` }
    try {
      return await work()
    } finally {
      this.limit = { ...outer, deadline: Math.max(outer.deadline, deadline) }
    }
  }

  spent(what: string): AtlasUnreachableError {
    return new AtlasUnreachableError(`${what}: no answer within ${this.limit.description}.`)
  }
}

export interface TransportOptions {
  baseUrl: string
  dispatcher: Dispatcher
  budget: Budget
  clock: Clock
  userAgent: string
  debug(message: string): void
}

/** One HTTP round trip within the remaining budget; the body is read whole, up to a cap. */
export class Transport {
  /** HTTP round trips sent, challenges and retries included (reported in debug and the benchmark). */
  requestCount = 0
  /** `RateLimit-Remaining` of the latest answer that carried one (Atlas may leave it out). */
  rateLimitRemaining: number | undefined

  constructor(private readonly options: TransportOptions) {}

  get budget(): Budget {
    return this.options.budget
  }

  get baseUrl(): string {
    return this.options.baseUrl
  }

  async send(exchange: HttpRequest): Promise<HttpResponse> {
    const { budget, clock } = this.options
    const remaining = budget.remainingMs()
    if (remaining <= 0) throw budget.spent(`${exchange.method} ${exchange.target}`)
    const started = clock.now()
    this.requestCount += 1
    const response = await request(new URL(exchange.target, this.options.baseUrl), {
      dispatcher: this.options.dispatcher,
      method: exchange.method as Dispatcher.HttpMethod,
      headers: { 'user-agent': this.options.userAgent, ...exchange.headers },
      body: exchange.body,
      // Every phase ends with the step's budget: the signal covers connecting, the timeouts name the phase.
      signal: AbortSignal.timeout(remaining),
      headersTimeout: remaining,
      bodyTimeout: remaining
    })
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of response.body) {
      size += (chunk as Buffer).length
      if (size > MAX_RESPONSE_BYTES) {
        response.body.destroy()
        throw new AtlasUnreachableError(
          `${exchange.method} ${exchange.target} answered more than ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB; refused.`
        )
      }
      chunks.push(chunk as Buffer)
    }
    this.options.debug(
      `${exchange.method} ${exchange.target} → ${response.statusCode} (${clock.now() - started} ms)`
    )
    const remainingHeader = header(response.headers, 'ratelimit-remaining')
    if (remainingHeader !== undefined && /^\d+$/.test(remainingHeader.trim()))
      this.rateLimitRemaining = Number(remainingHeader.trim())
    return {
      status: response.statusCode,
      headers: response.headers,
      text: Buffer.concat(chunks).toString('utf8')
    }
  }
}

/** Node and undici error codes of a failed round trip (the cause's code first). */
export function networkErrorCode(error: unknown): string | undefined {
  const err = error as { code?: unknown; cause?: { code?: unknown } } | null
  const code = err?.cause?.code ?? err?.code
  return typeof code === 'string' ? code : undefined
}

/** Failures to connect: nothing of the request reached the server. */
const CONNECT_FAILURES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT'
])

/** Failures during or after sending: the server may have acted on the request. */
const EXCHANGE_FAILURES = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT'
])

export function isTlsFailure(code: string): boolean {
  return code.startsWith('ERR_TLS') || /CERT|SELF_SIGNED|UNABLE_TO/.test(code)
}

export type NetworkFailure =
  /** Nothing was sent; another try may connect. */
  | 'connect'
  /** The request may have reached the server; its answer was lost. */
  | 'exchange'
  /** Another try will not mend it: an untrusted certificate, a host that does not exist. */
  | 'permanent'

/** undici codes for a request the client itself got wrong: not a network failure. */
const USAGE_ERRORS = new Set([
  'UND_ERR_INVALID_ARG',
  'UND_ERR_INVALID_RETURN_VALUE',
  'UND_ERR_NOT_SUPPORTED',
  'UND_ERR_ABORTED'
])

/**
 * What kind of network failure an error is, or undefined when it is not one (a bug, a protocol
 * problem): only errors that carry a Node system error code or an undici error code qualify.
 */
export function classifyNetworkError(error: unknown): NetworkFailure | undefined {
  const code = networkErrorCode(error)
  if (!code || USAGE_ERRORS.has(code)) return undefined
  if (code === 'ENOTFOUND' || isTlsFailure(code)) return 'permanent'
  if (CONNECT_FAILURES.has(code)) return 'connect'
  if (EXCHANGE_FAILURES.has(code) || /^E[A-Z]+$/.test(code) || code.startsWith('UND_ERR_'))
    return 'exchange'
  return undefined
}

export function isTimeout(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name
  return name === 'TimeoutError' || name === 'AbortError'
}

/** A short, secret-free description of a network failure. */
export function describeNetworkError(error: unknown): string {
  const err = error as { message?: string; cause?: { message?: string } } | null
  const code = networkErrorCode(error)
  const known: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'DNS lookup failed',
    ETIMEDOUT: 'connection timed out',
    EPIPE: 'connection closed while sending',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    UND_ERR_SOCKET: 'connection closed before an answer',
    UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
    UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
    UND_ERR_BODY_TIMEOUT: 'response body stalled',
    UND_ERR_CLOSED: 'connection closed'
  }
  if (code && known[code]) return known[code]
  if (code && isTlsFailure(code)) {
    return `TLS failure (${code}): the server's certificate is not trusted; if a proxy or private CA is in between, point NODE_EXTRA_CA_CERTS at its CA certificate`
  }
  const message = err?.cause?.message ?? err?.message ?? String(error)
  return `network error${code ? ` (${code})` : ''}: ${message.slice(0, 200)}`
}

/** The proxy's answer to CONNECT when it refused the tunnel (undici words it in the message). */
export function proxyRefusal(error: unknown): number | undefined {
  const message = (error as { message?: unknown } | null)?.message
  const match =
    typeof message === 'string' ? /Proxy response \((\d{3})\) !== 200/.exec(message) : null
  return match ? Number(match[1]) : undefined
}
