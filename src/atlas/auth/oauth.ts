import { AtlasUnreachableError, errorForAnswer } from '../errors.js'
import { withRetries, type Retrier } from '../retry.js'
import type { Transport } from '../transport.js'

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
export const TOKEN_REQUEST_BODY = 'grant_type=client_credentials'

/** Reads the access token from a 200 token response, or throws if the body has none. */
export function readAccessToken(body: string): string {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    throw new Error('the token endpoint answered 200 with a body that is not JSON')
  }
  const token = (parsed as { access_token?: unknown } | null)?.access_token
  if (typeof token !== 'string' || token.length === 0) {
    throw new Error('the token endpoint answered 200 without an access_token')
  }
  return token
}

/** Where Bearer auth gets its token from. */
export interface TokenSource {
  token(): Promise<string>
}

/**
 * One token per step from the service account's token endpoint, fetched on first use: the
 * endpoint is rate-limited, and a service account holds a limited number of active tokens.
 */
export class ClientCredentialsTokenSource implements TokenSource {
  private pending: Promise<string> | undefined

  constructor(
    private readonly clientId: string,
    private readonly clientSecret: string,
    private readonly transport: Transport,
    private readonly retrier: Retrier,
    /** Registers the token with the runner's log masking. */
    private readonly registerSecret: (value: string) => void
  ) {}

  token(): Promise<string> {
    this.pending ??= this.fetch().catch(error => {
      this.pending = undefined
      throw error
    })
    return this.pending
  }

  private async fetch(): Promise<string> {
    const label = `POST ${TOKEN_PATH}`
    const response = await withRetries(label, 'retry-safe', this.retrier, () =>
      this.transport.send({
        method: 'POST',
        target: TOKEN_PATH,
        headers: {
          authorization: basicAuthorization(this.clientId, this.clientSecret),
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json'
        },
        body: TOKEN_REQUEST_BODY
      })
    )
    if (response.status < 200 || response.status >= 300) {
      throw errorForAnswer(response, this.transport.baseUrl)
    }
    let token: string
    try {
      token = readAccessToken(response.text)
    } catch (error) {
      throw new AtlasUnreachableError(`Service account token: ${(error as Error).message}`)
    }
    this.registerSecret(token)
    return token
  }
}
