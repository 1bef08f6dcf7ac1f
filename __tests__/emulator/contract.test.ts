/**
 * What production Atlas does that the emulator now models: GROUP_MISMATCH, INVALID_QUERY_PARAMETER,
 * RateLimit headers, groupId write-only, the customer-CA switch for managed certificates, the
 * service-account token cap and revoke, Digest nonce-reuse refusal, and the transport counters.
 * Checked with fetch, hand-made Digest headers, and curl as an independent client.
 */
import { parseDigestHeader, startEmulator, type Emulator } from '../../emulator/index.js'
import {
  ACCEPT_V2,
  atlasFetch,
  curl,
  curlDigest,
  digestGetResponse,
  digestUser,
  fetchToken,
  run,
  tempDir,
  type TempDir
} from './helpers.js'

const TOKEN_LIMIT_BODY = {
  error: 'access_denied',
  error_description:
    'Access Token limit reached. Please use the existing Access Tokens or create a new Service Account.'
}

function basic(emulator: Emulator): string {
  const { clientId, clientSecret } = emulator.credentials
  return `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`
}

function form(emulator: Emulator, path: string, body: string) {
  return fetch(`${emulator.url}${path}`, {
    method: 'POST',
    headers: {
      Authorization: basic(emulator),
      'Content-Type': 'application/x-www-form-urlencoded'
    },
    body
  })
}

describe('project routes', () => {
  let emulator: Emulator
  let token: string
  const users = () => `/api/atlas/v2/groups/${emulator.groupId}/databaseUsers`
  const newUser = (overrides: Record<string, unknown> = {}) => ({
    databaseName: '$external',
    groupId: emulator.groupId,
    username: 'contract-user',
    x509Type: 'MANAGED',
    roles: [{ roleName: 'read', databaseName: 'app' }],
    ...overrides
  })

  beforeAll(async () => {
    emulator = await startEmulator()
    token = await fetchToken(emulator)
  })
  afterAll(() => emulator.close())

  it('answers 400 GROUP_MISMATCH when the body groupId differs from the path (POST and PATCH)', async () => {
    const created = await atlasFetch(emulator, token, users(), {
      method: 'POST',
      body: newUser({ groupId: emulator.otherGroupId })
    })
    expect(created.status).toBe(400)
    expect(created.json()).toMatchObject({
      error: 400,
      errorCode: 'GROUP_MISMATCH',
      parameters: [emulator.otherGroupId, emulator.groupId],
      reason: 'Bad Request'
    })
    const patched = await atlasFetch(emulator, token, `${users()}/%24external/ci-user`, {
      method: 'PATCH',
      body: { groupId: emulator.otherGroupId }
    })
    expect(patched.json()).toMatchObject({ error: 400, errorCode: 'GROUP_MISMATCH' })
  })

  it('answers 400 INVALID_QUERY_PARAMETER for a bad paging parameter', async () => {
    for (const query of ['itemsPerPage=0', 'itemsPerPage=501', 'pageNum=0', 'pageNum=x']) {
      const response = await atlasFetch(emulator, token, `${users()}?${query}`)
      expect([query, response.status]).toEqual([query, 400])
      expect(response.json()).toMatchObject({ errorCode: 'INVALID_QUERY_PARAMETER' })
    }
    expect((await atlasFetch(emulator, token, `${users()}?itemsPerPage=500`)).status).toBe(200)
  })

  it('sends RateLimit-Limit and RateLimit-Remaining on success only', async () => {
    const ok = await atlasFetch(emulator, token, users())
    expect(ok.headers.get('ratelimit-limit')).toBe('100')
    expect(ok.headers.get('ratelimit-remaining')).toBe('99')
    const missing = await atlasFetch(emulator, token, `${users()}/%24external/ghost`)
    expect(missing.status).toBe(404)
    expect(missing.headers.get('ratelimit-limit')).toBeNull()
  })

  it('sends Retry-After on a 429 (60 s unless the fault names a value, none for "")', async () => {
    emulator.fault({ path: users(), kind: 'status', status: 429 })
    const limited = await atlasFetch(emulator, token, users())
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('60')
    emulator.fault({ path: users(), kind: 'status', status: 429, retryAfter: '' })
    expect((await atlasFetch(emulator, token, users())).headers.get('retry-after')).toBeNull()
  })

  it('never returns groupId (writeOnly) in CloudDatabaseUser answers', async () => {
    const created = await atlasFetch(emulator, token, users(), { method: 'POST', body: newUser() })
    expect(created.status).toBe(201)
    expect(created.json()).not.toHaveProperty('groupId')
    const read = await atlasFetch(emulator, token, `${users()}/%24external/contract-user`)
    expect(read.json()).toMatchObject({ username: 'contract-user' })
    expect(read.json()).not.toHaveProperty('groupId')
    const list = (await atlasFetch(emulator, token, users())).json() as {
      results: Array<Record<string, unknown>>
    }
    expect(list.results.length).toBeGreaterThan(0)
    for (const user of list.results) expect(user).not.toHaveProperty('groupId')
    // The facade still knows the project of a stored user.
    expect(emulator.getUser(emulator.groupId, '$external', 'contract-user')?.groupId).toBe(
      emulator.groupId
    )
  })

  it('records each answer (headers and body) and the connection that carried it', async () => {
    emulator.clearRequests()
    await atlasFetch(emulator, token, users())
    const [record] = emulator.requests
    expect(record?.response?.headers['content-type']).toBe('application/vnd.atlas.2023-01-01+json')
    expect(JSON.parse(record?.response?.body ?? '')).toHaveProperty('results')
    expect(record?.connection).toBeGreaterThan(0)
  })
})

describe('customer CA vs managed certificates', () => {
  const certs = (emulator: Emulator) =>
    `/api/atlas/v2/groups/${emulator.otherGroupId}/databaseUsers/managed-user/certs`
  /** Asks for a managed certificate for managed-user in the other project. */
  const requestCertificate = (emulator: Emulator, token: string) =>
    atlasFetch(emulator, token, certs(emulator), { method: 'POST', body: {} })

  it('refuses with 400 CANNOT_GENERATE_CERT_IF_ADVANCED_X509 when switched on', async () => {
    const emulator = await startEmulator({ refuseManagedCertsWithCustomerCa: true })
    try {
      emulator.addUser(emulator.otherGroupId, { username: 'managed-user' })
      expect(emulator.customerX509(emulator.otherGroupId)).toContain('BEGIN CERTIFICATE')
      const token = await fetchToken(emulator)
      const refused = await requestCertificate(emulator, token)
      expect(refused.status).toBe(400)
      expect(refused.json()).toMatchObject({
        errorCode: 'CANNOT_GENERATE_CERT_IF_ADVANCED_X509',
        detail: 'The user cannot create managed X.509 certs if advanced mode is on.'
      })
      // Without a customer CA the same project issues again.
      emulator.setCustomerX509(emulator.otherGroupId, null)
      const issued = await requestCertificate(emulator, token)
      expect(issued.status).toBe(201)
    } finally {
      await emulator.close()
    }
  })

  it('issues beside a customer CA by default (unverified live)', async () => {
    const emulator = await startEmulator()
    try {
      emulator.addUser(emulator.otherGroupId, { username: 'managed-user' })
      const token = await fetchToken(emulator)
      const issued = await requestCertificate(emulator, token)
      expect(issued.status).toBe(201)
    } finally {
      await emulator.close()
    }
  })
})

describe('service-account token cap and revoke', () => {
  let emulator: Emulator
  let clock = new Date()

  beforeAll(async () => {
    emulator = await startEmulator({ maxActiveTokens: 3, now: () => clock })
  })
  afterAll(() => emulator.close())

  it('answers 403 access_denied past the cap; a revoke or an expiry frees a slot', async () => {
    const tokens: string[] = []
    for (let i = 0; i < 3; i++) {
      const response = await form(emulator, '/api/oauth/token', 'grant_type=client_credentials')
      expect(response.status).toBe(200)
      tokens.push(((await response.json()) as { access_token: string }).access_token)
    }
    expect(emulator.activeTokens()).toBe(3)
    const refused = await form(emulator, '/api/oauth/token', 'grant_type=client_credentials')
    expect(refused.status).toBe(403)
    expect(refused.headers.get('content-type')).toBe('application/json')
    expect(await refused.json()).toEqual(TOKEN_LIMIT_BODY)

    // The documented revoke: Basic auth, token=<t>&token_type_hint=access_token, 200.
    const revoked = await form(
      emulator,
      '/api/oauth/revoke',
      `token=${encodeURIComponent(tokens[0]!)}&token_type_hint=access_token`
    )
    expect(revoked.status).toBe(200)
    expect(await revoked.text()).toBe('')
    expect(emulator.activeTokens()).toBe(2)
    const users = `/api/atlas/v2/groups/${emulator.groupId}/databaseUsers`
    expect((await atlasFetch(emulator, tokens[0]!, users)).status).toBe(401)
    expect((await atlasFetch(emulator, tokens[1]!, users)).status).toBe(200)

    // curl -u id:secret, as MongoDB's docs show it, gets the freed slot, then hits the cap.
    const { clientId, clientSecret } = emulator.credentials
    const curlToken = () =>
      curl([
        '-u',
        `${clientId}:${clientSecret}`,
        '-H',
        'Accept: application/json',
        '-d',
        'grant_type=client_credentials',
        `${emulator.url}/api/oauth/token`
      ])
    const granted = await curlToken()
    expect(granted.status).toBe(200)
    expect(JSON.parse(granted.body)).toMatchObject({ token_type: 'Bearer', expires_in: 3600 })
    const capped = await curlToken()
    expect(capped.status).toBe(403)
    expect(JSON.parse(capped.body)).toEqual(TOKEN_LIMIT_BODY)

    // Tokens live one hour: once they expire the service account may hold 3 again.
    clock = new Date(clock.getTime() + 3600_000)
    expect(emulator.activeTokens()).toBe(0)
    expect((await curlToken()).status).toBe(200)
  })

  it('refuses a revoke without client credentials or without a token', async () => {
    const anonymous = await fetch(`${emulator.url}/api/oauth/revoke`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'token=x&token_type_hint=access_token'
    })
    expect(anonymous.status).toBe(401)
    expect((await form(emulator, '/api/oauth/revoke', 'token_type_hint=access_token')).status).toBe(
      400
    )
  })
})

describe('Digest nonce reuse', () => {
  const target = (emulator: Emulator) => `/api/atlas/v2/groups/${emulator.groupId}/databaseUsers`

  function authorization(emulator: Emulator, nonce: string, nc: string): string {
    const uri = target(emulator)
    const cnonce = 'contract-cnonce'
    const response = digestGetResponse(emulator, { uri, nonce, nc, cnonce })
    return (
      `Digest username="${emulator.credentials.publicKey}", realm="MMS Public API", ` +
      `nonce="${nonce}", uri="${uri}", cnonce="${cnonce}", nc=${nc}, qop=auth, ` +
      `algorithm=MD5, response="${response}"`
    )
  }

  async function get(emulator: Emulator, header?: string) {
    return fetch(`${emulator.url}${target(emulator)}`, {
      headers: {
        Accept: 'application/vnd.atlas.2023-01-01+json',
        ...(header ? { Authorization: header } : {})
      }
    })
  }

  function nonceOf(response: Response): string {
    return parseDigestHeader(response.headers.get('www-authenticate') ?? '')?.nonce ?? ''
  }

  it("'refuse': a reused nonce gets a plain 401 (stale=false) and a fresh challenge", async () => {
    const emulator = await startEmulator({ digestNonceReuse: 'refuse' })
    try {
      const nonce = nonceOf(await get(emulator))
      expect((await get(emulator, authorization(emulator, nonce, '00000001'))).status).toBe(200)
      const reused = await get(emulator, authorization(emulator, nonce, '00000002'))
      expect(reused.status).toBe(401)
      const challenge = reused.headers.get('www-authenticate') ?? ''
      expect(challenge).toMatch(/stale=false$/)
      expect(await reused.json()).toMatchObject({ errorCode: 'USER_UNAUTHORIZED' })
      const fresh = nonceOf(reused)
      expect(fresh).not.toBe(nonce)
      expect((await get(emulator, authorization(emulator, fresh, '00000001'))).status).toBe(200)
    } finally {
      await emulator.close()
    }
  })

  it("'allow' (default): the same reuse is accepted", async () => {
    const emulator = await startEmulator()
    try {
      const nonce = nonceOf(await get(emulator))
      expect((await get(emulator, authorization(emulator, nonce, '00000001'))).status).toBe(200)
      expect((await get(emulator, authorization(emulator, nonce, '00000002'))).status).toBe(200)
    } finally {
      await emulator.close()
    }
  })

  it("curl --digest still succeeds against 'refuse' (it takes a fresh challenge per run)", async () => {
    const emulator = await startEmulator({ digestNonceReuse: 'refuse' })
    try {
      for (let i = 0; i < 2; i++) {
        const response = await curlDigest(emulator, [
          '-H',
          'Content-Type: application/json',
          '-d',
          '{"monthsUntilExpiration":1}',
          `${emulator.url}${target(emulator)}/ci-user/certs`
        ])
        expect(response.statuses).toEqual([401, 201])
        expect(response.body).toContain('-----BEGIN CERTIFICATE-----')
      }
    } finally {
      await emulator.close()
    }
  })
})

describe('transport counters', () => {
  let dir: TempDir
  beforeAll(() => {
    dir = tempDir()
  })
  afterAll(() => dir.remove())

  it('counts TCP connections and TLS handshakes per emulator', async () => {
    const emulator = await startEmulator({ tls: true })
    try {
      const caFile = dir.write('ca.pem', emulator.tlsCaPem!)
      const url = `${emulator.url}/api/atlas/v2/groups/${emulator.groupId}/databaseUsers`
      const args = ['-s', '--cacert', caFile, '--digest', '--user', digestUser(emulator)]
      const write = ['-H', ACCEPT_V2, '-o', '/dev/null', '-w', '%{http_code}\n']
      // One curl run with two URLs reuses its connection: 2 digest round trips, 1 handshake.
      const once = await run('curl', [...args, ...write, url, ...write, url])
      expect(once.stdout.trim().split('\n')).toEqual(['200', '200'])
      expect(emulator.connectionStats()).toEqual({
        connections: 1,
        tlsHandshakes: 1,
        tlsResumed: 0
      })
      expect(new Set(emulator.requests.map(r => r.connection)).size).toBe(1)
      emulator.resetConnectionStats()
      // Two runs: two connections, two handshakes.
      await run('curl', [...args, ...write, url])
      await run('curl', [...args, ...write, url])
      expect(emulator.connectionStats()).toMatchObject({ connections: 2, tlsHandshakes: 2 })
    } finally {
      await emulator.close()
    }
  })
})
