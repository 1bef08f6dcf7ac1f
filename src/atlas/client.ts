import type { Dispatcher } from 'undici'
import type { Clock } from '../clock.js'
import { BearerAuth, DigestAuth, type AuthMethod, type Credentials } from './auth/methods.js'
import { ClientCredentialsTokenSource, type AccessToken } from './auth/oauth.js'
import { errorForAnswer } from './answers.js'
import { AtlasProtocolError } from './errors.js'
import type { HttpRequest, HttpResponse } from './http.js'
import { DEFAULT_BACKOFF, withRetries, type Retrier, type RetryPolicy } from './retry.js'
import { Budget, Transport } from './transport.js'

export interface AtlasClientOptions {
  baseUrl: string
  credentials: Credentials
  dispatcher: Dispatcher
  /** The step's time budget, shared with the dispatcher. */
  budget: Budget
  maxRetries: number
  clock: Clock
  debug: (message: string) => void
  notice: (message: string) => void
  /** Registers a value with the runner's log masking (the access token). */
  registerSecret: (value: string) => void
  random?: () => number
  userAgent?: string
  /** Service accounts: a token the main step obtained, for the post step to reuse. */
  handedOverToken?: AccessToken
  /** Service accounts: called with each new access token (the main step hands it over). */
  onAccessToken?: (token: AccessToken) => void
}

export interface CallOptions {
  /** The API version of the resource (the versioned media type's date). */
  version: string
  body?: unknown
  query?: Record<string, string | number | boolean>
  retry?: RetryPolicy
}

export interface AtlasResponse {
  status: number
  text: string
}

/**
 * The one way the action talks to Atlas: the transport within the step's budget, Digest or
 * Bearer auth, the retry loop, and turning answers that are not 2xx into errors.
 */
export class AtlasClient {
  private readonly transport: Transport
  private readonly retrier: Retrier
  /** Idle signers: a request takes one and gives it back, so parallel requests never share a Digest nonce. */
  private readonly idleAuths: AuthMethod[] = []
  private readonly newAuth: () => AuthMethod
  private readonly tokens: ClientCredentialsTokenSource | undefined

  constructor(options: AtlasClientOptions) {
    const budget = options.budget
    this.transport = new Transport({
      baseUrl: options.baseUrl,
      dispatcher: options.dispatcher,
      budget,
      clock: options.clock,
      userAgent: options.userAgent ?? 'atlas-x509-action',
      debug: options.debug
    })
    this.retrier = {
      maxRetries: options.maxRetries,
      budget,
      clock: options.clock,
      random: options.random ?? Math.random,
      backoff: DEFAULT_BACKOFF,
      debug: options.debug,
      notice: options.notice,
      baseUrl: options.baseUrl,
      pause: { until: 0 }
    }
    const credentials = options.credentials
    if (credentials.kind === 'api-key') {
      // One Digest session (nonce and count) per request in flight: one in all for a sequential step.
      this.newAuth = () => new DigestAuth(credentials.publicKey, credentials.privateKey)
    } else {
      this.tokens = new ClientCredentialsTokenSource(
        credentials.clientId,
        credentials.clientSecret,
        // The token endpoint's requests carry their own Basic credential: sent unsigned.
        request => this.send(request, 'retry-safe', false),
        {
          clock: options.clock,
          registerSecret: options.registerSecret,
          handedOver: options.handedOverToken,
          onToken: options.onAccessToken
        }
      )
      const bearer = new BearerAuth(this.tokens)
      this.newAuth = () => bearer
    }
  }

  /** Revokes the service account's access tokens this step used (none for an API key). */
  revokeAccessTokens(): Promise<number> {
    return this.tokens ? this.tokens.revokeAll() : Promise.resolve(0)
  }

  get requestCount(): number {
    return this.transport.requestCount
  }

  /** Atlas's `RateLimit-Remaining` on the latest answer that carried it. */
  get rateLimitRemaining(): number | undefined {
    return this.transport.rateLimitRemaining
  }

  get baseUrl(): string {
    return this.transport.baseUrl
  }

  /** Runs `work` with requests (their retries, waits and connections) bounded by `deadlineMs` alone. */
  withinBudget<T>(
    deadlineMs: number,
    seconds: number,
    input: string,
    work: () => Promise<T>
  ): Promise<T> {
    return this.transport.budget.within(deadlineMs, seconds, input, work)
  }

  /**
   * Sends one API call to a path of the Atlas origin; answers 2xx, or throws AtlasApiError /
   * AtlasUnreachableError.
   */
  async call(method: string, path: string, options: CallOptions): Promise<AtlasResponse> {
    const query = options.query
      ? '?' +
        new URLSearchParams(
          Object.entries(options.query).map(([k, v]): [string, string] => [k, String(v)])
        ).toString()
      : ''
    const mediaType = `application/vnd.atlas.${options.version}+json`
    const exchange: HttpRequest = {
      method,
      target: `${path}${query}`,
      headers: { accept: mediaType },
      body: options.body === undefined ? undefined : JSON.stringify(options.body)
    }
    if (exchange.body !== undefined) exchange.headers['content-type'] = mediaType
    const response = await this.send(exchange, options.retry ?? 'retry-safe', true)
    return { status: response.status, text: response.text }
  }

  /**
   * The one road to the network, for API and token requests alike: the request within the step's
   * budget, retried by `policy`, signed when `signed`; answers 2xx or throws the answer's error.
   */
  private async send(
    exchange: HttpRequest,
    policy: RetryPolicy,
    signed: boolean
  ): Promise<HttpResponse> {
    const response = await withRetries(
      `${exchange.method} ${exchange.target}`,
      policy,
      this.retrier,
      () => (signed ? this.authenticated(exchange) : this.transport.send(exchange))
    )
    if (response.status < 200 || response.status >= 300)
      throw errorForAnswer(response, this.transport.baseUrl)
    return response
  }

  /** Like call, for JSON answers; `parse` may replace JSON.parse (exact int64 ids). */
  async json<T>(
    method: string,
    path: string,
    options: CallOptions,
    parse: (text: string) => unknown = JSON.parse
  ): Promise<T> {
    const response = await this.call(method, path, options)
    try {
      return parse(response.text) as T
    } catch {
      throw new AtlasProtocolError(
        `${method} ${path} answered ${response.status} with a body that is not JSON: an answer that is not Atlas's (a proxy's page?). Check base-url and any proxy in between.`
      )
    }
  }

  /** One attempt: the request, plus the Digest challenge round trip when the auth method needs one. */
  private async authenticated(exchange: HttpRequest): Promise<HttpResponse> {
    const auth = this.idleAuths.pop() ?? this.newAuth()
    try {
      return await this.signedExchange(auth, exchange)
    } finally {
      this.idleAuths.push(auth)
    }
  }

  private async signedExchange(auth: AuthMethod, exchange: HttpRequest): Promise<HttpResponse> {
    for (let challenges = 0; ; challenges++) {
      const authorization = await auth.authorize(exchange.method, exchange.target)
      const headers = authorization ? { ...exchange.headers, authorization } : exchange.headers
      const response = await this.transport.send({ ...exchange, headers })
      if (
        response.status === 401 &&
        challenges < 2 &&
        auth.acceptUnauthorized(response.headers['www-authenticate'], authorization !== undefined)
      ) {
        continue
      }
      return response
    }
  }
}
