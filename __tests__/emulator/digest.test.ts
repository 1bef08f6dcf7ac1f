/** HTTP Digest (RFC 7616) as Atlas speaks it, checked with the RFC vectors and with curl --digest. */
import {
  computeDigestResponse,
  parseDigestHeader,
  startEmulator,
  type Emulator
} from '../../emulator/index.js'
import { ACCEPT_V2, curl, curlDigest, digestGetResponse, digestUser, run } from './helpers.js'
import { RFC7616_EXAMPLE } from '../support/rfc7616.js'

describe('RFC 7616 §3.9.1 vectors', () => {
  const vector = RFC7616_EXAMPLE

  it('computes the MD5 response', () => {
    expect(computeDigestResponse({ ...vector, algorithm: 'MD5' })).toBe(
      '8ca523f5e9506fed4657c9700eebdbec'
    )
  })

  it('computes the SHA-256 response', () => {
    expect(computeDigestResponse({ ...vector, algorithm: 'SHA-256' })).toBe(
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'
    )
  })

  it('parses the RFC example Authorization header', () => {
    const header =
      'Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", ' +
      'algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, ' +
      'cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, ' +
      'response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", ' +
      'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"'
    expect(parseDigestHeader(header)).toMatchObject({
      username: 'Mufasa',
      algorithm: 'SHA-256',
      nc: '00000001',
      qop: 'auth',
      uri: '/dir/index.html'
    })
    expect(parseDigestHeader('Digest username="a, b", realm="x\\"y"')).toEqual({
      username: 'a, b',
      realm: 'x"y'
    })
    expect(parseDigestHeader('Basic abc')).toBeNull()
  })
})

describe('curl --digest against the emulator (MD5)', () => {
  let emulator: Emulator
  let clock = new Date()
  let users: string

  beforeAll(async () => {
    emulator = await startEmulator({ now: () => clock, nonceTtlMs: 60_000 })
    users = `${emulator.url}/api/atlas/v2/groups/${emulator.groupId}/databaseUsers`
  })
  afterAll(() => emulator.close())
  beforeEach(() => {
    emulator.clearRequests()
    clock = new Date()
  })

  it('challenges like Atlas', async () => {
    const response = await curl(['-H', ACCEPT_V2, users])
    expect(response.status).toBe(401)
    expect(response.headers['www-authenticate']).toMatch(
      /^Digest realm="MMS Public API", domain="", nonce="[A-Za-z0-9+/]+=*", algorithm=MD5, qop="auth", stale=false$/
    )
    expect(response.headers['content-type']).toBe('application/json')
    expect(JSON.parse(response.body)).toEqual({
      detail: 'You are not authorized for this resource.',
      error: 401,
      errorCode: 'USER_UNAUTHORIZED',
      parameters: [],
      reason: 'Unauthorized'
    })
  })

  it('serves several curl --digest requests in one run', async () => {
    const result = await run('curl', [
      '-s',
      '--digest',
      '--user',
      digestUser(emulator),
      '-H',
      ACCEPT_V2,
      '-w',
      '%{http_code}\n',
      ...[users, `${users}/%24external/ci-user`, `${users}/ci-user/certs`].flatMap(url => [
        '-o',
        '/dev/null',
        url
      ])
    ])
    expect(result.stdout.trim().split('\n')).toEqual(['200', '200', '200'])
    const authorized = emulator.requests.filter(r => r.auth === 'digest')
    expect(authorized.map(r => r.status)).toEqual([200, 200, 200])
    expect(parseDigestHeader(authorized[1]!.headers.authorization!)?.uri).toBe(
      `/api/atlas/v2/groups/${emulator.groupId}/databaseUsers/%24external/ci-user`
    )
  })

  it('accepts a nonce reused with a higher nc, for another request target', async () => {
    await curl(['--digest', '--user', digestUser(emulator), '-H', ACCEPT_V2, users])
    const first = parseDigestHeader(
      emulator.requests.find(r => r.auth === 'digest')!.headers.authorization!
    )!
    const path = `/api/atlas/v2/groups/${emulator.groupId}/userSecurity`
    const header = (nc: string) =>
      `Digest username="${emulator.credentials.publicKey}", realm="MMS Public API", ` +
      `nonce="${first.nonce}", uri="${path}", cnonce="${first.cnonce}", nc=${nc}, qop=auth, ` +
      `algorithm=MD5, response="${computeDigestResponse({
        algorithm: 'MD5',
        username: emulator.credentials.publicKey,
        realm: 'MMS Public API',
        password: emulator.credentials.privateKey,
        method: 'GET',
        uri: path,
        nonce: first.nonce!,
        nc,
        cnonce: first.cnonce!,
        qop: 'auth'
      })}"`
    const second = await curl([
      '-H',
      `Authorization: ${header('00000002')}`,
      '-H',
      ACCEPT_V2,
      `${emulator.url}${path}`
    ])
    expect(second.status).toBe(200)
    const skipped = await curl([
      '-H',
      `Authorization: ${header('0000000a')}`,
      '-H',
      ACCEPT_V2,
      `${emulator.url}${path}`
    ])
    expect(skipped.status).toBe(200)
    const replayed = await curl([
      '-H',
      `Authorization: ${header('00000003')}`,
      '-H',
      ACCEPT_V2,
      `${emulator.url}${path}`
    ])
    expect(replayed.status).toBe(401)
    const wrongUri = await curl([
      '-H',
      `Authorization: ${header('0000000b')}`,
      '-H',
      ACCEPT_V2,
      `${users}`
    ])
    expect(wrongUri.status).toBe(401)
  })

  it('rejects a wrong password with 401, not stale', async () => {
    const response = await curl([
      '--digest',
      '--user',
      `${emulator.credentials.publicKey}:wrong-password`,
      '-H',
      ACCEPT_V2,
      users
    ])
    expect(response.statuses).toEqual([401, 401])
    expect(response.headers['www-authenticate']).toContain('stale=false')
    expect(emulator.requests.every(r => r.auth === null)).toBe(true)
  })

  it('answers 406 without a versioned Accept header (after auth)', async () => {
    for (const accept of [
      [],
      ['-H', 'Accept: application/json'],
      ['-H', 'Accept: application/vnd.atlas.2022-12-31+json']
    ]) {
      const response = await curl(['--digest', '--user', digestUser(emulator), ...accept, users])
      expect(response.statuses).toEqual([401, 406])
      expect(JSON.parse(response.body)).toMatchObject({
        error: 406,
        errorCode: 'INVALID_VERSION_DATE'
      })
    }
    const tomorrow = new Date(clock.getTime() + 86_400_000).toISOString().slice(0, 10)
    const future = await curl([
      '--digest',
      '--user',
      digestUser(emulator),
      '-H',
      `Accept: application/vnd.atlas.${tomorrow}+json`,
      users
    ])
    expect(future.status).toBe(406)
    const newer = await curl([
      '--digest',
      '--user',
      digestUser(emulator),
      '-H',
      'Accept: application/vnd.atlas.2025-03-12+json',
      users
    ])
    expect(newer.status).toBe(200)
    expect(newer.headers['content-type']).toBe('application/vnd.atlas.2023-01-01+json')
  })

  it('rejects a replayed nc with 401', async () => {
    await curl(['--digest', '--user', digestUser(emulator), '-H', ACCEPT_V2, users])
    const sent = emulator.requests.find(r => r.auth === 'digest')!.headers.authorization!
    const replay = await curl(['-H', `Authorization: ${sent}`, '-H', ACCEPT_V2, users])
    expect(replay.status).toBe(401)
    expect(replay.headers['www-authenticate']).toContain('stale=false')
  })

  it('answers stale=true for an expired nonce with a correct response', async () => {
    await curl(['--digest', '--user', digestUser(emulator), '-H', ACCEPT_V2, users])
    const sent = emulator.requests.find(r => r.auth === 'digest')!.headers.authorization!
    const next = sent.replace(/nc=0*1\b/, 'nc=00000002')
    clock = new Date(clock.getTime() + 61_000)
    // curl cannot hold a nonce across runs, so the next request is replayed by hand with nc+1;
    // its response hash is then wrong, which must not be reported as stale.
    const wrongHash = await curl(['-H', `Authorization: ${next}`, '-H', ACCEPT_V2, users])
    expect(wrongHash.headers['www-authenticate']).toContain('stale=false')
    const p = parseDigestHeader(sent)!
    const response = digestGetResponse(emulator, {
      uri: p.uri!,
      nonce: p.nonce!,
      nc: '00000002',
      cnonce: p.cnonce!
    })
    const expired = next.replace(/response="[0-9a-f]+"/, `response="${response}"`)
    const stale = await curl(['-H', `Authorization: ${expired}`, '-H', ACCEPT_V2, users])
    expect(stale.status).toBe(401)
    expect(stale.headers['www-authenticate']).toContain('stale=true')
  })
})

describe('curl --digest against Atlas for Government mode (SHA-256)', () => {
  let emulator: Emulator

  beforeAll(async () => {
    emulator = await startEmulator({ digestAlgorithm: 'SHA-256' })
  })
  afterAll(() => emulator.close())

  it('challenges with algorithm=SHA-256 and accepts curl’s SHA-256 response', async () => {
    const response = await curlDigest(emulator, [
      `${emulator.url}/api/atlas/v2/groups/${emulator.groupId}/userSecurity`
    ])
    expect(response.statuses).toEqual([401, 200])
    const challenge = emulator.requests[0]!
    expect(challenge.status).toBe(401)
    const sent = parseDigestHeader(emulator.requests[1]!.headers.authorization!)!
    expect(sent.algorithm).toBe('SHA-256')
    expect(sent.response).toMatch(/^[0-9a-f]{64}$/)
    expect(JSON.parse(response.body)).toHaveProperty('ldap.port', 636)
  })

  it('refuses an MD5 response', async () => {
    const response = await curl([
      '-H',
      'Authorization: Digest username="emulatorpub", realm="MMS Public API", nonce="x", uri="/api/atlas/v2/groups/32b6e34b3d91647abb20e7b8/userSecurity", algorithm=MD5, response="00", qop=auth, nc=00000001, cnonce="c"',
      '-H',
      ACCEPT_V2,
      `${emulator.url}/api/atlas/v2/groups/${emulator.groupId}/userSecurity`
    ])
    expect(response.status).toBe(401)
    expect(response.headers['www-authenticate']).toContain('algorithm=SHA-256')
  })
})
