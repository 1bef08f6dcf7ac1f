/**
 * The connection string from Atlas and verify-login: the user's cluster is read from Atlas (no
 * connection-string input), and the issued certificate logs in through the official MongoDB
 * driver before the step ends, or the step names the layer that failed.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SEEDED_CLUSTER, SEEDED_FLEX_CLUSTER } from '../../emulator/index.js'
import { classifyLoginError } from '../../src/certificate/login-check.js'
import {
  atlasRequests,
  FakeClock,
  startAtlas,
  type InProcessAtlas as Atlas
} from '../support/inprocess.js'
import { intermediateCaWithKey, rootCa } from '../support/pki.js'

/** A minute behind real time: TLS checks the emulator's certificates against the real clock. */
const clock = new FakeClock()
clock.offsetMs = -60_000
let atlas: Atlas
let endpointUri = ''
let caFile = ''

beforeAll(async () => {
  atlas = await startAtlas({ now: () => new Date(clock.now()), applyDelayMs: 2000 })
  const endpoint = await atlas.emulator.startMongod(atlas.emulator.groupId, SEEDED_CLUSTER)
  endpointUri = endpoint.uri
  caFile = join(atlas.tempDir('mongod-ca-'), 'ca.pem')
  writeFileSync(caFile, endpoint.caPem)
})
afterAll(() => atlas.close())
beforeEach(() => {
  atlas.emulator.clearRequests()
  atlas.emulator.setAccessList(atlas.emulator.groupId, ['127.0.0.1'])
})

const inputs = (extra: Record<string, string>) =>
  atlas.inputs('api-key', { operation: 'create-ephemeral-user', roles: 'readWrite@app', ...extra })
const withCa = (uri: string) => `${uri}&tlsCAFile=${encodeURIComponent(caFile)}`
/** verify-login on the scoped cluster through its endpoint (CA trusted through tlsCAFile). */
const loginInputs = (extra: Record<string, string> = {}) =>
  inputs({
    scopes: SEEDED_CLUSTER,
    'verify-login': 'true',
    'connection-string': withCa(endpointUri),
    ...extra
  })

describe('the connection string from Atlas', () => {
  it('one scoped cluster: its connection string with the X.509 options, standard where Atlas gives no SRV string (said so)', async () => {
    const main = await atlas.step('main', { inputs: inputs({ scopes: SEEDED_CLUSTER }), clock })
    expect(main.errors).toEqual([])
    const file = encodeURIComponent(main.outputs['certificate-file']!)
    expect(main.outputs['connection-string']).toBe(
      `${endpointUri}&authMechanism=MONGODB-X509&tls=true&tlsCertificateKeyFile=${file}`.replace(
        '?tls=true&directConnection=true&',
        '?directConnection=true&'
      )
    )
    expect(main.info.join('\n')).toContain(
      `Atlas gives no standardSrv connection string for ${SEEDED_CLUSTER}: using its standard`
    )
    expect(main.outputs['connection-strings']).toBeUndefined()
    // One read of the scoped cluster, no list.
    const reads = atlasRequests(atlas.emulator).filter(r =>
      /\/(clusters|flexClusters)(\/[^/]+)?(\?|$)/.test(r.path)
    )
    expect(reads.map(r => r.path.replace(/^.*\/groups\/[^/]+/, ''))).toEqual([
      `/clusters/${SEEDED_CLUSTER}`
    ])
  })

  it('a scoped Flex cluster is read from the Flex API, standardSrv preferred', async () => {
    const main = await atlas.step('main', {
      inputs: inputs({ scopes: SEEDED_FLEX_CLUSTER }),
      clock
    })
    expect(main.errors).toEqual([])
    expect(main.outputs['connection-string']).toMatch(
      /^mongodb\+srv:\/\/flexcluster0\.emulator\.mongodb\.net\/\?authMechanism=MONGODB-X509&tls=true&tlsCertificateKeyFile=/
    )
  })

  it('several clusters: connection-strings maps each name to its URI, from the listing the wait already made', async () => {
    const main = await atlas.step('main', { inputs: inputs({}), clock })
    expect(main.errors).toEqual([])
    expect(main.outputs['connection-string']).toBeUndefined()
    const uris = JSON.parse(main.outputs['connection-strings']!) as Record<string, string>
    expect(Object.keys(uris).sort()).toEqual([SEEDED_CLUSTER, SEEDED_FLEX_CLUSTER].sort())
    for (const uri of Object.values(uris)) expect(uri).toContain('authMechanism=MONGODB-X509')
    const lists = atlasRequests(atlas.emulator).filter(r =>
      /\/(clusters|flexClusters)\?/.test(r.path)
    )
    expect(lists).toHaveLength(2)
    expect(atlasRequests(atlas.emulator).filter(r => /\/clusters\/[^/?]+$/.test(r.path))).toEqual(
      []
    )
  })

  it('wait-until-ready false without verify-login reads no cluster for it', async () => {
    const main = await atlas.step('main', {
      inputs: inputs({ 'wait-until-ready': 'false' }),
      clock
    })
    expect(main.outputs['connection-string']).toBeUndefined()
    expect(atlasRequests(atlas.emulator).filter(r => /[cC]lusters/.test(r.path))).toEqual([])
  })
})

describe('verify-login', () => {
  it('logs in with the issued certificate and reports the authenticated user', async () => {
    const { main, post } = await atlas.job({
      inputs: loginInputs(),
      clock
    })
    expect(main.errors).toEqual([])
    const user = `CN=${main.outputs.username}`
    expect(main.info.join('\n')).toContain(
      `logged in as ${user} ($external); ping and connectionStatus answered`
    )
    expect(main.summary).toContain('Login verified')
    const commands = atlas.emulator
      .mongodLog(atlas.emulator.groupId, SEEDED_CLUSTER)
      .map(c => c.command)
    expect(commands).toContain('connectionStatus')
    expect(post.errors).toEqual([])
  })

  it('a CUSTOMER user signed on the runner: the authenticated user is its DN', async () => {
    const root = rootCa('HR Root CA', 365)
    const issuing = intermediateCaWithKey('HR Issuing CA', root, 30)
    atlas.emulator.setCustomerX509(atlas.emulator.groupId, root.pem)
    // The step runs on real time (below) and the emulator's clock stays behind: the new user is
    // applied at once, and the step does not wait for the earlier tests' changes.
    atlas.emulator.setClusterApplyDelay(atlas.emulator.groupId, SEEDED_CLUSTER, 0)
    try {
      const main = await atlas.step('main', {
        inputs: loginInputs({
          username: 'ci',
          'subject-suffix': 'OU=ci,O=Acme',
          'issuer-certificate': issuing.pem,
          'issuer-key': issuing.keyPem,
          'wait-until-ready': 'false'
        }),
        // Real time: the CA starts now, and the step checks it against its own clock.
        clock: new FakeClock()
      })
      expect(main.errors).toEqual([])
      expect(main.outputs.username).toMatch(/^CN=ci-[a-z0-9]{10},OU=ci,O=Acme$/)
      expect(main.info.join('\n')).toContain(`logged in as ${main.outputs.username} ($external)`)
    } finally {
      atlas.emulator.setCustomerX509(atlas.emulator.groupId, null)
      atlas.emulator.setClusterApplyDelay(atlas.emulator.groupId, SEEDED_CLUSTER, undefined)
    }
  })

  it('retries within ready-timeout-seconds: without the wait, the first tries fail authentication until the cluster applies the user', async () => {
    const main = await atlas.step('main', {
      inputs: loginInputs({ 'wait-until-ready': 'false' }),
      clock
    })
    expect(main.errors).toEqual([])
    expect(main.debug.join('\n')).toMatch(
      /Login attempt 1 on .* failed at the authentication layer/
    )
    expect(main.info.join('\n')).toContain(`logged in as CN=${main.outputs.username} ($external)`)
  })

  it('with loopback off the access list: one error naming the network (TCP) layer, within ready-timeout-seconds', async () => {
    atlas.emulator.setAccessList(atlas.emulator.groupId, [])
    const { main, post } = await atlas.job({
      inputs: loginInputs({ 'ready-timeout-seconds': '4' }),
      clock
    })
    expect(main.errors).toHaveLength(1)
    expect(main.errors[0]!.title).toBe('Login failed: TCP')
    expect(main.errors[0]!.message).toMatch(/not \(yet\) on the project's IP access list/)
    expect(main.errors[0]!.message).toContain('The post step deletes the user.')
    expect(post.errors).toEqual([])
  })

  it('with access-list naming loopback, the same login passes once the entry is ACTIVE', async () => {
    atlas.emulator.setAccessList(atlas.emulator.groupId, [])
    const { main, post } = await atlas.job({
      inputs: loginInputs({ 'access-list': '127.0.0.1' }),
      clock
    })
    expect(main.errors).toEqual([])
    expect(main.outputs['access-list-entries']).toBe('["127.0.0.1"]')
    expect(post.errors).toEqual([])
    expect(atlas.emulator.accessList(atlas.emulator.groupId)).toEqual([])
  })
})

describe('classifyLoginError', () => {
  const sys = (code: string, extra: Record<string, unknown> = {}) =>
    Object.assign(new Error(code), { code, ...extra })
  it.each([
    [sys('ENOTFOUND', { syscall: 'querySrv' }), 'name resolution'],
    [sys('ECONNREFUSED'), 'TCP'],
    [sys('ECONNRESET'), 'TCP'],
    [sys('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'TLS'],
    [Object.assign(new Error('Authentication failed.'), { code: 18 }), 'authentication']
  ])('%s → %s', (error, layer) => {
    // As the driver wraps them: a selection error whose servers carry the cause.
    const wrapped = Object.assign(new Error('Server selection timed out'), {
      reason: {
        servers: new Map([['h:1', { error: Object.assign(new Error('x'), { cause: error }) }]])
      }
    })
    expect(classifyLoginError(wrapped)).toBe(layer)
  })
})
