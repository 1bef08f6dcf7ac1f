import type { Clock } from '../../clock.js'
import { AtlasProtocolError } from '../errors.js'
import type { HttpRequest } from '../http.js'

/** OAuth 2.0 client credentials for Atlas service accounts (RFC 6749 §4.4). */

/** RFC 6749 §2.3.1: client id and secret are form-encoded before Basic encoding. */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+')
}

export function basicAuthorization(clientId: string, clientSecret: string): string {
  const pair = `${formEncode(clientId)}:${formEncode(clientSecret)}`
  return `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`
}

export const TOKEN_PATH = '/api/oauth/token'
export const REVOKE_PATH = '/api/oauth/revoke'
export const TOKEN_REQUEST_BODY = 'grant_type=client_credentials'
/** Atlas's documented token lifetime: used when an answer does not say, and never exceeded. */
const DEFAULT_LIFETIME_SECONDS = 3600
/** A longer lifetime is no answer of Atlas's (1e306 s once made the expiry Infinity). */
export const MAX_CLAIMED_LIFETIME_SECONDS = 86_400
/**
 * A token is saved to state, which the runner passes to the post step in its environment: a huge
 * one (128 KiB) made that step impossible to start ("Argument list too long").
 */
export const MAX_ACCESS_TOKEN_LENGTH = 8 * 1024
/**
 * Registered as a mask: a shorter value would blank common text in the whole log. Visible ASCII
 * only (the token68 of a Bearer header fits in it): no control character reaches a header, the
 * state or the mask.
 */
const ACCESS_TOKEN = /^[\x21-\x7e]{8,}$/
/** A token handed over from the main step is reused only while it has this long left. */
export const MIN_REUSE_MS = 60_000

/** An access token and when it expires (epoch ms). */
export interface AccessToken {
  value: string
  expiresAt: number
}

/** A token value fit for a header, a mask and the state (readAccessToken's checks of it). */
export function isAccessTokenValue(value: string): boolean {
  return value.length <= MAX_ACCESS_TOKEN_LENGTH && ACCESS_TOKEN.test(value)
}

const unexpected = (what: string) =>
  new AtlasProtocolError(
    `The token endpoint answered 200 with ${what}: not an answer of Atlas's. No token was used or saved; check base-url and any proxy in between.`
  )

/**
 * Reads the access token from a 200 token response. A body without a usable token (none, one
 * that cannot be a header value, a mask or a state entry, an `expires_in` that is not a plausible
 * number of seconds) is an unexpected answer.
 */
export function readAccessToken(body: string, now: number): AccessToken {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    throw new AtlasProtocolError(
      'The token endpoint answered 200 with a body that is not JSON: is base-url an Atlas origin?'
    )
  }
  const doc = (parsed ?? {}) as { access_token?: unknown; expires_in?: unknown }
  const token = doc.access_token
  if (typeof token !== 'string' || token.length === 0) {
    throw new AtlasProtocolError('The token endpoint answered 200 without an access_token.')
  }
  if (token.length > MAX_ACCESS_TOKEN_LENGTH)
    throw unexpected(
      `an access_token of ${token.length} characters (at most ${MAX_ACCESS_TOKEN_LENGTH})`
    )
  if (!isAccessTokenValue(token))
    throw unexpected(
      'an access_token that is not 8 or more visible ASCII characters (a control character, a space or a short value)'
    )
  const claimed = doc.expires_in
  if (
    claimed !== undefined &&
    !(typeof claimed === 'number' && claimed > 0 && claimed <= MAX_CLAIMED_LIFETIME_SECONDS)
  ) {
    throw unexpected(
      `an expires_in that is not a positive number of seconds up to ${MAX_CLAIMED_LIFETIME_SECONDS}`
    )
  }
  const lifetime = Math.min(claimed ?? DEFAULT_LIFETIME_SECONDS, DEFAULT_LIFETIME_SECONDS)
  return { value: token, expiresAt: now + lifetime * 1000 }
}

/** Where Bearer auth gets its token from. */
export interface TokenSource {
  token(): Promise<string>
}

export interface TokenSourceOptions {
  clock: Clock
  /** Registers a value with the runner's log masking (the Basic credential, each token). */
  registerSecret(value: string): void
  /** A token the main step obtained, for the post step to reuse. */
  handedOver?: AccessToken
  /** Called with each new token, so the main step can hand it to the post step. */
  onToken?(token: AccessToken): void
}

/** Sends a request to the Atlas origin (retried, within the step's budget); answers 2xx text or throws. */
export type SendToAtlas = (request: HttpRequest) => Promise<{ text: string }>

/**
 * One token per job from the service account's token endpoint: fetched on first use, handed from
 * the main step to the post step, revoked there. The endpoint is rate-limited, and a service
 * account holds at most 100 active tokens.
 */
export class ClientCredentialsTokenSource implements TokenSource {
  private current: AccessToken | undefined
  private pending: Promise<AccessToken> | undefined
  /** Every token this step used: the post step revokes them all. */
  private readonly used = new Map<string, AccessToken>()
  private readonly basic: string

  constructor(
    clientId: string,
    clientSecret: string,
    private readonly send: SendToAtlas,
    private readonly options: TokenSourceOptions
  ) {
    this.basic = basicAuthorization(clientId, clientSecret)
    // The Basic credential carries the client secret in another encoding: mask it before any request.
    options.registerSecret(this.basic.slice('Basic '.length))
    const handed = options.handedOver
    // State is text a later step could have touched: only a token the main step could have saved.
    if (handed && isAccessTokenValue(handed.value) && Number.isFinite(handed.expiresAt)) {
      options.registerSecret(handed.value)
      this.used.set(handed.value, handed)
      if (handed.expiresAt - options.clock.now() >= MIN_REUSE_MS) this.current = handed
    }
  }

  /** The token in use, if any (what the main step hands over). */
  get accessToken(): AccessToken | undefined {
    return this.current
  }

  async token(): Promise<string> {
    if (this.current && this.current.expiresAt - this.options.clock.now() > 0)
      return this.current.value
    this.pending ??= this.fetch().finally(() => (this.pending = undefined))
    return (await this.pending).value
  }

  /** Revokes every token this step used; answers how many. */
  async revokeAll(): Promise<number> {
    let revoked = 0
    for (const token of this.used.values()) {
      await this.send(
        this.form(
          REVOKE_PATH,
          `token=${encodeURIComponent(token.value)}&token_type_hint=access_token`
        )
      )
      revoked += 1
    }
    this.used.clear()
    this.current = undefined
    return revoked
  }

  private form(target: string, body: string): HttpRequest {
    return {
      method: 'POST',
      target,
      headers: {
        authorization: this.basic,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json'
      },
      body
    }
  }

  private async fetch(): Promise<AccessToken> {
    const response = await this.send(this.form(TOKEN_PATH, TOKEN_REQUEST_BODY))
    const token = readAccessToken(response.text, this.options.clock.now())
    this.options.registerSecret(token.value)
    this.used.set(token.value, token)
    this.current = token
    this.options.onToken?.(token)
    return token
  }
}
