/** Database users, userSecurity, OAuth, routing errors and TLS, through fetch and curl. */
import 'reflect-metadata'
import { webcrypto } from 'node:crypto'
import * as x509 from '@peculiar/x509'
import { OTHER_GROUP_ID, startEmulator, type Emulator } from '../../emulator/index.js'
import {
  ACCEPT_V2,
  atlasFetch,
  curl,
  curlDigest,
  curlToken,
  digestUser,
  fetchToken,
  tempDir
} from './helpers.js'

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0])

let emulator: Emulator
let token: string
let clock = new Date()

beforeAll(async () => {
  emulator = await startEmulator({ now: () => clock })
  token = await fetchToken(emulator)
})
afterAll(() => emulator.close())

const usersPath = () => `/api/atlas/v2/groups/${emulator.groupId}/databaseUsers`
const validUser = (over: Record<string, unknown> = {}) => ({
  databaseName: '$external',
  groupId: emulator.groupId,
  username: 'ephemeral-1',
  x509Type: 'MANAGED',
  roles: [{ roleName: 'readWrite', databaseName: 'app', collectionName: 'events' }],
  scopes: [{ name: 'Cluster0', type: 'CLUSTER' }],
  labels: [{ key: 'managed-by', value: 'atlas-x509-action' }],
  description: 'made by a test',
  ...over
})

describe('database users', () => {
  it('creates, reads, lists, refuses duplicates and deletes (204)', async () => {
    const created = await atlasFetch(emulator, token, usersPath(), {
      method: 'POST',
      body: { ...validUser(), password: undefined }
    })
    expect(created.status).toBe(201)
    expect(created.json()).toMatchObject({
      username: 'ephemeral-1',
      x509Type: 'MANAGED',
      labels: [{ key: 'managed-by' }]
    })
    expect(created.text).not.toContain('password')
    const path = `${usersPath()}/%24external/ephemeral-1`
    expect((await atlasFetch(emulator, token, path)).json()).toMatchObject({
      databaseName: '$external'
    })
    const duplicate = await atlasFetch(emulator, token, usersPath(), {
      method: 'POST',
      body: validUser()
    })
    expect(duplicate.json()).toEqual({
      detail: 'A user with username ephemeral-1 already exists.',
      error: 409,
      errorCode: 'USER_ALREADY_EXISTS',
      parameters: ['ephemeral-1'],
      reason: 'Conflict'
    })
    const list = (await atlasFetch(emulator, token, `${usersPath()}?itemsPerPage=2`)).json() as {
      results: Array<{ username: string }>
      totalCount: number
      links: Array<{ rel: string }>
    }
    expect(list.totalCount).toBe(4)
    expect(list.results.map(u => u.username)).toEqual(['ci-user', 'release-bot'])
    expect(list.links.map(l => l.rel)).toEqual(['self', 'next'])
    await atlasFetch(emulator, token, `${usersPath()}/ephemeral-1/certs`, {
      method: 'POST',
      body: {}
    })
    expect(emulator.issuedCertificates(emulator.groupId, 'ephemeral-1')).toHaveLength(1)
    const deleted = await curl([
      '-X',
      'DELETE',
      '-H',
      `Authorization: Bearer ${token}`,
      '-H',
      ACCEPT_V2,
      `${emulator.url}${path}`
    ])
    expect(deleted.status).toBe(204)
    expect(deleted.body).toBe('')
    expect(emulator.getUser(emulator.groupId, '$external', 'ephemeral-1')).toBeUndefined()
    expect(emulator.issuedCertificates(emulator.groupId, 'ephemeral-1')).toEqual([])
    expect((await atlasFetch(emulator, token, path, { method: 'DELETE' })).json()).toMatchObject({
      error: 404,
      errorCode: 'USERNAME_NOT_FOUND'
    })
  })

  it.each([
    ['x509 on admin', 'DATABASE_NAME_INVALID_EXTERNAL', { databaseName: 'admin' }],
    [
      'temporary x509',
      'ATLAS_X509_USER_CANNOT_BE_TEMPORARY',
      { deleteAfterDate: new Date(Date.now() + 3600_000).toISOString() }
    ],
    ['long description', 'INVALID_ATTRIBUTE', { description: 'x'.repeat(101) }],
    ['empty label value', 'INVALID_ATTRIBUTE', { labels: [{ key: 'k', value: '' }] }],
    ['long label key', 'INVALID_ATTRIBUTE', { labels: [{ key: 'k'.repeat(256), value: 'v' }] }],
    ['bad scope name', 'INVALID_ATTRIBUTE', { scopes: [{ name: '-bad', type: 'CLUSTER' }] }],
    ['bad scope type', 'INVALID_ENUM_VALUE', { scopes: [{ name: 'c0', type: 'SERVERLESS' }] }],
    ['no roles', 'MISSING_ATTRIBUTE', { roles: undefined }],
    ['empty roles', 'INVALID_ATTRIBUTE', { roles: [] }],
    ['role without roleName', 'MISSING_ATTRIBUTE', { roles: [{ databaseName: 'app' }] }],
    ['other groupId', 'GROUP_MISMATCH', { groupId: OTHER_GROUP_ID }],
    ['no username', 'MISSING_ATTRIBUTE', { username: undefined }],
    ['long username', 'INVALID_ATTRIBUTE', { username: 'u'.repeat(1025) }],
    ['bad x509Type', 'INVALID_ENUM_VALUE', { x509Type: 'SELF' }]
  ])('refuses %s with 400 %s', async (_name, errorCode, override) => {
    const response = await atlasFetch(emulator, token, usersPath(), {
      method: 'POST',
      body: validUser({ username: 'invalid-user', ...override })
    })
    expect(response.status).toBe(400)
    expect(response.json()).toMatchObject({ error: 400, errorCode, reason: 'Bad Request' })
    expect(emulator.getUser(emulator.groupId, '$external', 'invalid-user')).toBeUndefined()
  })

  it('caps a project at 100 users (403)', async () => {
    for (let i = emulator.users(emulator.otherGroupId).length; i < 100; i++) {
      emulator.addUser(emulator.otherGroupId, { username: `filler-${i}` })
    }
    const response = await atlasFetch(
      emulator,
      token,
      `/api/atlas/v2/groups/${emulator.otherGroupId}/databaseUsers`,
      {
        method: 'POST',
        body: validUser({ groupId: emulator.otherGroupId })
      }
    )
    expect(response.json()).toMatchObject({ error: 403, errorCode: 'GROUP_USERS_LIMIT_EXCEEDED' })
  })
})

async function caPem(notBefore: Date, notAfter: Date): Promise<string> {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify'
  ])
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=Test Customer CA',
    notBefore,
    notAfter,
    keys: keys as never,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)]
  })
  return cert.toString('pem') + '\n'
}

describe('userSecurity', () => {
  const path = () => `/api/atlas/v2/groups/${emulator.groupId}/userSecurity`

  it('uploads CAs with PATCH (202, one restart) and reads them back', async () => {
    const pem =
      (await caPem(new Date(Date.now() - 86_400_000), new Date(Date.now() + 86_400_000 * 30))) +
      (await caPem(new Date(Date.now() - 86_400_000), new Date(Date.now() + 86_400_000 * 60)))
    const before = emulator.restarts(emulator.groupId)
    const patched = await atlasFetch(emulator, token, path(), {
      method: 'PATCH',
      body: { customerX509: { cas: pem } }
    })
    expect(patched.status).toBe(202)
    expect(patched.json()).toMatchObject({
      customerX509: { cas: pem },
      ldap: { authzQueryTemplate: '{USER}?memberOf?base', port: 636 }
    })
    expect(emulator.restarts(emulator.groupId)).toBe(before + 1)
    expect(emulator.customerX509(emulator.groupId)).toBe(pem)
    const read = await curlDigest(emulator, [`${emulator.url}${path()}`])
    expect(JSON.parse(read.body)).toMatchObject({
      customerX509: { cas: pem, links: [{ rel: 'self' }] },
      links: [{ rel: 'self' }]
    })
  })

  it('refuses an expired CA and a non-certificate', async () => {
    const expired = await caPem(
      new Date(Date.now() - 86_400_000 * 30),
      new Date(Date.now() - 86_400_000)
    )
    const before = emulator.restarts(emulator.groupId)
    const response = await atlasFetch(emulator, token, path(), {
      method: 'PATCH',
      body: { customerX509: { cas: expired } }
    })
    expect(response.json()).toEqual({
      detail: 'The X.509 CA certificate has expired.',
      error: 400,
      errorCode: 'EXPIRED_X509_CA_CERTIFICATE',
      parameters: [],
      reason: 'Bad Request'
    })
    for (const cas of [
      'not a pem',
      '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'
    ]) {
      const bad = await atlasFetch(emulator, token, path(), {
        method: 'PATCH',
        body: { customerX509: { cas } }
      })
      expect(bad.json()).toMatchObject({ error: 400, errorCode: 'INVALID_ATTRIBUTE' })
    }
    expect(emulator.restarts(emulator.groupId)).toBe(before)
  })

  it('DELETE customerX509 clears it and restarts even when nothing was set', async () => {
    const first = await atlasFetch(emulator, token, `${path()}/customerX509`, { method: 'DELETE' })
    expect(first.status).toBe(202)
    expect(first.json()).not.toHaveProperty('customerX509')
    const before = emulator.restarts(emulator.groupId)
    expect(
      (await atlasFetch(emulator, token, `${path()}/customerX509`, { method: 'DELETE' })).status
    ).toBe(202)
    expect(emulator.restarts(emulator.groupId)).toBe(before + 1)
  })
})

describe('OAuth', () => {
  const tokenUrl = () => `${emulator.url}/api/oauth/token`

  it('refuses a bad client (401 invalid_client) and a bad grant (400)', async () => {
    const bad = await curl([
      '--user',
      `${emulator.credentials.clientId}:wrong`,
      '-d',
      'grant_type=client_credentials',
      tokenUrl()
    ])
    expect(bad.status).toBe(401)
    expect(JSON.parse(bad.body)).toMatchObject({ error: 'invalid_client' })
    const { clientId, clientSecret } = emulator.credentials
    for (const data of ['grant_type=password', 'scope=x']) {
      const grant = await curl(['--user', `${clientId}:${clientSecret}`, '-d', data, tokenUrl()])
      expect(grant.status).toBe(400)
      expect(JSON.parse(grant.body)).toMatchObject({ error: 'unsupported_grant_type' })
    }
  })

  it('issues 1-hour tokens that expire with the clock and can be revoked', async () => {
    const fresh = await curlToken(emulator)
    const path = `/api/atlas/v2/groups/${emulator.groupId}/userSecurity`
    expect((await atlasFetch(emulator, fresh, path)).status).toBe(200)
    clock = new Date(clock.getTime() + 3601_000)
    try {
      expect((await atlasFetch(emulator, fresh, path)).json()).toMatchObject({
        error: 401,
        errorCode: 'USER_UNAUTHORIZED'
      })
    } finally {
      clock = new Date()
    }
    const other = await curlToken(emulator)
    const { clientId, clientSecret } = emulator.credentials
    const revoked = await curl([
      '--user',
      `${clientId}:${clientSecret}`,
      '-d',
      `token=${other}&token_type_hint=access_token`,
      `${emulator.url}/api/oauth/revoke`
    ])
    expect(revoked.status).toBe(200)
    expect((await atlasFetch(emulator, other, path)).status).toBe(401)
    expect((await atlasFetch(emulator, 'made-up', path)).status).toBe(401)
  })
})

describe('routing errors', () => {
  it.each([
    ['/api/atlas/v2/groups/32b6e34b3d91647abb20e7b8/processes', 404, 'RESOURCE_NOT_FOUND'],
    ['/api/atlas/v2/groups/0123456789abcdef01234567/userSecurity', 404, 'GROUP_NOT_FOUND'],
    ['/api/atlas/v2/groups/not-a-group/userSecurity', 400, 'INVALID_GROUP_ID']
  ])('GET %s → %i %s', async (path, status, errorCode) => {
    const response = await atlasFetch(emulator, token, path)
    expect(response.status).toBe(status)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(response.json()).toMatchObject({ error: status, errorCode })
  })

  it('answers 405 for a wrong method and 400 MALFORMED_JSON for a broken body', async () => {
    const path = `/api/atlas/v2/groups/${emulator.groupId}/userSecurity`
    const wrong = await atlasFetch(emulator, token, path, { method: 'PUT', body: {} })
    expect(wrong.status).toBe(405)
    expect(wrong.headers.get('allow')).toBe('GET, PATCH')
    const broken = await atlasFetch(emulator, token, path, {
      method: 'PATCH',
      body: '{"customerX509":'
    })
    expect(broken.json()).toMatchObject({ error: 400, errorCode: 'MALFORMED_JSON' })
  })
})

describe('TLS mode', () => {
  it('serves HTTPS to curl --cacert on 127.0.0.1 and localhost', async () => {
    const secure = await startEmulator({ tls: true })
    const dir = tempDir()
    try {
      expect(secure.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
      const caFile = dir.write('tls-ca.pem', secure.tlsCaPem!)
      const path = `/api/atlas/v2/groups/${secure.groupId}/userSecurity`
      const port = new URL(secure.url).port
      for (const url of [`${secure.url}${path}`, `https://localhost:${port}${path}`]) {
        const response = await curl([
          '--cacert',
          caFile,
          '--digest',
          '--user',
          digestUser(secure),
          '-H',
          ACCEPT_V2,
          url
        ])
        expect(response.status).toBe(200)
      }
      const untrusted = await curl(['-H', ACCEPT_V2, `${secure.url}${path}`]).catch((e: Error) => e)
      expect(untrusted).toBeInstanceOf(Error)
    } finally {
      dir.remove()
      await secure.close()
    }
  })
})
