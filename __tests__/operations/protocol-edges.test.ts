/**
 * Errors named for what happened, and the step's budget everywhere: a proxy refusing the tunnel, a
 * TLS handshake that never completes, an answer that is not Atlas's, a 404 that is not the user's.
 */
import { expect } from '@jest/globals'
import { createServer, type Server } from 'node:http'
import { createServer as createTcpServer, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { createProxy } from 'proxy'
import { atlasRequests, atlasForFile } from '../support/inprocess.js'

const atlas = atlasForFile()

const listen = (server: Server | ReturnType<typeof createTcpServer>) =>
  new Promise<number>(done =>
    server.listen(0, '127.0.0.1', () => done((server.address() as AddressInfo).port))
  )

/** A main step against an https origin through the proxy on `proxyPort` (so that it asks CONNECT). */
const stepThroughProxy = (proxyPort: number, timeoutSeconds: number) =>
  atlas.step('main', {
    inputs: atlas.inputs('api-key', {
      username: 'ci-user',
      'base-url': 'https://127.0.0.1:9',
      'timeout-seconds': String(timeoutSeconds)
    }),
    env: { HTTPS_PROXY: `http://127.0.0.1:${proxyPort}` }
  })

it('a proxy that refuses the tunnel (407) is its own error, not retried, not a timeout', async () => {
  const proxy = createProxy(createServer())
  let connects = 0
  proxy.on('connect', () => (connects += 1))
  proxy.authenticate = () => false
  const port = await listen(proxy)
  try {
    const started = Date.now()
    const main = await stepThroughProxy(port, 30)
    expect(main.errors).toEqual([
      {
        level: 'error',
        title: 'Atlas API unreachable',
        message: expect.stringMatching(
          /proxy refused to open a tunnel to Atlas: it answered CONNECT with HTTP 407 \(Proxy Authentication Required/
        )
      }
    ])
    expect(main.errors[0]!.message).not.toMatch(/budget/)
    expect(connects).toBe(1)
    expect(main.clock.sleeps).toEqual([])
    // Not retried until the 30 s budget runs out.
    expect(Date.now() - started).toBeLessThan(10_000)
  } finally {
    await new Promise(done => proxy.close(done))
  }
})

it('an http origin through HTTP_PROXY: one CONNECT tunnel carries the step', async () => {
  const proxy = createProxy(createServer())
  const targets: string[] = []
  proxy.on('connect', (connect: { url?: string }) => targets.push(connect.url ?? ''))
  const port = await listen(proxy)
  try {
    const main = await atlas.step('main', {
      inputs: atlas.inputs('api-key', { operation: 'list-certificates', username: 'ci-user' }),
      env: { HTTP_PROXY: `http://127.0.0.1:${port}` }
    })
    expect(main.errors).toEqual([])
    expect(targets).toEqual([new URL(atlas.emulator.url).host])
  } finally {
    await new Promise(done => proxy.close(done))
  }
})

it('a TLS handshake that never completes ends at the budget, not at a connect timeout of its own', async () => {
  const sockets = new Set<Socket>()
  const silent = createTcpServer(socket => sockets.add(socket))
  const port = await listen(silent)
  try {
    const started = Date.now()
    const main = await atlas.step('main', {
      inputs: atlas.inputs('api-key', {
        username: 'ci-user',
        'base-url': `https://127.0.0.1:${port}`,
        'timeout-seconds': '1'
      })
    })
    const elapsed = Date.now() - started
    expect(main.errors).toEqual([
      {
        level: 'error',
        title: 'Atlas API unreachable',
        message: expect.stringMatching(/no answer within the step's budget of 1 s/)
      }
    ])
    expect(elapsed).toBeGreaterThanOrEqual(900)
    // Loose for a busy machine: tells the 1 s budget from undici's 10 s connect timeout or a hang
    // (the exact end is unit/budget.test.ts's, on the fake clock).
    expect(elapsed).toBeLessThan(8000)
  } finally {
    for (const socket of sockets) socket.destroy()
    await new Promise(done => silent.close(done))
  }
})

it('a proxy that accepts the connection and never answers CONNECT ends within the budget', async () => {
  const sockets = new Set<Socket>()
  const closed: Socket[] = []
  const silentProxy = createTcpServer(socket => {
    sockets.add(socket)
    socket.on('close', () => closed.push(socket))
    socket.resume() // reads the CONNECT request, so that it sees the client go
  })
  const port = await listen(silentProxy)
  try {
    const started = Date.now()
    const main = await stepThroughProxy(port, 2)
    // Generous against load: undici's own timer for the CONNECT answer ran 300 s.
    expect(Date.now() - started).toBeLessThan(15_000)
    expect(main.errors).toEqual([
      {
        level: 'error',
        title: 'Atlas API unreachable',
        message: expect.stringMatching(/no answer within the step's budget of 2 s/)
      }
    ])
    // The connection that carried the CONNECT is dropped, not left open until undici's timer.
    expect(closed).toContain([...sockets][0])
  } finally {
    for (const socket of sockets) socket.destroy()
    await new Promise(done => silentProxy.close(done))
  }
})

it('a 2xx answer that is not JSON is an unexpected answer, not "unreachable"', async () => {
  atlas.emulator.fault({ path: /\/userSecurity$/, kind: 'html', status: 200 })
  const main = await atlas.step('main', {
    inputs: atlas.inputs('api-key', { operation: 'get-customer-x509' })
  })
  expect(main.errors).toEqual([
    expect.objectContaining({
      title: 'Unexpected answer from Atlas',
      message: expect.stringMatching(/not JSON/)
    })
  ])
})

it('a 404 on delete means "already gone" only with USERNAME_NOT_FOUND', async () => {
  atlas.emulator.fault({
    path: /\/databaseUsers\/%24external\/someone$/,
    kind: 'status',
    status: 404,
    errorCode: 'RESOURCE_NOT_FOUND'
  })
  const main = await atlas.step('main', {
    inputs: atlas.inputs('api-key', { operation: 'delete-user', username: 'someone' })
  })
  expect(main.errors).toEqual([
    expect.objectContaining({ title: 'Atlas RESOURCE_NOT_FOUND (HTTP 404)' })
  ])
  expect(main.outputs.deleted).toBeUndefined()
  const gone = await atlas.step('main', {
    inputs: atlas.inputs('api-key', { operation: 'delete-user', username: 'someone' })
  })
  expect(gone.errors).toEqual([])
  expect(gone.outputs.deleted).toBe('false')
  const signedDeletes = atlasRequests(atlas.emulator).filter(
    r => r.method === 'DELETE' && r.auth === 'digest'
  )
  expect(signedDeletes.map(r => r.status)).toEqual([404, 404])
})
