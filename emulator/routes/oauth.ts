import { sendEmpty, sendJson, type Exchange } from '../exchange.js'
import { parseBasicClient, type ClientCredentials, type TokenStore } from '../oauth.js'

const noStore = { 'Cache-Control': 'no-store', Pragma: 'no-cache' }

function oauthError(ex: Exchange, status: number, error: string, description: string): void {
  const headers: Record<string, string> = { ...noStore }
  if (status === 401) headers['WWW-Authenticate'] = 'Basic realm="oauth"'
  sendJson(ex, status, { error, error_description: description }, 'application/json', headers)
}

function authenticateClient(ex: Exchange, client: ClientCredentials): boolean {
  const given = parseBasicClient(ex.req.headers.authorization)
  if (!given || given.clientId !== client.clientId || given.clientSecret !== client.clientSecret) {
    oauthError(ex, 401, 'invalid_client', 'Invalid client credentials.')
    return false
  }
  ex.record.auth = 'basic'
  return true
}

function formBody(ex: Exchange): URLSearchParams | null {
  const type = (ex.req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded') {
    oauthError(
      ex,
      400,
      'invalid_request',
      'Content-Type must be application/x-www-form-urlencoded.'
    )
    return null
  }
  return new URLSearchParams(ex.body)
}

/** POST /api/oauth/token: client credentials grant, client authenticated with HTTP Basic. */
export function issueToken(ex: Exchange, client: ClientCredentials, tokens: TokenStore): void {
  if (ex.method !== 'POST') return oauthError(ex, 405, 'invalid_request', 'Use POST.')
  if (!authenticateClient(ex, client)) return
  const form = formBody(ex)
  if (!form) return
  if (form.get('grant_type') !== 'client_credentials') {
    return oauthError(ex, 400, 'unsupported_grant_type', 'grant_type must be client_credentials.')
  }
  const issued = tokens.issue()
  if (!issued) {
    return oauthError(
      ex,
      403,
      'access_denied',
      'Access Token limit reached. Please use the existing Access Tokens or create a new Service Account.'
    )
  }
  const { token, expiresIn } = issued
  sendJson(
    ex,
    200,
    { access_token: token, expires_in: expiresIn, token_type: 'Bearer' },
    'application/json',
    noStore
  )
}

/** POST /api/oauth/revoke: 200 whether or not the token was known (RFC 7009 §2.2). */
export function revokeToken(ex: Exchange, client: ClientCredentials, tokens: TokenStore): void {
  if (ex.method !== 'POST') return oauthError(ex, 405, 'invalid_request', 'Use POST.')
  if (!authenticateClient(ex, client)) return
  const form = formBody(ex)
  if (!form) return
  const token = form.get('token')
  if (!token) return oauthError(ex, 400, 'invalid_request', 'token is required.')
  tokens.revoke(token)
  sendEmpty(ex, 200, { 'Content-Length': '0' })
}
