/** Certificate routes: validation, limits, the list's pagination, int64 ids and expiry. */
import { expect } from '@jest/globals'
import { createPublicKey, generateKeyPairSync } from 'node:crypto'
import { readRsaKeySupply, RSA_KEY_SUPPLY_VARIABLE } from '../../emulator/ca.js'
import { startEmulator, type Emulator } from '../../emulator/index.js'
import { atlasFetch, fetchToken, run, tempDir } from './helpers.js'

let emulator: Emulator
let token: string
let clock: Date
const base = (emulator: Emulator) => `/api/atlas/v2/groups/${emulator.groupId}/databaseUsers`

beforeAll(async () => {
  clock = new Date('2026-01-31T10:00:00.000Z')
  emulator = await startEmulator({ now: () => clock, certLimitPerUser: 3, keyAlgorithm: 'EC' })
  token = await fetchToken(emulator)
})
afterAll(() => emulator.close())

const post = (username: string, body: unknown) =>
  atlasFetch(emulator, token, `${base(emulator)}/${encodeURIComponent(username)}/certs`, {
    method: 'POST',
    body
  })

describe('POST …/databaseUsers/{username}/certs', () => {
  it('validates monthsUntilExpiration', async () => {
    const cases: Array<[unknown, string]> = [
      [25, 'CERT_EXPIRY_CANNOT_EXCEED_TWO_YEARS'],
      [0, 'INVALID_ATTRIBUTE'],
      [3.5, 'INVALID_ATTRIBUTE'],
      ['3', 'INVALID_ATTRIBUTE']
    ]
    for (const [months, errorCode] of cases) {
      const response = await post('ci-user', { monthsUntilExpiration: months })
      expect([
        months,
        response.status,
        (response.json() as { errorCode: string }).errorCode
      ]).toEqual([months, 400, errorCode])
    }
    expect((await post('ci-user', { monthsUntilExpiration: 25 })).json()).toMatchObject({
      detail: 'Atlas-generated X.509 certificates have a maximum expiration of 24 months.'
    })
    const malformed = await post('ci-user', '{"monthsUntilExpiration":')
    expect(malformed.json()).toMatchObject({ error: 400, errorCode: 'MALFORMED_JSON' })
  })

  it('refuses unknown and non-managed users', async () => {
    expect((await post('nobody', {})).json()).toEqual({
      detail: 'No user with username nobody exists.',
      error: 404,
      errorCode: 'USERNAME_NOT_FOUND',
      parameters: ['nobody'],
      reason: 'Not Found'
    })
    expect((await post('ldap-user', {})).json()).toMatchObject({
      error: 400,
      errorCode: 'USER_NOT_MANAGED_X509'
    })
  })

  it('issues EC keys on request and adds calendar months (Jan 31 + 1 = Feb 28)', async () => {
    const response = await post('release-bot', { monthsUntilExpiration: 1 })
    expect(response.status).toBe(201)
    expect(response.headers.get('content-type')).toBe('application/vnd.atlas.2023-01-01+json')
    const dir = tempDir()
    try {
      const text = await run('openssl', [
        'x509',
        '-in',
        dir.write('c.pem', response.text),
        '-noout',
        '-text'
      ])
      expect(text.stdout).toContain('id-ecPublicKey')
      expect(text.stdout).toContain('Not After : Feb 28 10:00:00 2026 GMT')
    } finally {
      dir.remove()
    }
  })

  it('stops at the per-user limit of unexpired certs', async () => {
    emulator.addUser(emulator.groupId, { username: 'limited' })
    emulator.addCertificateRecord(emulator.groupId, 'limited', {
      createdAt: new Date('2025-01-01T00:00:00Z'),
      notAfter: new Date('2025-04-01T00:00:00Z')
    })
    for (let i = 0; i < 3; i++) expect((await post('limited', {})).status).toBe(201)
    expect((await post('limited', {})).json()).toMatchObject({
      error: 400,
      errorCode: 'ATLAS_GENERATED_CERTS_LIMIT_EXCEEDED'
    })
  })
})

describe('GET …/databaseUsers/{username}/certs', () => {
  const big = ['9007199254740993', '9223372036854775807']

  beforeAll(() => {
    emulator.addUser(emulator.groupId, { username: 'paged' })
    const createdAt = new Date('2025-12-01T00:00:00Z')
    emulator.addCertificateRecord(emulator.groupId, 'paged', {
      id: big[0],
      createdAt,
      notAfter: new Date('2026-06-01T00:00:00Z')
    })
    emulator.addCertificateRecord(emulator.groupId, 'paged', {
      createdAt,
      notAfter: new Date('2026-01-01T00:00:00Z') // expired at the emulator's clock
    })
    for (let i = 0; i < 4; i++) {
      emulator.addCertificateRecord(emulator.groupId, 'paged', {
        createdAt,
        notAfter: new Date(`2026-0${i + 3}-01T00:00:00Z`)
      })
    }
    emulator.addCertificateRecord(emulator.groupId, 'paged', {
      id: big[1],
      createdAt,
      notAfter: new Date('2027-01-01T00:00:00Z'),
      subject: 'CN=paged,OU=ops'
    })
  })

  const list = (query = '') => atlasFetch(emulator, token, `${base(emulator)}/paged/certs${query}`)

  it('emits int64 ids digit for digit and omits expired certs', async () => {
    const response = await list()
    expect(response.status).toBe(200)
    for (const id of big) expect(response.text).toContain(`"_id":${id},`)
    const page = response.json() as { totalCount: number; results: Array<Record<string, unknown>> }
    expect(page.totalCount).toBe(6)
    expect(page.results[0]).toEqual({
      _id: expect.any(Number),
      createdAt: '2025-12-01T00:00:00Z',
      groupId: emulator.groupId,
      notAfter: '2026-06-01T00:00:00Z',
      subject: 'CN=paged'
    })
    expect(response.text).not.toContain('2026-01-01T00:00:00Z')
    const ids = [...response.text.matchAll(/"_id":(\d+)/g)].map(m => BigInt(m[1]!))
    expect(ids.every(id => id > 2n ** 53n)).toBe(true)
  })

  it('pages with next links until the last page', async () => {
    const seen: string[] = []
    let url: string | undefined = `${emulator.url}${base(emulator)}/paged/certs?itemsPerPage=4`
    const pages: number[] = []
    while (url) {
      const response = await atlasFetch(emulator, token, url.replace(emulator.url, ''))
      const page = response.json() as {
        links: Array<{ href: string; rel: string }>
        results: unknown[]
        totalCount: number
      }
      pages.push(page.results.length)
      seen.push(...[...response.text.matchAll(/"_id":(\d+)/g)].map(m => m[1]!))
      expect(page.totalCount).toBe(6)
      url = page.links.find(l => l.rel === 'next')?.href
    }
    expect(pages).toEqual([4, 2])
    expect(new Set(seen).size).toBe(6)
    expect(seen).toContain(big[1])
    const second = (await list('?itemsPerPage=4&pageNum=2')).json() as { links: unknown[] }
    expect(second.links).toEqual([
      {
        href: `${emulator.url}${base(emulator)}/paged/certs?pageNum=1&itemsPerPage=4`,
        rel: 'previous'
      },
      { href: `${emulator.url}${base(emulator)}/paged/certs?pageNum=2&itemsPerPage=4`, rel: 'self' }
    ])
  })

  it('honours includeCount=false and refuses out-of-range paging', async () => {
    expect((await list('?includeCount=false')).json()).not.toHaveProperty('totalCount')
    for (const query of [
      '?itemsPerPage=0',
      '?itemsPerPage=501',
      '?pageNum=0',
      '?includeCount=yes'
    ]) {
      const response = await list(query)
      expect([query, response.status]).toEqual([query, 400])
      expect(response.json()).toMatchObject({ errorCode: 'INVALID_QUERY_PARAMETER' })
    }
    expect((await list('?pageNum=9')).json()).toMatchObject({ results: [], totalCount: 6 })
  })

  it('404s an unknown user', async () => {
    const response = await atlasFetch(emulator, token, `${base(emulator)}/ghost/certs`)
    expect(response.json()).toMatchObject({ error: 404, errorCode: 'USERNAME_NOT_FOUND' })
  })
})

describe('RSA key supply (ATLAS_EMULATOR_RSA_KEYS, set by the test run)', () => {
  const modulus = (pem: string) => createPublicKey(pem).export({ format: 'jwk' }).n ?? ''

  it('issues each supplied key once, after the CA keys, then generates', async () => {
    const supplied = readRsaKeySupply(process.env[RSA_KEY_SUPPLY_VARIABLE]).map(modulus)
    expect(supplied).toHaveLength(16)
    const rsa = await startEmulator()
    try {
      const rsaToken = await fetchToken(rsa)
      const served: string[] = []
      for (let i = 0; i < 15; i++) {
        const response = await atlasFetch(rsa, rsaToken, `${base(rsa)}/ci-user/certs`, {
          method: 'POST',
          body: { monthsUntilExpiration: 1 }
        })
        expect(response.status).toBe(201)
        served.push(modulus(response.text.slice(response.text.indexOf('-----BEGIN PRIVATE KEY'))))
      }
      // The file's first emulator took two keys for its CAs (managed, customer); every
      // certificate then took the next key, and once the 16 were used up, a generated one.
      expect(served.slice(0, 14)).toEqual(supplied.slice(2))
      expect(supplied).not.toContain(served[14])
    } finally {
      await rsa.close()
    }
  })

  it('refuses a supply file holding another kind of key', () => {
    const dir = tempDir()
    try {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      const path = dir.write(
        'keys.pem',
        privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
      )
      expect(() => readRsaKeySupply(path)).toThrow(
        `${RSA_KEY_SUPPLY_VARIABLE}: ${path} must hold only RSA-2048 PKCS#8 keys`
      )
      expect(readRsaKeySupply(undefined)).toEqual([])
    } finally {
      dir.remove()
    }
  })
})
