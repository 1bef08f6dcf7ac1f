/**
 * A cluster's MongoDB endpoint, driven by the official driver (MONGODB-X509 over TLS) and by
 * openssl s_client: certificates come from the emulator's certs POST route.
 */
import { expect } from '@jest/globals'
import { MongoClient, MongoServerError } from 'mongodb'
import { createCertificateAuthority, issueClientCertificate } from '../../emulator/ca.js'
import {
  SEEDED_CLUSTER,
  startEmulator,
  type Emulator,
  type MongodEndpoint
} from '../../emulator/index.js'
import { atlasFetch, fetchToken, run, tempDir, type TempDir } from './helpers.js'

let emulator: Emulator
let token: string
let endpoint: MongodEndpoint
let dir: TempDir
let caFile: string
/**
 * The emulator clock runs a minute behind real time and the tests move it forward: TLS checks
 * certificates against the real clock, so a certificate issued on the emulator clock must not
 * start in the real future.
 */
let offsetMs = -60_000

beforeAll(async () => {
  emulator = await startEmulator({ now: () => new Date(Date.now() + offsetMs) })
  token = await fetchToken(emulator)
  endpoint = await emulator.startMongod(emulator.groupId, SEEDED_CLUSTER)
  dir = tempDir()
  caFile = dir.write('mongod-ca.pem', endpoint.caPem)
})
afterAll(async () => {
  await emulator.close()
  dir.remove()
})

const usersPath = (groupId = emulator.groupId) => `/api/atlas/v2/groups/${groupId}/databaseUsers`

async function createUser(username: string, groupId = emulator.groupId): Promise<void> {
  const response = await atlasFetch(emulator, token, usersPath(groupId), {
    method: 'POST',
    body: {
      databaseName: '$external',
      groupId,
      username,
      x509Type: 'MANAGED',
      roles: [{ roleName: 'readWrite', databaseName: 'app' }]
    }
  })
  expect(response.status).toBe(201)
}

async function deleteUser(username: string): Promise<void> {
  const path = `${usersPath()}/%24external/${username}`
  expect((await atlasFetch(emulator, token, path, { method: 'DELETE' })).status).toBe(204)
}

/** A PEM file (certificate + key) issued by the certs POST route. */
async function certFileFor(username: string, groupId = emulator.groupId): Promise<string> {
  const response = await atlasFetch(emulator, token, `${usersPath(groupId)}/${username}/certs`, {
    method: 'POST',
    body: { monthsUntilExpiration: 1 }
  })
  expect(response.status).toBe(201)
  return dir.write(`${groupId}-${username}.pem`, response.text)
}

/**
 * Connects with X.509 and pings; the client is always closed. A refused TLS handshake surfaces
 * only when server selection gives up: `serverSelectionTimeoutMS` shorter where that is the
 * expected outcome (the handshake itself fails at once on loopback).
 */
async function ping(certFile: string, serverSelectionTimeoutMS = 500): Promise<unknown> {
  const client = new MongoClient(endpoint.uri, {
    tls: true,
    tlsCAFile: caFile,
    tlsCertificateKeyFile: certFile,
    authMechanism: 'MONGODB-X509',
    serverSelectionTimeoutMS,
    connectTimeoutMS: 1500
  })
  try {
    await client.connect()
    return await client.db('admin').command({ ping: 1 })
  } finally {
    await client.close()
  }
}

async function pingError(certFile: string, serverSelectionTimeoutMS?: number): Promise<Error> {
  return ping(certFile, serverSelectionTimeoutMS).then(
    () => {
      throw new Error('ping succeeded')
    },
    (error: Error) => error
  )
}

/** Server selection when the TLS handshake is expected to be refused. */
const TLS_REFUSED_SELECTION_MS = 200

function expectAuthenticationFailed(error: Error): void {
  expect(error).toBeInstanceOf(MongoServerError)
  expect(error).toMatchObject({
    code: 18,
    codeName: 'AuthenticationFailed',
    errmsg: 'Authentication failed.'
  })
}

describe('MongoDB endpoint with the official driver', () => {
  it('authenticates an applied MANAGED user and answers ping', async () => {
    expect(endpoint.uri).toBe(
      `mongodb://127.0.0.1:${endpoint.port}/?tls=true&directConnection=true`
    )
    const certFile = await certFileFor('ci-user')
    expect(await ping(certFile)).toEqual({ ok: 1 })
    const log = emulator.mongodLog(emulator.groupId, SEEDED_CLUSTER)
    const speculative = log.find(r => r.body.speculativeAuthenticate !== undefined)
    expect(speculative).toMatchObject({
      command: expect.stringMatching(/^(hello|isMaster|ismaster)$/),
      body: { speculativeAuthenticate: { authenticate: 1, mechanism: 'MONGODB-X509' } }
    })
    expect(log.map(r => r.command)).toContain('ping')
  })

  it('answers other commands with 59 CommandNotFound', async () => {
    const certFile = await certFileFor('ci-user')
    const client = new MongoClient(endpoint.uri, {
      tls: true,
      tlsCAFile: caFile,
      tlsCertificateKeyFile: certFile,
      authMechanism: 'MONGODB-X509',
      serverSelectionTimeoutMS: 500
    })
    try {
      const error = await client
        .db('app')
        .command({ find: 'events' })
        .catch((e: Error) => e)
      expect(error).toMatchObject({ code: 59, codeName: 'CommandNotFound' })
    } finally {
      await client.close()
    }
  })

  it('refuses a new user with code 18 while its change is PENDING, then lets it in', async () => {
    emulator.setClusterApplyDelay(emulator.groupId, SEEDED_CLUSTER, 10_000)
    try {
      await createUser('fresh-user')
      const certFile = await certFileFor('fresh-user')
      expect(emulator.clusterChangeStatus(emulator.groupId, SEEDED_CLUSTER)).toBe('PENDING')
      expectAuthenticationFailed(await pingError(certFile))
      offsetMs += 10_000
      expect(emulator.clusterChangeStatus(emulator.groupId, SEEDED_CLUSTER)).toBe('APPLIED')
      expect(await ping(certFile)).toEqual({ ok: 1 })
    } finally {
      emulator.setClusterApplyDelay(emulator.groupId, SEEDED_CLUSTER, undefined)
    }
  })

  it('keeps a deleted user in until the delete applies, then refuses it', async () => {
    await createUser('leaving-user')
    const certFile = await certFileFor('leaving-user')
    expect(await ping(certFile)).toEqual({ ok: 1 })
    emulator.setClusterApplyDelay(emulator.groupId, SEEDED_CLUSTER, 5_000)
    try {
      await deleteUser('leaving-user')
      expect(await ping(certFile)).toEqual({ ok: 1 })
      offsetMs += 5_000
      expectAuthenticationFailed(await pingError(certFile))
    } finally {
      emulator.setClusterApplyDelay(emulator.groupId, SEEDED_CLUSTER, undefined)
    }
  })

  it('refuses a user unknown to the project (its certificate is from another project)', async () => {
    await createUser('elsewhere-user', emulator.otherGroupId)
    const certFile = await certFileFor('elsewhere-user', emulator.otherGroupId)
    expectAuthenticationFailed(await pingError(certFile))
  })

  it('refuses a user scoped to another cluster', async () => {
    emulator.addUser(emulator.groupId, {
      username: 'scoped-away',
      scopes: [{ name: 'SomeOtherCluster', type: 'CLUSTER' }]
    })
    expectAuthenticationFailed(await pingError(await certFileFor('scoped-away')))
  })

  it('refuses a certificate from a foreign CA (the TLS handshake fails)', async () => {
    const now = new Date()
    const foreignCa = await createCertificateAuthority(
      'foreign-ca',
      'Foreign CA',
      new Date(now.getTime() - 60_000),
      new Date(now.getTime() + 86_400_000)
    )
    const issued = await issueClientCertificate(
      foreignCa,
      'ci-user',
      new Date(now.getTime() - 60_000),
      new Date(now.getTime() + 86_400_000),
      'EC'
    )
    const certFile = dir.write('foreign.pem', issued.certPem + issued.keyPem)
    const error = await pingError(certFile, TLS_REFUSED_SELECTION_MS)
    expect(error).not.toBeInstanceOf(MongoServerError)
    expect(error.name).toMatch(/MongoServerSelectionError|MongoNetworkError/)
  })

  it('authenticates a CUSTOMER user by its RFC 2253 subject once the project trusts its CA', async () => {
    const now = new Date()
    const customerCa = await createCertificateAuthority(
      'mongod-test-customer-ca',
      'Test Customer CA',
      new Date(now.getTime() - 60_000),
      new Date(now.getTime() + 86_400_000)
    )
    const issued = await issueClientCertificate(
      customerCa,
      'alice',
      new Date(now.getTime() - 60_000),
      new Date(now.getTime() + 86_400_000),
      'EC'
    )
    const certFile = dir.write('alice.pem', issued.certPem + issued.keyPem)
    emulator.addUser(emulator.groupId, { username: 'CN=alice', x509Type: 'CUSTOMER' })
    expect((await pingError(certFile, TLS_REFUSED_SELECTION_MS)).name).toMatch(
      /MongoServerSelectionError|MongoNetworkError/
    )
    emulator.setCustomerX509(emulator.groupId, customerCa.pem)
    try {
      expect(await ping(certFile)).toEqual({ ok: 1 })
    } finally {
      emulator.setCustomerX509(emulator.groupId, null)
    }
  })
})

describe('MongoDB endpoint with openssl s_client', () => {
  const sClient = (extra: string[]) =>
    run(
      'openssl',
      [
        's_client',
        '-connect',
        `127.0.0.1:${endpoint.port}`,
        '-CAfile',
        caFile,
        '-verify_return_error',
        ...extra
      ],
      ''
    )

  it('completes the handshake with a certificate the emulator issued', async () => {
    const certFile = await certFileFor('release-bot')
    const result = await sClient(['-cert', certFile, '-key', certFile])
    expect(result.stdout).toContain('Verify return code: 0 (ok)')
    expect(result.stdout).toMatch(/CN\s*=\s*localhost/)
    expect(result.stdout + result.stderr).not.toMatch(/alert/i)
  })

  it('fails without a client certificate', async () => {
    // -ign_eof: wait for the server's verdict, which TLS 1.3 sends after the client's Finished.
    const result = await sClient(['-ign_eof'])
    expect(result.stdout + result.stderr).toMatch(
      /alert certificate required|alert handshake failure/i
    )
  })
})
