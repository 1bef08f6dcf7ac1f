/**
 * access-list: temporary IP access-list entries for this job, added only where the list lacks
 * them, waited for until ACTIVE, and deleted by the post step; entries already listed are never
 * touched. The emulator and the steps share a stopped fake clock: the activation delay passes
 * while the step polls, and the polls can be counted.
 */
import { expect } from '@jest/globals'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  atlasRequests,
  FakeClock,
  startAtlas,
  type InProcessAtlas as Atlas
} from '../support/inprocess.js'

const clock = new FakeClock({ stopped: true })
const ACTIVATION_MS = 2500
const WEEK_MS = 7 * 86_400_000
const RUN_ENV = {
  GITHUB_REPOSITORY: 'octo-org/app',
  GITHUB_RUN_ID: '4242',
  GITHUB_RUN_ATTEMPT: '2',
  GITHUB_JOB: 'test'
}
let atlas: Atlas

beforeAll(async () => {
  atlas = await startAtlas({
    now: () => new Date(clock.now()),
    accessListActivationMs: ACTIVATION_MS
  })
})
afterAll(() => atlas.close())
beforeEach(() => {
  atlas.emulator.clearRequests()
  atlas.emulator.clearFaults()
  atlas.emulator.setAccessList(atlas.emulator.groupId, ['127.0.0.1'])
})

const inputs = (extra: Record<string, string>) =>
  atlas.inputs('service-account', {
    operation: 'create-ephemeral-user',
    roles: 'readWrite@app',
    ...extra
  })

const accessListCalls = () =>
  atlasRequests(atlas.emulator)
    .filter(r => r.path.includes('/accessList'))
    .map(r => `${r.method} ${r.path.replace(/^.*\/accessList/, '…/accessList')} ${r.status}`)

/** A main step and its post step on the shared clock, as run 4242 of octo-org/app. */
const job = (extra: Record<string, string>) =>
  atlas.job({ inputs: inputs(extra), env: RUN_ENV, clock })

const listed = () => atlas.emulator.accessList(atlas.emulator.groupId).map(e => e.value)

/** A local "what is my IP" service that answers `body`, recording what it was asked. */
async function echoServer(
  body: string
): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = []
  const server: Server = createServer((req, res) => {
    seen.push(JSON.stringify({ url: req.url, authorization: req.headers.authorization ?? null }))
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end(body)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/ip`,
    seen,
    close: () => new Promise<void>(resolve => server.close(() => resolve()))
  }
}

describe('access-list', () => {
  it('adds a missing address with a comment and a deleteAfterDate, polls it until ACTIVE, and the post step deletes it', async () => {
    const before = clock.now()
    const { main, post } = await job({ 'access-list': '203.0.113.7', 'ephemeral-ttl-hours': '6' })
    expect(main.errors).toEqual([])
    expect(main.outputs['access-list-entries']).toBe('["203.0.113.7"]')
    const calls = accessListCalls()
    expect(calls.slice(0, 3)).toEqual([
      'GET …/accessList/203.0.113.7 404',
      'POST …/accessList 200',
      'GET …/accessList/203.0.113.7/status 200'
    ])
    // Read until ACTIVE: PENDING first (the activation delay), then ACTIVE, then nothing more.
    const statuses = atlasRequests(atlas.emulator)
      .filter(r => r.path.endsWith('/status') && r.path.includes('accessList'))
      .map(r => (JSON.parse(r.response!.body) as { STATUS: string }).STATUS)
    expect(statuses[0]).toBe('PENDING')
    expect(statuses.at(-1)).toBe('ACTIVE')
    expect(statuses.filter(s => s === 'ACTIVE')).toHaveLength(1)

    const posts = atlasRequests(atlas.emulator).filter(
      r => r.method === 'POST' && r.path.endsWith('/accessList')
    )
    expect(posts).toHaveLength(1)
    const [entry] = JSON.parse(posts[0]!.body) as Array<Record<string, string>>
    expect(Object.keys(entry!).sort()).toEqual(['comment', 'deleteAfterDate', 'ipAddress'])
    expect(entry!.ipAddress).toBe('203.0.113.7')
    expect(entry!.comment).toMatch(/^atlas-x509-action octo-org\/app run 4242\/2 [0-9a-f]{8}$/)
    const deleteAfter = Date.parse(entry!.deleteAfterDate!)
    expect(deleteAfter).toBeGreaterThanOrEqual(before + 6 * 3600_000)
    expect(deleteAfter).toBeLessThanOrEqual(clock.now() + 6 * 3600_000)

    expect(post.errors).toEqual([])
    expect(calls.slice(-2)).toEqual([
      'GET …/accessList/203.0.113.7 200',
      'DELETE …/accessList/203.0.113.7 204'
    ])
    expect(listed()).toEqual(['127.0.0.1'])
    expect(main.summary).toContain('added 203.0.113.7')
  })

  it('never writes or deletes an entry that was already listed, and POSTs only the missing one', async () => {
    const { main, post } = await job({
      'access-list': '127.0.0.1\n198.51.100.0/24',
      'wait-until-ready': 'false'
    })
    expect(main.errors).toEqual([])
    expect(main.outputs['access-list-entries']).toBe('["198.51.100.0/24"]')
    const calls = accessListCalls()
    expect(calls.filter(c => c.includes('127.0.0.1'))).toEqual(['GET …/accessList/127.0.0.1 200'])
    // The CIDR block's slash travels percent-encoded in the path.
    expect(calls).toContain('GET …/accessList/198.51.100.0%2F24 404')
    expect(calls).toContain('DELETE …/accessList/198.51.100.0%2F24 204')
    expect(calls.filter(c => c.startsWith('POST'))).toHaveLength(1)
    expect(post.errors).toEqual([])
    expect(listed()).toEqual(['127.0.0.1'])
  })

  it('caps deleteAfterDate at one week whatever ephemeral-ttl-hours says', async () => {
    const main = await atlas.step('main', {
      inputs: inputs({
        'access-list': '203.0.113.9',
        'ephemeral-ttl-hours': '720',
        'wait-until-ready': 'false'
      }),
      clock
    })
    expect(main.errors).toEqual([])
    const [entry] = atlas.emulator
      .accessList(atlas.emulator.groupId)
      .filter(e => e.value === '203.0.113.9')
    expect(Date.parse(entry!.deleteAfterDate!)).toBeLessThanOrEqual(clock.now() + WEEK_MS)
    expect(Date.parse(entry!.deleteAfterDate!)).toBeGreaterThan(clock.now() + WEEK_MS - 3600_000)
  })

  it('runner: asks runner-ip-url (no credentials sent there) and adds that address', async () => {
    const echo = await echoServer('192.0.2.44\n')
    try {
      const { main, post } = await atlas.job({
        inputs: inputs({
          'access-list': 'runner',
          'runner-ip-url': echo.url,
          'wait-until-ready': 'false'
        }),
        clock
      })
      expect(main.errors).toEqual([])
      expect(main.outputs['access-list-entries']).toBe('["192.0.2.44"]')
      expect(echo.seen).toEqual([JSON.stringify({ url: '/ip', authorization: null })])
      expect(post.errors).toEqual([])
      expect(listed()).not.toContain('192.0.2.44')
    } finally {
      await echo.close()
    }
  })

  it.each([
    ['two addresses', '192.0.2.1\n192.0.2.2'],
    ['an HTML page', '<html>blocked</html>'],
    ['nothing', '']
  ])('runner: an answer of %s fails the step before anything is created', async (_what, body) => {
    const echo = await echoServer(body)
    try {
      const main = await atlas.step('main', {
        inputs: inputs({ 'access-list': 'runner', 'runner-ip-url': echo.url }),
        clock
      })
      expect(main.errors).toHaveLength(1)
      expect(main.errors[0]!.title).toBe('Runner address unknown')
      expect(main.errors[0]!.message).toContain('Nothing was created')
      expect(atlasRequests(atlas.emulator)).toEqual([])
    } finally {
      await echo.close()
    }
  })

  it.each([
    ['203.0.113.7/24', /host bits set/],
    ['203.0.113.300', /not an IP address or CIDR block/],
    ['2001:db8::/129', /prefix length/],
    ['example.com', /not an IP address or CIDR block/]
  ])('refuses %s before any request', async (value, why) => {
    const main = await atlas.step('main', { inputs: inputs({ 'access-list': value }), clock })
    expect(main.errors).toEqual([
      expect.objectContaining({
        title: 'Invalid input: access-list',
        message: expect.stringMatching(why)
      })
    ])
    expect(atlasRequests(atlas.emulator)).toEqual([])
  })

  it('refuses a runner-ip-url over plain http to a host that is not loopback', async () => {
    const main = await atlas.step('main', {
      inputs: inputs({ 'access-list': 'runner', 'runner-ip-url': 'http://checkip.example.com' }),
      clock
    })
    expect(main.errors[0]!.title).toBe('Invalid input: runner-ip-url')
  })

  it('FAILED from the status route is an error, and the post step still deletes the entry', async () => {
    atlas.emulator.fault({
      path: /\/accessList\/[^/]+\/status$/,
      kind: 'body',
      body: '{"STATUS":"FAILED"}',
      contentType: 'application/vnd.atlas.2023-01-01+json',
      times: Infinity
    })
    const { main, post } = await atlas.job({
      inputs: inputs({ 'access-list': '203.0.113.8', scopes: 'Cluster0' }),
      clock
    })
    expect(main.errors).toEqual([expect.objectContaining({ title: 'Access-list entry failed' })])
    expect(main.errors[0]!.message).toContain('The post step deletes the user.')
    expect(post.errors).toEqual([])
    expect(listed()).not.toContain('203.0.113.8')
  })

  it('records the entry before its POST: an answer lost on the way still gets the entry deleted', async () => {
    atlas.emulator.fault({ method: 'POST', path: /\/accessList$/, kind: 'lose-answer' })
    const { main, post } = await atlas.job({
      inputs: inputs({
        'access-list': '203.0.113.10',
        'wait-until-ready': 'false',
        'max-retries': '0'
      }),
      clock
    })
    expect(main.exitCode).toBe(1)
    expect(listed()).not.toContain('203.0.113.10')
    expect(JSON.parse(main.state['access-list-entries']!)).toEqual([
      { entry: '203.0.113.10', comment: expect.stringMatching(/^atlas-x509-action /) }
    ])
    expect(post.info.join('\n')).toContain('Deleted 203.0.113.10')
  })

  it("the post step leaves an entry that was written again since (its comment is not this step's)", async () => {
    const main = await atlas.step('main', {
      inputs: inputs({ 'access-list': '203.0.113.11', 'wait-until-ready': 'false' }),
      clock
    })
    expect(main.errors).toEqual([])
    // Someone else's POST of the same entry replaced the comment.
    atlas.emulator.setAccessList(atlas.emulator.groupId, ['127.0.0.1', '203.0.113.11'])
    const post = await atlas.step('post', {
      inputs: inputs({}),
      state: main.state,
      clock
    })
    expect(post.errors).toEqual([])
    expect(listed()).toContain('203.0.113.11')
    expect(post.info.join('\n')).toContain('no longer carries this step')
  })
})

describe('create-certificate with access-list and verify-login', () => {
  it('adds the missing entry after issuing, and the post step deletes it with the file', async () => {
    const { main, post } = await atlas.job({
      inputs: atlas.inputs('api-key', {
        operation: 'create-certificate',
        username: 'ci-user',
        'access-list': '203.0.113.60'
      }),
      clock
    })
    expect(main.errors).toEqual([])
    expect(main.outputs['access-list-entries']).toBe('["203.0.113.60"]')
    expect(listed()).not.toContain('203.0.113.60')
    expect(post.errors).toEqual([])
    expect(post.info.join('\n')).toContain('Deleted 203.0.113.60')
  })

  it('verify-login without connection-string is an input error, before any request', async () => {
    const main = await atlas.step('main', {
      inputs: atlas.inputs('api-key', {
        operation: 'create-certificate',
        username: 'ci-user',
        'verify-login': 'true'
      }),
      clock
    })
    expect(main.errors).toEqual([expect.objectContaining({ title: 'Invalid input: verify-login' })])
    expect(atlasRequests(atlas.emulator)).toEqual([])
  })
})
