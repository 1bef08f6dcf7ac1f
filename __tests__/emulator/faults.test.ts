/** Scripted faults: each kind as real clients (curl, fetch, openssl) see it. */
import { expect } from '@jest/globals'
import { startEmulator, type Emulator } from '../../emulator/index.js'
import {
  ACCEPT_V2,
  atlasFetch,
  curl,
  curlDigest,
  curlBearer,
  fetchToken,
  run,
  tempDir,
  type TempDir
} from './helpers.js'

let emulator: Emulator
let token: string
let dir: TempDir
let certsPath: string

beforeAll(async () => {
  emulator = await startEmulator()
  token = await fetchToken(emulator)
  dir = tempDir()
  certsPath = `/api/atlas/v2/groups/${emulator.groupId}/databaseUsers/ci-user/certs`
})
afterAll(async () => {
  await emulator.close()
  dir.remove()
})
beforeEach(() => {
  emulator.clearFaults()
  emulator.clearRequests()
})

const createCert = () =>
  atlasFetch(emulator, token, certsPath, { method: 'POST', body: { monthsUntilExpiration: 1 } })

describe('status', () => {
  it('answers a 429 ApiError with Retry-After and RateLimit headers, once', async () => {
    emulator.fault({ path: certsPath, kind: 'status', status: 429, retryAfter: '7' })
    const limited = await createCert()
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('7')
    expect(limited.headers.get('ratelimit-limit')).toBe('100')
    expect(limited.headers.get('ratelimit-remaining')).toBe('0')
    expect(limited.headers.get('content-type')).toBe('application/json')
    expect(limited.json()).toEqual({
      detail: expect.any(String),
      error: 429,
      errorCode: 'RATE_LIMITED',
      parameters: [],
      reason: 'Too Many Requests'
    })
    expect((await createCert()).status).toBe(201)
    expect(emulator.requests.map(r => [r.status, r.fault])).toEqual([
      [429, 'status'],
      [201, undefined]
    ])
  })

  it('keeps custom codes, an HTTP-date Retry-After, method filters and Infinity', async () => {
    const date = 'Wed, 21 Oct 2026 07:28:00 GMT'
    emulator.fault({
      method: 'GET',
      path: /\/certs$/,
      times: Infinity,
      kind: 'status',
      status: 503,
      errorCode: 'SERVICE_UNAVAILABLE',
      detail: 'Try later.',
      retryAfter: date
    })
    for (let i = 0; i < 3; i++) {
      const response = await atlasFetch(emulator, token, certsPath)
      expect(response.status).toBe(503)
      expect(response.headers.get('retry-after')).toBe(date)
      expect(response.json()).toMatchObject({
        errorCode: 'SERVICE_UNAVAILABLE',
        detail: 'Try later.',
        reason: 'Service Unavailable'
      })
    }
    expect((await createCert()).status).toBe(201)
  })

  it('is not consumed by a digest challenge round trip', async () => {
    emulator.fault({
      path: `/api/atlas/v2/groups/${emulator.groupId}/userSecurity`,
      kind: 'status',
      status: 500
    })
    const response = await curlDigest(emulator, [
      `${emulator.url}/api/atlas/v2/groups/${emulator.groupId}/userSecurity`
    ])
    expect(response.statuses).toEqual([401, 500])
    expect(JSON.parse(response.body)).toMatchObject({ errorCode: 'UNEXPECTED_ERROR' })
    expect(emulator.requests.map(r => r.fault)).toEqual([undefined, 'status'])
  })

  it('matches $external paths written decoded or percent-encoded', async () => {
    const users = `/api/atlas/v2/groups/${emulator.groupId}/databaseUsers`
    emulator.fault({ path: `${users}/$external/release-bot`, kind: 'status', status: 502 })
    emulator.fault({ path: `${users}/%24external/release-bot`, kind: 'status', status: 504 })
    expect((await atlasFetch(emulator, token, `${users}/%24external/release-bot`)).status).toBe(502)
    expect((await atlasFetch(emulator, token, `${users}/%24external/release-bot`)).status).toBe(504)
    expect((await atlasFetch(emulator, token, `${users}/%24external/release-bot`)).status).toBe(200)
  })

  it('applies to the token endpoint before the credentials are checked', async () => {
    emulator.fault({ path: '/api/oauth/token', kind: 'status', status: 503 })
    const response = await curl([
      '--user',
      'nobody:nothing',
      '-d',
      'grant_type=client_credentials',
      `${emulator.url}/api/oauth/token`
    ])
    expect(response.status).toBe(503)
    expect(emulator.requests[0]).toMatchObject({ status: 503, fault: 'status', auth: null })
  })
})

describe('transport faults', () => {
  it('drop: closes the socket without a response', async () => {
    emulator.fault({ path: certsPath, kind: 'drop' })
    const result = await run('curl', [
      '-s',
      '-H',
      `Authorization: Bearer ${token}`,
      '-H',
      ACCEPT_V2,
      `${emulator.url}${certsPath}`
    ])
    expect(result.code).toBe(52) // curl: empty reply from server
    expect(emulator.requests[0]).toMatchObject({ status: 0, fault: 'drop', auth: 'bearer' })
    expect((await atlasFetch(emulator, token, certsPath)).status).toBe(200)
  })

  it('delay: holds the response, then answers normally', async () => {
    emulator.fault({ path: certsPath, kind: 'delay', delayMs: 300 })
    const started = Date.now()
    const response = await atlasFetch(emulator, token, certsPath)
    expect(Date.now() - started).toBeGreaterThanOrEqual(290)
    expect(response.status).toBe(200)
    expect(emulator.requests[0]).toMatchObject({ status: 200, fault: 'delay' })
  })

  it('html: a proxy error page', async () => {
    emulator.fault({ path: certsPath, kind: 'html' })
    const response = await curlBearer(token, [`${emulator.url}${certsPath}`])
    expect(response.status).toBe(502)
    expect(response.headers['content-type']).toBe('text/html')
    expect(response.body).toContain('<h1>502 Bad Gateway</h1>')
  })

  it('redirect: a Location header, 302 by default', async () => {
    emulator.fault({
      path: certsPath,
      kind: 'redirect',
      location: 'https://login.example.invalid/sso'
    })
    const response = await curlBearer(token, [`${emulator.url}${certsPath}`])
    expect(response.status).toBe(302)
    expect(response.headers.location).toBe('https://login.example.invalid/sso')
  })

  it('stale-nonce: curl --digest retries with the fresh nonce', async () => {
    emulator.fault({ path: certsPath, kind: 'stale-nonce' })
    const response = await curlDigest(emulator, [`${emulator.url}${certsPath}`])
    expect(emulator.requests.map(r => [r.status, r.fault])).toEqual([
      [401, undefined],
      [401, 'stale-nonce'],
      [200, undefined]
    ])
    expect(response.status).toBe(200)
  })

  it('stale-nonce: leaves Bearer requests alone', async () => {
    emulator.fault({ path: certsPath, kind: 'stale-nonce' })
    expect((await atlasFetch(emulator, token, certsPath)).status).toBe(200)
  })
})

describe('corrupt-pem', () => {
  const blocks = (text: string) => text.match(/-----BEGIN ([A-Z ]+)-----/g) ?? []

  it('garbage', async () => {
    emulator.fault({ path: certsPath, kind: 'corrupt-pem', variant: 'garbage' })
    const response = await createCert()
    expect(response.status).toBe(201)
    expect(blocks(response.text)).toEqual([])
    expect(emulator.requests[0]?.fault).toBe('corrupt-pem')
  })

  it('truncated', async () => {
    emulator.fault({ path: certsPath, kind: 'corrupt-pem', variant: 'truncated' })
    const response = await createCert()
    expect(response.text).toMatch(/^-----BEGIN CERTIFICATE-----/)
    expect(response.text).not.toContain('END PRIVATE KEY')
  })

  it('no-key', async () => {
    emulator.fault({ path: certsPath, kind: 'corrupt-pem', variant: 'no-key' })
    expect(blocks((await createCert()).text)).toEqual(['-----BEGIN CERTIFICATE-----'])
  })

  it('two-certs', async () => {
    emulator.fault({ path: certsPath, kind: 'corrupt-pem', variant: 'two-certs' })
    expect(blocks((await createCert()).text)).toEqual([
      '-----BEGIN CERTIFICATE-----',
      '-----BEGIN CERTIFICATE-----',
      '-----BEGIN PRIVATE KEY-----'
    ])
  })

  it('mismatched-key: openssl sees two different public keys', async () => {
    emulator.fault({ path: certsPath, kind: 'corrupt-pem', variant: 'mismatched-key' })
    const file = dir.write('mismatched.pem', (await createCert()).text)
    const fromKey = await run('openssl', ['pkey', '-in', file, '-pubout'])
    const fromCert = await run('openssl', ['x509', '-in', file, '-noout', '-pubkey'])
    expect(fromKey.stdout).toContain('BEGIN PUBLIC KEY')
    expect(fromCert.stdout).toContain('BEGIN PUBLIC KEY')
    expect(fromKey.stdout).not.toBe(fromCert.stdout)
  })

  it('json-quoted: a valid PEM inside a JSON string literal', async () => {
    emulator.fault({ path: certsPath, kind: 'corrupt-pem', variant: 'json-quoted' })
    const response = await createCert()
    expect(response.text.startsWith('"-----BEGIN CERTIFICATE-----\\n')).toBe(true)
    const pem = JSON.parse(response.text) as string
    expect(blocks(pem)).toEqual(['-----BEGIN CERTIFICATE-----', '-----BEGIN PRIVATE KEY-----'])
  })
})

describe('HTTP control routes (for the CLI)', () => {
  it('scripts faults and reads and clears the request log', async () => {
    const post = await curl([
      '-X',
      'POST',
      '-H',
      'Content-Type: application/json',
      '--data',
      JSON.stringify({
        pathRegex: '/certs$',
        kind: 'status',
        status: 500,
        times: 'Infinity',
        method: 'POST'
      }),
      `${emulator.url}/__emulator/faults`
    ])
    expect(post.status).toBe(201)
    expect((await createCert()).status).toBe(500)
    expect((await createCert()).status).toBe(500)
    expect((await atlasFetch(emulator, token, certsPath)).status).toBe(200)
    const log = await curl([`${emulator.url}/__emulator/requests`])
    const requests = JSON.parse(log.body) as Array<{ status: number; fault?: string; auth: string }>
    expect(requests.map(r => r.status)).toEqual([500, 500, 200])
    expect(requests[0]).toMatchObject({ fault: 'status', auth: 'bearer' })
    expect((await curl(['-X', 'DELETE', `${emulator.url}/__emulator/faults`])).status).toBe(204)
    expect((await createCert()).status).toBe(201)
    expect((await curl(['-X', 'DELETE', `${emulator.url}/__emulator/requests`])).status).toBe(204)
    expect(emulator.requests).toEqual([])
    const bad = await curl([
      '-X',
      'POST',
      '--data',
      '{"kind":"nope","path":"/x"}',
      `${emulator.url}/__emulator/faults`
    ])
    expect(bad.status).toBe(400)
  })

  it('reports a project state snapshot', async () => {
    const response = await curl([`${emulator.url}/__emulator/groups/${emulator.groupId}`])
    const state = JSON.parse(response.body) as {
      users: Array<{ username: string }>
      restarts: number
    }
    expect(state.users.map(u => u.username)).toEqual(['ci-user', 'release-bot', 'ldap-user'])
    expect(state.restarts).toBe(0)
  })
})
