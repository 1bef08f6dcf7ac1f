/**
 * Atlas as production runs it, through dist/ on Node 24: shared service accounts (one token per
 * job, none left active, the token cap), Digest without nonce reuse, writes that restart the
 * clusters never sent twice, 404s named for what they are, and the budget around TLS set-up.
 */
import { expect } from '@jest/globals'
import { createServer, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { selfSigned } from '../support/pki.js'
import { atlasRequests, atlasForFile, startAtlas } from '../support/atlas.js'

const atlas = atlasForFile()

const paths = () => atlasRequests(atlas.emulator).map(r => `${r.method} ${r.path.split('?')[0]}`)

describe.each([
  ['create-certificate', { username: 'ci-user' }],
  ['create-ephemeral-user', { roles: 'read@app', 'wait-until-ready': 'false' }]
])('a %s job with a service account', (operation, extra) => {
  it('obtains one token for main and post, and leaves none active', async () => {
    const before = atlas.emulator.activeTokens()
    const { main, post } = await atlas.job({
      inputs: atlas.inputs('service-account', { operation, ...extra })
    })
    expect(main.exitCode).toBe(0)
    expect(post.exitCode).toBe(0)
    expect(paths().filter(p => p === 'POST /api/oauth/token')).toHaveLength(1)
    expect(paths().at(-1)).toBe('POST /api/oauth/revoke')
    expect(atlas.emulator.activeTokens()).toBe(before)
  })
})

// An emulator of its own: runs alongside the other tests.
it.concurrent('the token cap: one token request, one clear error naming the limit', async () => {
  const capped = await startAtlas({ maxActiveTokens: 0 })
  try {
    const main = await capped.step('main', {
      inputs: capped.inputs('service-account', { username: 'ci-user' })
    })
    expect(main.exitCode).toBe(1)
    expect(main.errors).toEqual([
      {
        level: 'error',
        title: 'Atlas access_denied (HTTP 403)',
        message: expect.stringMatching(/Access Token limit reached.*too many active access tokens/)
      }
    ])
    expect(atlasRequests(capped.emulator).map(r => r.path)).toEqual(['/api/oauth/token'])
  } finally {
    await capped.close()
  }
})

// An emulator of its own: runs alongside the other tests.
it.concurrent(
  'with nonce reuse refused (a plain 401, no stale flag), every operation still succeeds, main and post',
  async () => {
    const strict = await startAtlas({ digestNonceReuse: 'refuse' })
    try {
      // Each job has its own user or reads only: the four run side by side.
      const jobs: Array<[string, Record<string, string>]> = [
        ['create-ephemeral-user', { roles: 'read@app', 'wait-until-ready': 'false' }],
        ['list-certificates', { username: 'ci-user' }],
        ['get-customer-x509', {}],
        ['prune-ephemeral-users', {}]
      ]
      const results = await Promise.all(
        jobs.map(([operation, extra]) =>
          strict.job({ inputs: strict.inputs('api-key', { operation, ...extra }) })
        )
      )
      for (const [i, { main, post }] of results.entries()) {
        expect([jobs[i]![0], main.errors, post.errors, main.exitCode]).toEqual([
          jobs[i]![0],
          [],
          [],
          0
        ])
      }
    } finally {
      await strict.close()
    }
  }
)

/**
 * One credential kind each here; both kinds of each in-process
 * (__tests__/operations/customer-x509.test.ts, disable-customer-x509.test.ts).
 */
describe('writes that restart the clusters', () => {
  const cert = selfSigned('Pipeline Root CA', { ca: true, days: 365 })

  it('a dropped answer to PATCH userSecurity (api-key): no second PATCH, Atlas read back', async () => {
    const group = atlas.emulator.otherGroupId
    atlas.emulator.setCustomerX509(group, null)
    atlas.emulator.fault({ method: 'PATCH', path: /\/userSecurity$/, kind: 'lose-answer' })
    const restarts = atlas.emulator.restarts(group)
    const main = await atlas.step('main', {
      inputs: atlas.inputs('api-key', {
        operation: 'set-customer-x509',
        'group-id': group,
        'ca-certificates': cert.pem
      })
    })
    expect(paths().filter(p => p.startsWith('PATCH'))).toHaveLength(1)
    expect(atlas.emulator.restarts(group)).toBe(restarts + 1)
    // The PATCH took effect: what Atlas holds says so, and the step succeeds.
    expect(main.exitCode).toBe(0)
    expect(main.stdout).toMatch(/answer was lost, but Atlas now holds these CA certificates/)
  })

  it('a 503 to DELETE customerX509 (service-account): no second DELETE, and the error says what Atlas holds', async () => {
    const group = atlas.emulator.otherGroupId
    atlas.emulator.setCustomerX509(group, cert.pem)
    atlas.emulator.fault({ method: 'DELETE', path: /\/customerX509$/, kind: 'status', status: 503 })
    const main = await atlas.step('main', {
      inputs: atlas.inputs('service-account', {
        operation: 'disable-customer-x509',
        'group-id': group
      })
    })
    expect(paths().filter(p => p.startsWith('DELETE'))).toHaveLength(1)
    expect(main.errors).toEqual([
      {
        level: 'error',
        title: 'Atlas outcome unknown',
        message: expect.stringMatching(
          /not sent again.*Atlas still holds a customer CA .*Run the step again/
        )
      }
    ])
  })
})

it('a RESOURCE_NOT_FOUND 404 on delete is a failure, not "already gone"', async () => {
  atlas.emulator.fault({
    method: 'DELETE',
    path: /\/databaseUsers\//,
    kind: 'status',
    status: 404,
    errorCode: 'RESOURCE_NOT_FOUND'
  })
  const main = await atlas.step('main', {
    inputs: atlas.inputs('api-key', { operation: 'delete-user', username: 'ci-user' })
  })
  expect(main.exitCode).toBe(1)
  expect(main.errors).toEqual([
    expect.objectContaining({ title: 'Atlas RESOURCE_NOT_FOUND (HTTP 404)' })
  ])
  expect(main.outputs.deleted).toBeUndefined()
})

// Seconds of real waiting, and nothing shared with the other tests: run alongside them.
it.concurrent(
  'a TLS handshake that never completes ends the bundled step at its budget, not at a connect timeout of its own',
  async () => {
    const sockets = new Set<Socket>()
    const silent = createServer(socket => sockets.add(socket))
    await new Promise<void>(done => silent.listen(0, '127.0.0.1', done))
    try {
      const main = await atlas.step('main', {
        inputs: atlas.inputs('api-key', {
          username: 'ci-user',
          'base-url': `https://127.0.0.1:${(silent.address() as AddressInfo).port}`,
          'timeout-seconds': '1'
        })
      })
      expect(main.errors).toEqual([
        expect.objectContaining({
          title: 'Atlas API unreachable',
          message: expect.stringMatching(/budget of 1 s/)
        })
      ])
      // The process's start-up is in the figure, and a busy machine stretches it: the bound only
      // tells "ended at the 1 s budget" from undici's own 10 s connect timeout or a hang. That the
      // attempt ends at the budget to the millisecond is unit/budget.test.ts's, on the fake clock.
      expect(main.durationMs).toBeLessThan(8000)
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise(done => silent.close(done))
    }
  }
)
