import { request, type Dispatcher } from 'undici'
import type { Credentials } from '../config.js'
import { BearerAuth, DigestAuth, type AuthMethod } from './auth.js'
import { AtlasApiError, AtlasUnreachableError, decodeApiError } from './errors.js'
import { basicAuthorization, readAccessToken, TOKEN_REQUEST_BODY } from './oauth.js'
import {
  backoffDelayMs,
  DEFAULT_BACKOFF,
  isRetryableStatus,
  parseRetryAfter,
  type BackoffPolicy
} from './retry.js'

/** The one Atlas API version the endpoints this action uses exist in. */
export const ATLAS_MEDIA_TYPE = 'application/vnd.atlas.2023-01-01+json'
export const API_PREFIX = '/api/atlas/v2'
/** Larger answers are refused: no endpoint used here legitimately returns more. */
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024

export interface Clock {
  now(): number
  sleep(ms: number): Promise<void>
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: ms => new Promise(resolve => setTimeout(resolve, ms))
}

export interface ClientLog {
  debug(message: string): void
  notice(message: string): void
}

export interface AtlasClientOptions {
  baseUrl: string
  credentials: Credentials
  dispatcher: Dispatcher
  /** Epoch ms by which all API work must be over (`timeout-seconds`). */
  deadline: number
  timeoutSeconds: number
  maxRetries: number
  log: ClientLog
  /** Registers a value with the runner's log masking (the access token). */
  registerSecret: (value: string) => void
  clock?: Clock
  random?: () => number
  backoff?: BackoffPolicy
  userAgent?: string
}

export interface AtlasResponse {
  status: number
  contentType: string | undefined
  text: string
}

interface Exchange {
  method: string
  /** Path and query, as sent on the request line. */
  target: string
  headers: Record<string, string>
  body?: string
}

interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
}

/** Percent-encodes every interpolated value: `atlasPath\`/groups/${id}/databaseUsers/${name}\``. */
export function atlasPath(strings: TemplateStringsArray, ...values: string[]): string {
  return strings.reduce(
    (path, part, i) => path + part + (i < values.length ? encodeURIComponent(values[i]!) : ''),
    ''
  )
}

function header(headers: RawResponse['headers'], name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}

/**
 * The one way the action talks to Atlas: versioned headers, Digest or Bearer auth, retries with
 * backoff on 429/5xx/network errors, the step's time budget, and error decoding.
 */
export class AtlasClient {
  private readonly auth: AuthMethod
  private readonly clock: Clock
  private readonly random: () => number
  private readonly backoff: BackoffPolicy
  private readonly userAgent: string
  /** HTTP round trips sent, challenges and retries included (reported in debug and the benchmark). */
  requestCount = 0

  constructor(private readonly options: AtlasClientOptions) {
    this.clock = options.clock ?? systemClock
    this.random = options.random ?? Math.random
    this.backoff = options.backoff ?? DEFAULT_BACKOFF
    this.userAgent = options.userAgent ?? 'atlas-x509-action'
    const credentials = options.credentials
    this.auth =
      credentials.kind === 'api-key'
        ? new DigestAuth(credentials.publicKey, credentials.privateKey)
        : new BearerAuth(() => this.fetchToken(credentials.clientId, credentials.clientSecret))
  }

  /** Sends one API call; answers 2xx, or throws AtlasApiError / AtlasUnreachableError. */
  async call(
    method: string,
    path: string,
    options: { body?: unknown; query?: Record<string, string | number | boolean> } = {}
  ): Promise<AtlasResponse> {
    const query = options.query
      ? '?' +
        new URLSearchParams(
          Object.entries(options.query).map(([k, v]): [string, string] => [k, String(v)])
        ).toString()
      : ''
    const exchange: Exchange = {
      method,
      target: `${API_PREFIX}${path}${query}`,
      headers: { accept: ATLAS_MEDIA_TYPE },
      body: options.body === undefined ? undefined : JSON.stringify(options.body)
    }
    if (exchange.body !== undefined) exchange.headers['content-type'] = ATLAS_MEDIA_TYPE
    const response = await this.withRetries(`${method} ${exchange.target}`, () =>
      this.authenticated(exchange)
    )
    return this.checked(response)
  }

  /** Like call, for JSON answers. */
  async json<T>(
    method: string,
    path: string,
    options?: Parameters<AtlasClient['call']>[2]
  ): Promise<T> {
    const response = await this.call(method, path, options)
    try {
      return JSON.parse(response.text) as T
    } catch {
      throw new AtlasUnreachableError(
        `${method} ${path} answered ${response.status} with a body that is not JSON`
      )
    }
  }

  private async fetchToken(clientId: string, clientSecret: string): Promise<string> {
    const exchange: Exchange = {
      method: 'POST',
      target: '/api/oauth/token',
      headers: {
        authorization: basicAuthorization(clientId, clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json'
      },
      body: TOKEN_REQUEST_BODY
    }
    const response = this.checked(
      await this.withRetries('POST /api/oauth/token', () => this.send(exchange))
    )
    let token: string
    try {
      token = readAccessToken(response.text)
    } catch (error) {
      throw new AtlasUnreachableError(`Service account token: ${(error as Error).message}`)
    }
    this.options.registerSecret(token)
    return token
  }

  /** One attempt: the request, plus the Digest challenge round trip when the auth method needs one. */
  private async authenticated(exchange: Exchange): Promise<RawResponse> {
    for (let challenges = 0; ; challenges++) {
      const authorization = await this.auth.authorize(exchange.method, exchange.target)
      const headers = authorization ? { ...exchange.headers, authorization } : exchange.headers
      const response = await this.send({ ...exchange, headers })
      if (
        response.status === 401 &&
        challenges < 2 &&
        this.auth.acceptUnauthorized(
          response.headers['www-authenticate'],
          authorization !== undefined
        )
      ) {
        continue
      }
      return response
    }
  }

  private remainingMs(): number {
    return this.options.deadline - this.clock.now()
  }

  private budgetSpent(what: string): AtlasUnreachableError {
    return new AtlasUnreachableError(
      `${what}: no answer within the step's budget of ${this.options.timeoutSeconds} s (timeout-seconds).`
    )
  }

  /** One HTTP round trip within the remaining budget; the body is read whole, up to a cap. */
  private async send(exchange: Exchange): Promise<RawResponse> {
    const remaining = this.remainingMs()
    if (remaining <= 0) throw this.budgetSpent(`${exchange.method} ${exchange.target}`)
    const started = this.clock.now()
    this.requestCount += 1
    const response = await request(new URL(exchange.target, this.options.baseUrl), {
      dispatcher: this.options.dispatcher,
      method: exchange.method as Dispatcher.HttpMethod,
      headers: { 'user-agent': this.userAgent, ...exchange.headers },
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
    this.options.log.debug(
      `${exchange.method} ${exchange.target} → ${response.statusCode} (${this.clock.now() - started} ms)`
    )
    return {
      status: response.statusCode,
      headers: response.headers,
      text: Buffer.concat(chunks).toString('utf8')
    }
  }

  /** Runs one attempt, then retries on 429, 5xx and network errors within max-retries and the budget. */
  private async withRetries(
    label: string,
    attempt: () => Promise<RawResponse>
  ): Promise<RawResponse> {
    const maxAttempts = this.options.maxRetries + 1
    for (let attemptNumber = 1; ; attemptNumber++) {
      let response: RawResponse
      try {
        response = await attempt()
      } catch (error) {
        if (error instanceof AtlasUnreachableError || error instanceof AtlasApiError) throw error
        if (isTimeout(error) || this.remainingMs() <= 0) throw this.budgetSpent(label)
        const reason = describeNetworkError(error)
        const tries = `after ${attemptNumber} attempt${attemptNumber === 1 ? '' : 's'}`
        if (attemptNumber >= maxAttempts || isPermanentNetworkError(error)) {
          throw new AtlasUnreachableError(`${label}: ${reason} (${tries}).`)
        }
        const wait = backoffDelayMs(attemptNumber - 1, this.backoff, this.random)
        if (wait >= this.remainingMs()) {
          throw new AtlasUnreachableError(
            `${label}: ${reason} (${tries}); no time left for another try within timeout-seconds (${this.options.timeoutSeconds} s).`
          )
        }
        this.options.log.debug(
          `${label}: ${reason}; retry ${attemptNumber} of ${this.options.maxRetries} in ${wait} ms`
        )
        await this.clock.sleep(wait)
        continue
      }
      if (!isRetryableStatus(response.status) || attemptNumber >= maxAttempts) return response
      const retryAfterMs = parseRetryAfter(
        header(response.headers, 'retry-after'),
        this.clock.now()
      )
      const wait = retryAfterMs ?? backoffDelayMs(attemptNumber - 1, this.backoff, this.random)
      const decoded = decodeApiError(
        response.status,
        header(response.headers, 'content-type'),
        response.text
      )
      const what = decoded
        ? `${decoded.errorCode} (HTTP ${response.status})`
        : `HTTP ${response.status}`
      if (wait >= this.remainingMs()) {
        throw withBudgetNote(
          this.toError(response),
          `Not retried: waiting ${Math.ceil(wait / 1000)} s${retryAfterMs === undefined ? '' : ' as Retry-After asks'} would pass the step's budget of ${this.options.timeoutSeconds} s (timeout-seconds).`
        )
      }
      const message = `${label}: ${what}; retry ${attemptNumber} of ${this.options.maxRetries} in ${(wait / 1000).toFixed(1)} s${retryAfterMs === undefined ? '' : ' (Retry-After)'}`
      if (response.status === 429) this.options.log.notice(`Atlas rate limit: ${message}`)
      else this.options.log.debug(message)
      await this.clock.sleep(wait)
    }
  }

  private checked(response: RawResponse): AtlasResponse {
    if (response.status >= 200 && response.status < 300) {
      return {
        status: response.status,
        contentType: header(response.headers, 'content-type'),
        text: response.text
      }
    }
    throw this.toError(response)
  }

  private toError(response: RawResponse): Error {
    if (response.status >= 300 && response.status < 400) {
      const location = header(response.headers, 'location')
      let host = 'an unnamed location'
      try {
        if (location) host = new URL(location, this.options.baseUrl).host
      } catch {
        host = 'an invalid location'
      }
      return new AtlasUnreachableError(
        `Atlas answered HTTP ${response.status}, a redirect to ${host}. Redirects are not followed, so credentials never leave the configured base-url: check base-url and any proxy.`
      )
    }
    const contentType = header(response.headers, 'content-type')
    const decoded = decodeApiError(response.status, contentType, response.text)
    if (decoded) return decoded
    if (response.status === 401 && response.headers['www-authenticate']) {
      return new AtlasApiError(401, 'UNAUTHORIZED', 'Atlas refused the credentials.')
    }
    const kind = contentType ? contentType.split(';')[0] : 'untyped'
    return new AtlasUnreachableError(
      `HTTP ${response.status} with a ${kind} body that is not an Atlas answer (a proxy or load balancer in between?).`
    )
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

function networkErrorCode(error: unknown): string | undefined {
  const err = error as { code?: string; cause?: { code?: string } } | null
  return err?.cause?.code ?? err?.code
}

/** Failures another try will not mend: an untrusted certificate, a host that does not exist. */
function isPermanentNetworkError(error: unknown): boolean {
  const code = networkErrorCode(error) ?? ''
  return (
    code === 'ENOTFOUND' || code.startsWith('ERR_TLS') || /CERT|SELF_SIGNED|UNABLE_TO/.test(code)
  )
}

function isTimeout(error: unknown): boolean {
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
    UND_ERR_SOCKET: 'connection closed before an answer',
    UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
    UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
    UND_ERR_BODY_TIMEOUT: 'response body stalled',
    UND_ERR_CLOSED: 'connection closed'
  }
  if (code && known[code]) return known[code]!
  if (isPermanentNetworkError(error) && code !== 'ENOTFOUND') {
    return `TLS failure (${code}): the server's certificate is not trusted; if a proxy or private CA is in between, point NODE_EXTRA_CA_CERTS at its CA certificate`
  }
  const message = err?.cause?.message ?? err?.message ?? String(error)
  return `network error${code ? ` (${code})` : ''}: ${message.slice(0, 200)}`
}
