/**
 * The fault suite: each fault the network or Atlas can throw at a release pipeline, run
 * in-process against the emulator with a fake clock (backoff and Retry-After are asserted on the
 * recorded waits, never slept). Every run goes through the leak scan; every job leaves no file
 * behind. The table is written to reports/fault-suite.md for docs/reliability.md: "time" is the
 * real time plus the waits the fake clock skipped, which is what the step would take on a runner.
 * (Proxies and NODE_EXTRA_CA_CERTS are read from the process environment, so those runs are in
 * __tests__/dist/.)
 */
import { expect } from '@jest/globals'
import { mkdirSync, writeFileSync } from 'node:fs'
import {
  atlasRequests,
  filesIn,
  FakeClock,
  startAtlas,
  type InProcessAtlas as Atlas,
  type CredentialKind,
  type StepOptions,
  type StepResult
} from '../support/inprocess.js'

let atlas: Atlas
let tlsAtlas: Atlas
let govAtlas: Atlas
const table: string[] = []

beforeAll(async () => {
  ;[atlas, tlsAtlas, govAtlas] = await Promise.all([
    startAtlas(),
    startAtlas({ tls: true }),
    startAtlas({ digestAlgorithm: 'SHA-256' })
  ])
})

afterAll(async () => {
  await Promise.all([atlas.close(), tlsAtlas.close(), govAtlas.close()])
  // The concurrent run ends after runs declared after it: its row goes where it is declared.
  const delayed = table.findIndex(row => row.startsWith('| response headers delayed'))
  if (delayed >= 0) {
    const [row] = table.splice(delayed, 1)
    table.splice(table.findIndex(r => r.startsWith('| persistent 500')) + 1, 0, row!)
  }
  mkdirSync('reports', { recursive: true })
  const header = '| fault | outcome | requests | time |\n| --- | --- | --- | --- |\n'
  writeFileSync('reports/fault-suite.md', header + table.join('\n') + '\n')
})

beforeEach(() => {
  for (const a of [atlas, tlsAtlas, govAtlas]) {
    a.emulator.clearRequests()
    a.emulator.clearFaults()
  }
})

interface Timed extends StepResult {
  /** Real milliseconds the main step took (the fake clock's waits not included). */
  realMs: number
  /** What the fake clock was asked to wait in the main step. */
  sleptMs: number
  /** The requests of the main step (the post step's token revocation comes after). */
  requests: ReturnType<typeof atlasRequests>
}

/** create-certificate for ci-user as one job (main + post); records its row of the fault table. */
async function certificateJob(
  fault: string,
  kind: CredentialKind,
  extra: Record<string, string> = {},
  { target = atlas, ...options }: StepOptions & { target?: Atlas } = {}
): Promise<Timed> {
  const clock = options.clock ?? new FakeClock()
  const runnerTemp = target.tempDir('inprocess-runner-temp-')
  const inputs = target.inputs(kind, { username: 'ci-user', ...extra })
  const started = Date.now()
  const main = await target.step('main', { inputs, clock, runnerTemp, ...options })
  const realMs = Date.now() - started
  const sleptMs = clock.offsetMs
  const mainRequests = [...atlasRequests(target.emulator)]
  const requests = mainRequests.length
  const post = await target.step('post', { inputs, state: main.state, runnerTemp, ...options })
  expect(post.exitCode).toBe(0)
  // A service account's token, if the main step got one, is revoked by the post step.
  const revokes = atlasRequests(target.emulator)
    .slice(requests)
    .filter(r => r.path === '/api/oauth/revoke')
  expect(revokes).toHaveLength(main.state['atlas-access-token'] ? 1 : 0)
  expect(filesIn(runnerTemp)).toEqual([])
  if (main.outputs['certificate-file'])
    expect(post.info).toContain(`Removed the certificate file ${main.outputs['certificate-file']}.`)
  const outcome = main.exitCode === 0 ? 'certificate issued' : `fails: \`${main.errors[0]?.title}\``
  table.push(
    `| ${fault} | ${outcome} | ${requests} | ${((realMs + sleptMs) / 1000).toFixed(1)} s |`
  )
  return { ...main, realMs, sleptMs, requests: mainRequests }
}

const certsPath = /\/certs$/

/** One 429 RATE_LIMITED with `Retry-After: 1` at `path`. */
const rateLimitedOnce = (path: string | RegExp) =>
  atlas.emulator.fault({
    path,
    kind: 'status',
    status: 429,
    errorCode: 'RATE_LIMITED',
    retryAfter: '1'
  })

describe('fault suite', () => {
  it('429 RATE_LIMITED with Retry-After: 1, then success: waits exactly that, with a notice', async () => {
    rateLimitedOnce(certsPath)
    const main = await certificateJob(
      '429 `RATE_LIMITED`, `Retry-After: 1`, then success',
      'service-account'
    )
    expect(main.exitCode).toBe(0)
    expect(main.clock.sleeps).toEqual([1000])
    expect(main.notices).toEqual([
      expect.objectContaining({
        title: 'Atlas rate limit',
        message: expect.stringMatching(
          /RATE_LIMITED \(HTTP 429\).*retry 1 of 4 in 1\.0 s \(Retry-After\)/
        )
      })
    ])
    expect(main.requests.map(r => r.status)).toEqual([200, 429, 201])
  })

  it('429 RATE_LIMITED_TOKEN_BUCKET with Retry-After as an HTTP date, then success', async () => {
    // Stopped: the wait until the date cannot shrink by however long a busy machine takes to
    // get there.
    const clock = new FakeClock({ stopped: true })
    const at = new Date(clock.now() + 2000).toUTCString()
    atlas.emulator.fault({
      path: certsPath,
      kind: 'status',
      status: 429,
      errorCode: 'RATE_LIMITED_TOKEN_BUCKET',
      retryAfter: at
    })
    const main = await certificateJob(
      '429 `RATE_LIMITED_TOKEN_BUCKET`, `Retry-After` as an HTTP date, then success',
      'api-key',
      {},
      { clock }
    )
    expect(main.exitCode).toBe(0)
    expect(main.notices[0]!.message).toMatch(/RATE_LIMITED_TOKEN_BUCKET/)
    // The date is whole seconds, 1 to 2 s ahead: the wait is exactly until then.
    expect(main.clock.sleeps).toHaveLength(1)
    expect(main.clock.sleeps[0]).toBeGreaterThan(1000)
    expect(main.clock.sleeps[0]).toBeLessThanOrEqual(2000)
    expect(main.requests.map(r => r.status)).toEqual([401, 429, 201])
  })

  it('503 twice, then success: exponential backoff with jitter', async () => {
    atlas.emulator.fault({
      path: certsPath,
      kind: 'status',
      status: 503,
      errorCode: 'SERVICE_UNAVAILABLE',
      times: 2
    })
    const main = await certificateJob('503 twice, then success', 'service-account')
    expect(main.exitCode).toBe(0)
    expect(main.log).toMatch(/::debug::.*SERVICE_UNAVAILABLE \(HTTP 503\); retry 2 of 4/)
    expect(main.notices).toEqual([])
    // Full jitter: the first wait in [0, 1 s), the second in [0, 2 s).
    expect(main.clock.sleeps).toHaveLength(2)
    expect(main.clock.sleeps[0]).toBeGreaterThanOrEqual(0)
    expect(main.clock.sleeps[0]).toBeLessThan(1000)
    expect(main.clock.sleeps[1]).toBeLessThan(2000)
    expect(main.requests.map(r => r.status)).toEqual([200, 503, 503, 201])
  })

  it('a dropped connection, then success', async () => {
    atlas.emulator.fault({ path: certsPath, kind: 'drop' })
    const main = await certificateJob(
      'connection dropped before an answer, then success',
      'api-key'
    )
    expect(main.exitCode).toBe(0)
    expect(main.requests.map(r => r.status)).toEqual([401, 0, 201])
    expect(main.clock.sleeps).toHaveLength(1)
    expect(main.clock.sleeps[0]).toBeLessThan(1000)
    expect(main.debug.some(line => /retry 1 of 4 in \d+ ms/.test(line))).toBe(true)
  })

  it('persistent 500: fails after exactly max-retries + 1 attempts', async () => {
    atlas.emulator.fault({
      path: certsPath,
      kind: 'status',
      status: 500,
      errorCode: 'UNEXPECTED_ERROR',
      times: Infinity
    })
    const main = await certificateJob('persistent 500 (`max-retries: 2`)', 'service-account', {
      'max-retries': '2'
    })
    expect(main.errors).toEqual([
      expect.objectContaining({ title: 'Atlas UNEXPECTED_ERROR (HTTP 500)' })
    ])
    expect(main.requests.filter(r => r.status === 500)).toHaveLength(3)
    expect(main.clock.sleeps).toHaveLength(2)
  })

  // A second of real waiting: an emulator of its own, so that it runs alongside the other tests.
  it.concurrent(
    'headers delayed past the budget: the step ends within timeout-seconds + 1 s',
    async () => {
      const own = await startAtlas()
      try {
        own.emulator.fault({ path: certsPath, kind: 'delay', delayMs: 10_000, times: Infinity })
        const main = await certificateJob(
          'response headers delayed 10 s (`timeout-seconds: 1`)',
          'service-account',
          { 'timeout-seconds': '1' },
          { target: own }
        )
        expect(main.errors).toEqual([
          {
            level: 'error',
            title: 'Atlas API unreachable',
            message: expect.stringMatching(
              /no answer within the step's budget of 1 s \(timeout-seconds\)/
            )
          }
        ])
        expect(main.realMs).toBeLessThan(2000)
        expect(main.clock.sleeps).toEqual([])
      } finally {
        await own.close()
      }
    }
  )

  it('a Retry-After beyond the budget: fails at once, saying why', async () => {
    atlas.emulator.fault({
      path: certsPath,
      kind: 'status',
      status: 429,
      errorCode: 'RATE_LIMITED',
      retryAfter: '120',
      times: Infinity
    })
    const main = await certificateJob(
      '429 with `Retry-After: 120` (`timeout-seconds: 10`)',
      'service-account',
      { 'timeout-seconds': '10' }
    )
    expect(main.errors).toEqual([
      expect.objectContaining({
        title: 'Atlas RATE_LIMITED (HTTP 429)',
        message: expect.stringMatching(
          /waiting 120 s as Retry-After asks would pass the step's budget of 10 s/
        )
      })
    ])
    expect(main.clock.sleeps).toEqual([])
    expect(main.requests.filter(r => r.status === 429)).toHaveLength(1)
  })

  it('an HTML 502 from a proxy: Atlas API unreachable, after the retries, page not echoed', async () => {
    atlas.emulator.fault({ path: certsPath, kind: 'html', status: 502, times: Infinity })
    const main = await certificateJob('HTML 502 page from a proxy (`max-retries: 1`)', 'api-key', {
      'max-retries': '1'
    })
    expect(main.errors).toEqual([
      {
        level: 'error',
        title: 'Atlas API unreachable',
        message: expect.stringMatching(/HTTP 502 with a text\/html body/)
      }
    ])
    expect(main.log).not.toMatch(/<html/i)
    expect(main.requests.filter(r => r.status === 502)).toHaveLength(2)
  })

  it('a 429 from the token endpoint, then success', async () => {
    rateLimitedOnce('/api/oauth/token')
    const main = await certificateJob(
      '429 from the OAuth token endpoint, then success',
      'service-account'
    )
    expect(main.exitCode).toBe(0)
    expect(
      main.requests.map(r => `${r.path.startsWith('/api/oauth') ? 'token' : 'certs'} ${r.status}`)
    ).toEqual(['token 429', 'token 200', 'certs 201'])
    expect(main.clock.sleeps).toEqual([1000])
  })

  it('a stale Digest nonce: one fresh challenge, then success', async () => {
    atlas.emulator.fault({ path: certsPath, kind: 'stale-nonce' })
    const main = await certificateJob('Digest nonce answered `stale=true`', 'api-key')
    expect(main.exitCode).toBe(0)
    expect(main.requests.map(r => r.status)).toEqual([401, 401, 201])
  })

  it('a redirect is not followed: an error naming the host, credentials sent nowhere else', async () => {
    atlas.emulator.fault({
      path: certsPath,
      kind: 'redirect',
      status: 307,
      location: 'https://login.example.net/x'
    })
    const main = await certificateJob('307 redirect to another host', 'service-account')
    expect(main.errors).toEqual([
      {
        level: 'error',
        title: 'Atlas API unreachable',
        message: expect.stringMatching(/redirect to login\.example\.net/)
      }
    ])
    expect(main.requests).toHaveLength(2)
  })

  it('an untrusted TLS certificate fails at once (no retries) and says how to trust a CA', async () => {
    const main = await certificateJob(
      'TLS certificate from an untrusted CA',
      'service-account',
      {},
      { target: tlsAtlas }
    )
    expect(main.errors).toEqual([
      {
        level: 'error',
        title: 'Atlas API unreachable',
        message: expect.stringMatching(/NODE_EXTRA_CA_CERTS.*after 1 attempt/)
      }
    ])
    expect(atlasRequests(tlsAtlas.emulator)).toHaveLength(0)
  })

  it('Atlas for Government: Digest with SHA-256, as the challenge says', async () => {
    const main = await certificateJob(
      'Digest challenge with `algorithm=SHA-256` (Atlas for Government)',
      'api-key',
      {},
      { target: govAtlas }
    )
    expect(main.exitCode).toBe(0)
    const signed = atlasRequests(govAtlas.emulator).find(r => r.auth === 'digest')!
    expect(signed.headers.authorization).toMatch(/algorithm=SHA-256/)
  })
})
