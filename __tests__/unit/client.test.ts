import { MockAgent } from 'undici'
import { atlasPath } from '../../src/atlas/api.js'
import type { Credentials } from '../../src/atlas/auth/methods.js'
import {
  MAX_ACCESS_TOKEN_LENGTH,
  MAX_CLAIMED_LIFETIME_SECONDS,
  readAccessToken
} from '../../src/atlas/auth/oauth.js'
import { AtlasClient } from '../../src/atlas/client.js'
import {
  AtlasApiError,
  AtlasProtocolError,
  AtlasUnreachableError,
  OutcomeUnknownError
} from '../../src/atlas/errors.js'
import { Budget } from '../../src/atlas/transport.js'
import type { Clock } from '../../src/clock.js'

const ORIGIN = 'http://127.0.0.1:9'
/** The API version the calls below name (the client adds no default). */
const V = '2023-01-01'
const JSON_HEADERS = { 'content-type': 'application/json' }

/** A clock whose sleep only moves time forward, so retry waits cost no real time. */
function fakeClock(): Clock & { slept: number[] } {
  let now = 1_000_000
  const slept: number[] = []
  return {
    slept,
    now: () => now,
    sleep: ms => {
      slept.push(ms)
      now += ms
      return Promise.resolve()
    }
  }
}

function setup(
  credentials: Credentials,
  options: { maxRetries?: number; timeoutSeconds?: number } = {}
) {
  const agent = new MockAgent()
  agent.disableNetConnect()
  const pool = agent.get(ORIGIN)
  const clock = fakeClock()
  const secrets: string[] = []
  const notices: string[] = []
  const timeoutSeconds = options.timeoutSeconds ?? 60
  const client = new AtlasClient({
    baseUrl: ORIGIN,
    credentials,
    dispatcher: agent,
    budget: new Budget(timeoutSeconds, clock),
    maxRetries: options.maxRetries ?? 4,
    clock,
    random: () => 0.5,
    registerSecret: v => secrets.push(v),
    debug: () => undefined,
    notice: m => notices.push(m)
  })
  return { agent, pool, clock, client, secrets, notices }
}

const apiKey: Credentials = { kind: 'api-key', publicKey: 'pub', privateKey: 'priv' }
const serviceAccount: Credentials = {
  kind: 'service-account',
  clientId: 'id',
  clientSecret: 'mdb_sa_sk_s'
}
const CHALLENGE = {
  'www-authenticate':
    'Digest realm="MMS Public API", domain="", nonce="n1", algorithm=MD5, qop="auth", stale=false'
}
/** What a call that must fail rejects with; a call that succeeds fails the test. */
async function failure(call: Promise<unknown>): Promise<Error & Partial<AtlasApiError>> {
  const error = await call.then(
    () => {
      throw new Error('the call succeeded; it should have failed')
    },
    (reason: unknown) => reason
  )
  expect(error).toBeInstanceOf(Error)
  return error as Error & Partial<AtlasApiError>
}

const apiError = (status: number, errorCode: string) =>
  JSON.stringify({ error: status, errorCode, detail: `detail of ${errorCode}`, reason: 'x' })

describe('atlasPath', () => {
  it('percent-encodes every segment value', () => {
    expect(atlasPath`/groups/${'g'}/databaseUsers/${'$external'}/${'CN=a b,O=c'}`).toBe(
      '/groups/g/databaseUsers/%24external/CN%3Da%20b%2CO%3Dc'
    )
  })
})

describe('AtlasClient with an API key (Digest)', () => {
  it('answers the challenge once, then reuses the nonce with nc=2', async () => {
    const { pool, client } = setup(apiKey)
    const seen: Array<string | undefined> = []
    const record = (opts: { headers?: unknown }) => {
      seen.push((opts.headers as Record<string, string>).authorization)
    }
    pool
      .intercept({ path: '/api/atlas/v2/a', method: 'GET' })
      .reply(401, apiError(401, 'UNAUTHORIZED'), { headers: CHALLENGE })
    pool
      .intercept({ path: '/api/atlas/v2/a', method: 'GET' })
      .reply(opts => (record(opts), { statusCode: 200, data: '{"ok":1}' }))
    pool
      .intercept({ path: '/api/atlas/v2/b', method: 'DELETE' })
      .reply(opts => (record(opts), { statusCode: 202, data: '{}' }))
    expect(await client.json('GET', '/api/atlas/v2/a', { version: V })).toEqual({ ok: 1 })
    await client.call('DELETE', '/api/atlas/v2/b', { version: V })
    expect(client.requestCount).toBe(3)
    expect(seen[0]).toMatch(/nc=00000001/)
    expect(seen[1]).toMatch(/nc=00000002/)
    expect(seen[1]).toMatch(/uri="\/api\/atlas\/v2\/b"/)
  })

  it('takes one fresh challenge when the nonce is stale', async () => {
    const { pool, client } = setup(apiKey)
    pool
      .intercept({ path: '/api/atlas/v2/a', method: 'GET' })
      .reply(401, '', { headers: CHALLENGE })
    pool.intercept({ path: '/api/atlas/v2/a', method: 'GET' }).reply(401, '', {
      headers: {
        'www-authenticate':
          'Digest realm="MMS Public API", nonce="n2", algorithm=MD5, qop="auth", stale=true'
      }
    })
    pool.intercept({ path: '/api/atlas/v2/a', method: 'GET' }).reply(opts => {
      const auth = (opts.headers as Record<string, string>).authorization ?? ''
      return {
        statusCode: auth.includes('nonce="n2"') && auth.includes('nc=00000001') ? 200 : 400,
        data: '{}'
      }
    })
    await expect(client.call('GET', '/api/atlas/v2/a', { version: V })).resolves.toMatchObject({
      status: 200
    })
    expect(client.requestCount).toBe(3)
  })

  it('fails on a 401 after a signed request (wrong key) without looping', async () => {
    const { pool, client } = setup(apiKey)
    pool
      .intercept({ path: '/api/atlas/v2/a', method: 'GET' })
      .reply(401, '', { headers: CHALLENGE })
    pool
      .intercept({ path: '/api/atlas/v2/a', method: 'GET' })
      .reply(401, apiError(401, 'USER_UNAUTHORIZED'), {
        headers: { ...CHALLENGE, ...JSON_HEADERS }
      })
    // Second 401 carries a non-stale challenge: the key was refused.
    const error = await failure(client.call('GET', '/api/atlas/v2/a', { version: V }))
    expect(error).toBeInstanceOf(AtlasApiError)
    expect(error.status).toBe(401)
    expect(client.requestCount).toBe(2)
  })

  it('reads a bare 401 challenge after a signed request as refused credentials', async () => {
    const { pool, client } = setup(apiKey)
    pool
      .intercept({ path: '/api/atlas/v2/a', method: 'GET' })
      .reply(401, '', { headers: CHALLENGE })
      .times(2)
    await expect(client.call('GET', '/api/atlas/v2/a', { version: V })).rejects.toMatchObject({
      status: 401,
      errorCode: 'UNAUTHORIZED'
    })
  })
})

describe('AtlasClient with a service account (OAuth)', () => {
  it('gets one token, masks it, and sends it as Bearer on every call', async () => {
    const { pool, client, secrets } = setup(serviceAccount)
    let tokenRequests = 0
    pool.intercept({ path: '/api/oauth/token', method: 'POST' }).reply(opts => {
      tokenRequests++
      const headers = opts.headers as Record<string, string>
      const ok =
        headers.authorization === `Basic ${Buffer.from('id:mdb_sa_sk_s').toString('base64')}` &&
        opts.body === 'grant_type=client_credentials'
      return {
        statusCode: ok ? 200 : 400,
        data: '{"access_token":"tok-12345","token_type":"Bearer","expires_in":3600}'
      }
    })
    for (const path of ['/a', '/b']) {
      pool.intercept({ path: `/api/atlas/v2${path}`, method: 'GET' }).reply(opts => ({
        statusCode:
          (opts.headers as Record<string, string>).authorization === 'Bearer tok-12345' ? 200 : 401,
        data: '{}'
      }))
    }
    await client.call('GET', '/api/atlas/v2/a', { version: V })
    await client.call('GET', '/api/atlas/v2/b', { version: V })
    expect(tokenRequests).toBe(1)
    // The Basic credential (client id and secret in base64) first, before any request; then the token.
    expect(secrets).toEqual([Buffer.from('id:mdb_sa_sk_s').toString('base64'), 'tok-12345'])
    expect(client.requestCount).toBe(3)
  })

  it('reports a refused client as an Atlas error', async () => {
    const { pool, client } = setup(serviceAccount)
    pool
      .intercept({ path: '/api/oauth/token', method: 'POST' })
      .reply(401, '{"error":"invalid_client","error_description":"Invalid client"}', {
        headers: JSON_HEADERS
      })
    await expect(client.call('GET', '/api/atlas/v2/a', { version: V })).rejects.toMatchObject({
      errorCode: 'invalid_client',
      status: 401
    })
  })
})

const bearerPool = (pool: ReturnType<typeof setup>['pool']) =>
  pool
    .intercept({ path: '/api/oauth/token', method: 'POST' })
    .reply(200, '{"access_token":"token-abc"}')

describe('retries', () => {
  it('waits exactly Retry-After on 429, with a notice', async () => {
    const { pool, client, clock, notices } = setup(serviceAccount)
    bearerPool(pool)
    pool
      .intercept({ path: '/api/atlas/v2/a', method: 'POST' })
      .reply(429, apiError(429, 'RATE_LIMITED_TOKEN_BUCKET'), {
        headers: { ...JSON_HEADERS, 'retry-after': '7' }
      })
    pool.intercept({ path: '/api/atlas/v2/a', method: 'POST' }).reply(201, 'ok')
    await client.call('POST', '/api/atlas/v2/a', { version: V, body: { x: 1 } })
    expect(clock.slept).toEqual([7000])
    expect(notices[0]).toMatch(/RATE_LIMITED_TOKEN_BUCKET \(HTTP 429\)/)
  })

  it('backs off on 503 and on dropped connections', async () => {
    const { pool, client, clock } = setup(serviceAccount)
    bearerPool(pool)
    pool
      .intercept({ path: '/api/atlas/v2/a', method: 'GET' })
      .reply(503, apiError(503, 'SERVICE_UNAVAILABLE'))
    pool
      .intercept({ path: '/api/atlas/v2/a', method: 'GET' })
      .replyWithError(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }))
    pool.intercept({ path: '/api/atlas/v2/a', method: 'GET' }).reply(200, '{}')
    await client.call('GET', '/api/atlas/v2/a', { version: V })
    expect(clock.slept).toEqual([500, 1000])
  })

  it('gives up after max-retries + 1 attempts with the last Atlas error', async () => {
    const { pool, client } = setup(serviceAccount, { maxRetries: 2 })
    bearerPool(pool)
    pool
      .intercept({ path: '/api/atlas/v2/a', method: 'GET' })
      .reply(500, apiError(500, 'UNEXPECTED_ERROR'), { headers: JSON_HEADERS })
      .times(3)
    await expect(client.call('GET', '/api/atlas/v2/a', { version: V })).rejects.toMatchObject({
      errorCode: 'UNEXPECTED_ERROR',
      status: 500
    })
    expect(client.requestCount).toBe(4)
  })

  it('does not wait past the budget: fails at once with a note', async () => {
    const { pool, client, clock } = setup(serviceAccount, { timeoutSeconds: 10 })
    bearerPool(pool)
    pool
      .intercept({ path: '/api/atlas/v2/a', method: 'GET' })
      .reply(429, apiError(429, 'RATE_LIMITED'), {
        headers: { ...JSON_HEADERS, 'retry-after': '55' }
      })
    const error = await failure(client.call('GET', '/api/atlas/v2/a', { version: V }))
    expect(error).toBeInstanceOf(AtlasApiError)
    expect(error.detail).toMatch(
      /waiting 55 s as Retry-After asks would pass the step's budget of 10 s/
    )
    expect(clock.slept).toEqual([])
  })

  it('refuses an answer larger than the cap without retrying it', async () => {
    const { pool, client } = setup(serviceAccount)
    bearerPool(pool)
    pool
      .intercept({ path: '/api/atlas/v2/big', method: 'GET' })
      .reply(200, 'x'.repeat(9 * 1024 * 1024))
    const error = await failure(client.call('GET', '/api/atlas/v2/big', { version: V }))
    expect(error).toBeInstanceOf(AtlasUnreachableError)
    expect(error.message).toMatch(/more than 8 MiB; refused/)
    expect(client.requestCount).toBe(2)
  })

  it('treats an HTML 502 as unreachable and a redirect as an error naming the host', async () => {
    const { pool, client } = setup(serviceAccount, { maxRetries: 0 })
    bearerPool(pool)
    pool
      .intercept({ path: '/api/atlas/v2/a', method: 'GET' })
      .reply(502, '<html>Bad Gateway</html>', { headers: { 'content-type': 'text/html' } })
    pool
      .intercept({ path: '/api/atlas/v2/b', method: 'GET' })
      .reply(302, '', { headers: { location: 'https://evil.example:8443/x' } })
    const html = await failure(client.call('GET', '/api/atlas/v2/a', { version: V }))
    expect(html).toBeInstanceOf(AtlasUnreachableError)
    expect(html.message).toMatch(/HTTP 502 with a text\/html body/)
    expect(html.message).not.toMatch(/Bad Gateway/)
    const redirect = await failure(client.call('GET', '/api/atlas/v2/b', { version: V }))
    expect(redirect.message).toMatch(/redirect to evil\.example:8443/)
  })

  it('rethrows an error that is no network failure at once: an auth-int challenge is not retried', async () => {
    const { pool, client, clock } = setup(apiKey)
    pool.intercept({ path: '/api/atlas/v2/a', method: 'GET' }).reply(401, '', {
      headers: {
        'www-authenticate':
          'Digest realm="MMS Public API", nonce="n1", algorithm=MD5, qop="auth-int"'
      }
    })
    const error = await failure(client.call('GET', '/api/atlas/v2/a', { version: V }))
    expect(error).toBeInstanceOf(AtlasProtocolError)
    expect(error.message).toMatch(/qop="auth-int"/)
    expect(client.requestCount).toBe(1)
    expect(clock.slept).toEqual([])
  })

  it('rethrows an unknown exception from the dispatcher without retrying it', async () => {
    const { pool, client, clock } = setup(serviceAccount)
    bearerPool(pool)
    pool
      .intercept({ path: '/api/atlas/v2/a', method: 'GET' })
      .replyWithError(new TypeError('a bug, not the network'))
    const error = await failure(client.call('GET', '/api/atlas/v2/a', { version: V }))
    expect(error).toBeInstanceOf(TypeError)
    expect(client.requestCount).toBe(2)
    expect(clock.slept).toEqual([])
  })
})

describe('AtlasClient writes that restart the clusters (retry: no-repeat)', () => {
  const PATCH = { path: '/api/atlas/v2/s', method: 'PATCH' }

  it('are not sent again after a 5xx: the outcome is unknown', async () => {
    const { pool, client, clock } = setup(serviceAccount)
    bearerPool(pool)
    pool
      .intercept(PATCH)
      .reply(503, apiError(503, 'SERVICE_UNAVAILABLE'), { headers: JSON_HEADERS })
    const error = await failure(
      client.call('PATCH', '/api/atlas/v2/s', { version: V, body: {}, retry: 'no-repeat' })
    )
    expect(error).toBeInstanceOf(OutcomeUnknownError)
    expect(error.message).toMatch(/SERVICE_UNAVAILABLE \(HTTP 503\)/)
    expect(client.requestCount).toBe(2)
    expect(clock.slept).toEqual([])
  })

  it('are not sent again after the answer was lost', async () => {
    const { pool, client } = setup(serviceAccount)
    bearerPool(pool)
    pool
      .intercept(PATCH)
      .replyWithError(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }))
    const error = await failure(
      client.call('PATCH', '/api/atlas/v2/s', { version: V, body: {}, retry: 'no-repeat' })
    )
    expect(error).toBeInstanceOf(OutcomeUnknownError)
    expect(client.requestCount).toBe(2)
  })

  it('are retried on 429 and when the connection failed before anything was sent', async () => {
    const { pool, client, clock } = setup(serviceAccount)
    bearerPool(pool)
    pool.intercept(PATCH).reply(429, apiError(429, 'RATE_LIMITED'), {
      headers: { ...JSON_HEADERS, 'retry-after': '2' }
    })
    pool
      .intercept(PATCH)
      .replyWithError(Object.assign(new Error('connect refused'), { code: 'ECONNREFUSED' }))
    pool.intercept(PATCH).reply(202, '{}')
    await client.call('PATCH', '/api/atlas/v2/s', { version: V, body: {}, retry: 'no-repeat' })
    expect(client.requestCount).toBe(4)
    expect(clock.slept).toEqual([2000, 1000])
  })
})

describe('readAccessToken', () => {
  const NOW = 1_000_000
  const answer = (fields: Record<string, unknown>) => JSON.stringify(fields)
  const jwtLike = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtZGJfc2EifQ.c2lnbmF0dXJl-_'

  it('reads a token and its lifetime as Atlas answers them', () => {
    expect(readAccessToken(answer({ access_token: jwtLike, expires_in: 3600 }), NOW)).toEqual({
      value: jwtLike,
      expiresAt: NOW + 3600_000
    })
  })

  it('assumes the documented hour when expires_in is missing, and never trusts a longer one', () => {
    expect(readAccessToken(answer({ access_token: jwtLike }), NOW).expiresAt).toBe(NOW + 3600_000)
    const day = answer({ access_token: jwtLike, expires_in: MAX_CLAIMED_LIFETIME_SECONDS })
    expect(readAccessToken(day, NOW).expiresAt).toBe(NOW + 3600_000)
    expect(readAccessToken(answer({ access_token: jwtLike, expires_in: 60 }), NOW).expiresAt).toBe(
      NOW + 60_000
    )
  })

  it.each([
    ['1e306', 1e306],
    ['0', 0],
    ['negative', -3600],
    ['a string', '3600'],
    ['null', null],
    ['longer than a day', MAX_CLAIMED_LIFETIME_SECONDS + 1]
  ])('refuses an expires_in that is %s as an unexpected answer', (_, expiresIn) => {
    expect(() =>
      readAccessToken(answer({ access_token: jwtLike, expires_in: expiresIn }), NOW)
    ).toThrow(AtlasProtocolError)
    expect(() =>
      readAccessToken(answer({ access_token: jwtLike, expires_in: expiresIn }), NOW)
    ).toThrow(/expires_in/)
  })

  it.each([
    ['over 8 KiB', 'a'.repeat(MAX_ACCESS_TOKEN_LENGTH + 1), /8192/],
    ['with a newline', `${jwtLike}\n::error::x`, /visible ASCII/],
    ['with a control character', `${jwtLike}\u0007`, /visible ASCII/],
    ['with a space', `${jwtLike} x`, /visible ASCII/],
    ['outside ASCII', `${jwtLike}é`, /visible ASCII/],
    ['shorter than 8 characters', 'abc1234', /visible ASCII/]
  ])('refuses a token %s, without quoting it', (_, token, reason) => {
    let error: unknown
    try {
      readAccessToken(answer({ access_token: token, expires_in: 3600 }), NOW)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(AtlasProtocolError)
    expect((error as Error).message).toMatch(reason)
    expect((error as Error).message).not.toContain(token)
  })

  it('accepts a token of exactly 8 KiB', () => {
    const token = 'a'.repeat(MAX_ACCESS_TOKEN_LENGTH)
    expect(readAccessToken(answer({ access_token: token, expires_in: 3600 }), NOW).value).toBe(
      token
    )
  })
})

describe('a handed-over token', () => {
  function postStepClient(handedOverToken: { value: string; expiresAt: number }) {
    const agent = new MockAgent()
    agent.disableNetConnect()
    const clock = fakeClock()
    const secrets: string[] = []
    const client = new AtlasClient({
      baseUrl: ORIGIN,
      credentials: serviceAccount,
      dispatcher: agent,
      budget: new Budget(60, clock),
      maxRetries: 0,
      clock,
      registerSecret: v => secrets.push(v),
      debug: () => undefined,
      notice: () => undefined,
      handedOverToken
    })
    return { client, secrets, pool: agent.get(ORIGIN) }
  }

  it('is masked and revoked when it is one the main step could have saved', async () => {
    const { client, secrets, pool } = postStepClient({ value: 'tok-12345', expiresAt: 2_000_000 })
    pool.intercept({ path: '/api/oauth/revoke', method: 'POST' }).reply(200, '')
    expect(secrets).toContain('tok-12345')
    expect(await client.revokeAccessTokens()).toBe(1)
  })

  it.each([
    ['it is short', { value: 'e', expiresAt: 2_000_000 }],
    ['it has a newline', { value: 'tok-12345\n::error::x', expiresAt: 2_000_000 }],
    ['its expiry is not finite', { value: 'tok-12345', expiresAt: Infinity }]
  ])('is ignored when %s: no mask, nothing sent', async (_, token) => {
    const { client, secrets } = postStepClient(token)
    expect(secrets).not.toContain(token.value)
    expect(await client.revokeAccessTokens()).toBe(0)
  })
})
