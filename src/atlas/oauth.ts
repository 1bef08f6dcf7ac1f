/** OAuth 2.0 client credentials for Atlas service accounts (RFC 6749 §4.4). */

/** RFC 6749 §2.3.1: client id and secret are form-encoded before Basic encoding. */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+')
}

export function basicAuthorization(clientId: string, clientSecret: string): string {
  const pair = `${formEncode(clientId)}:${formEncode(clientSecret)}`
  return `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`
}

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
