/**
 * GitHub-hosted runners through the bundle on Node 24: a temporary access-list entry (added,
 * ACTIVE, deleted by the post step), the runner's address from runner-ip-url, and verify-login
 * with the connection string Atlas gives, the MongoDB driver loaded only by such a step.
 */
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { SEEDED_CLUSTER } from '../../emulator/index.js'
import { DIST, tempDir } from '../../scripts/lib/step.js'
import { atlasRequests, startAtlas, type Atlas } from '../support/atlas.js'

const ACTIVATION_MS = 1500
const WEEK_MS = 7 * 86_400_000

function scenario(name: string, body: (atlas: Atlas) => Promise<void>): void {
  it.concurrent(name, async () => {
    // The scenario's body holds the assertions: one that asserts nothing fails.
    expect.hasAssertions()
    const atlas = await startAtlas({ accessListActivationMs: ACTIVATION_MS })
    try {
      await body(atlas)
    } finally {
      await atlas.close()
    }
  })
}

const inputs = (atlas: Atlas, extra: Record<string, string>) =>
  atlas.inputs('service-account', {
    operation: 'create-ephemeral-user',
    roles: 'readWrite@app',
    scopes: SEEDED_CLUSTER,
    ...extra
  })

const accessListRequests = (atlas: Atlas) =>
  atlasRequests(atlas.emulator).filter(r => r.path.includes('/accessList'))

/** A local "what is my IP" service answering `body`. */
async function withEcho<T>(body: string, work: (url: string) => Promise<T>): Promise<T> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end(body)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  try {
    return await work(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
  } finally {
    await new Promise<void>(resolve => server.close(() => resolve()))
  }
}

scenario(
  'access-list 203.0.113.7: one POST with a comment and a deleteAfterDate within 7 days, status read until ACTIVE, deleted by the post step',
  async atlas => {
    const { main, post } = await atlas.job({
      inputs: inputs(atlas, { 'access-list': '203.0.113.7' }),
      env: { GITHUB_REPOSITORY: 'octo-org/app', GITHUB_RUN_ID: '77', GITHUB_RUN_ATTEMPT: '1' }
    })
    expect(main.errors).toEqual([])
    expect(main.outputs['access-list-entries']).toBe('["203.0.113.7"]')
    const posts = accessListRequests(atlas).filter(r => r.method === 'POST')
    expect(posts).toHaveLength(1)
    const [entry] = JSON.parse(posts[0]!.body) as Array<Record<string, string>>
    expect(entry!.ipAddress).toBe('203.0.113.7')
    expect(entry!.comment).toMatch(/^atlas-x509-action octo-org\/app run 77\/1 /)
    expect(Date.parse(entry!.deleteAfterDate!)).toBeLessThanOrEqual(Date.now() + WEEK_MS)
    const statuses = accessListRequests(atlas)
      .filter(r => r.path.endsWith('/status'))
      .map(r => (JSON.parse(r.response!.body) as { STATUS: string }).STATUS)
    expect(statuses[0]).toBe('PENDING')
    expect(statuses.at(-1)).toBe('ACTIVE')
    expect(post.errors).toEqual([])
    expect(
      accessListRequests(atlas)
        .filter(r => r.method === 'DELETE')
        .map(r => r.status)
    ).toEqual([204])
    expect(atlas.emulator.accessList(atlas.emulator.groupId).map(e => e.value)).not.toContain(
      '203.0.113.7'
    )
  }
)

scenario('an entry already on the list: no POST, no DELETE', async atlas => {
  const { main, post } = await atlas.job({ inputs: inputs(atlas, { 'access-list': '127.0.0.1' }) })
  expect(main.errors).toEqual([])
  expect(main.outputs['access-list-entries']).toBe('[]')
  expect(post.errors).toEqual([])
  expect(accessListRequests(atlas).map(r => r.method)).toEqual(['GET'])
  expect(atlas.emulator.accessList(atlas.emulator.groupId).map(e => e.value)).toContain('127.0.0.1')
})

scenario('runner with runner-ip-url at a local echo server: that address is added', async atlas => {
  await withEcho('198.51.100.23\n', async url => {
    const { main, post } = await atlas.job({
      inputs: inputs(atlas, { 'access-list': 'runner', 'runner-ip-url': url })
    })
    expect(main.errors).toEqual([])
    expect(main.outputs['access-list-entries']).toBe('["198.51.100.23"]')
    expect(post.errors).toEqual([])
  })
})

scenario(
  'runner: an answer that is not one address fails the step, no user created',
  async atlas => {
    await withEcho('198.51.100.23, 198.51.100.24', async url => {
      const main = await atlas.step('main', {
        inputs: inputs(atlas, { 'access-list': 'runner', 'runner-ip-url': url })
      })
      expect(main.exitCode).toBe(1)
      expect(main.errors).toEqual([expect.objectContaining({ title: 'Runner address unknown' })])
      expect(atlasRequests(atlas.emulator).filter(r => r.path.includes('databaseUsers'))).toEqual(
        []
      )
    })
  }
)

/** The emulator's MongoDB endpoint for Cluster0, its CA trusted the way a runner's tools would be. */
async function endpointEnv(atlas: Atlas): Promise<Record<string, string>> {
  const endpoint = await atlas.emulator.startMongod(atlas.emulator.groupId, SEEDED_CLUSTER)
  const dir = atlas.tempDir('mongod-ca-')
  writeFileSync(join(dir, 'ca.pem'), endpoint.caPem)
  return { NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') }
}

scenario(
  'verify-login with the connection string from Atlas reports the authenticated user',
  async atlas => {
    const env = await endpointEnv(atlas)
    const { main, post } = await atlas.job({
      inputs: inputs(atlas, { 'verify-login': 'true' }),
      env
    })
    expect(main.errors).toEqual([])
    expect(main.outputs['connection-string']).toContain('authMechanism=MONGODB-X509')
    expect(main.stdout).toContain(`logged in as CN=${main.outputs.username} ($external)`)
    expect(main.stdout).toContain('using its standard (mongodb://) one')
    expect(post.errors).toEqual([])
  }
)

scenario(
  'verify-login with loopback off the list: the error names the network layer',
  async atlas => {
    const env = await endpointEnv(atlas)
    atlas.emulator.setAccessList(atlas.emulator.groupId, [])
    const main = await atlas.step('main', {
      inputs: inputs(atlas, { 'verify-login': 'true', 'ready-timeout-seconds': '3' }),
      env
    })
    expect(main.exitCode).toBe(1)
    expect(main.errors).toHaveLength(1)
    expect(main.errors[0]!.title).toBe('Login failed: TCP')
    expect(main.errors[0]!.message).toContain('IP access list')
  }
)

scenario(
  'a step without verify-login never loads the driver: it runs from a bundle without that chunk',
  async atlas => {
    const copy = tempDir('dist-without-driver-')
    try {
      cpSync(join(DIST.main, '..'), copy, { recursive: true })
      // The action's own chunk (the entry loads it after starting the handshake) names the driver
      // too, and the verify-login input: the driver's chunk does not.
      const driverChunks = readdirSync(copy).filter(name => {
        if (name === 'index.js' || !name.endsWith('.js')) return false
        const code = readFileSync(join(copy, name), 'utf8')
        return code.includes('MongoClient') && !code.includes('verify-login')
      })
      expect(driverChunks).toHaveLength(1)
      for (const name of driverChunks) rmSync(join(copy, name))
      const main = await atlas.step('main', {
        inputs: inputs(atlas, { 'access-list': '203.0.113.50' }),
        script: join(copy, 'index.js')
      })
      expect(main.errors).toEqual([])
      expect(main.outputs['connection-string']).toBeDefined()
      // The same copy fails as soon as a step asks for the login check.
      const asking = await atlas.step('main', {
        inputs: inputs(atlas, { 'verify-login': 'true' }),
        script: join(copy, 'index.js')
      })
      expect(asking.exitCode).toBe(1)
    } finally {
      rmSync(copy, { recursive: true, force: true })
    }
  }
)
