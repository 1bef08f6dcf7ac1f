import { jest } from '@jest/globals'
import { createServer as createHttpServer } from 'node:http'
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net'
import { createProxy } from 'proxy'
import { request } from 'undici'
import { createDispatcher } from '../../src/atlas/dispatcher.js'
import { Budget } from '../../src/atlas/transport.js'

const clockAt = (start: number) => {
  const clock = { time: start, now: () => clock.time, sleep: () => Promise.resolve() }
  return clock
}

describe('Budget.within', () => {
  it('bounds the work by its own deadline, shorter or longer than the step, in whole milliseconds', async () => {
    const clock = clockAt(1_000_000)
    const budget = new Budget(60, clock)
    expect(budget.remainingMs()).toBe(60_000)
    await budget.within(clock.time + 4000, 4, 'ready-timeout-seconds', () => {
      expect(budget.remainingMs()).toBe(4000)
      expect(budget.spent('GET /x').message).toBe(
        "GET /x: no answer within the wait's budget of 4 s (ready-timeout-seconds)."
      )
      return Promise.resolve()
    })
    // Afterwards the step's own deadline holds again.
    expect(budget.remainingMs()).toBe(60_000)
    expect(budget.spent('GET /x').message).toBe(
      "GET /x: no answer within the step's budget of 60 s (timeout-seconds)."
    )
    await budget.within(clock.time + 300_000.25, 300, 'ready-timeout-seconds', () => {
      expect(budget.remainingMs()).toBe(300_001)
      clock.time += 100_000
      return Promise.resolve()
    })
    // A wait that ran past the step's deadline leaves the step the rest of the wait's.
    expect(budget.remainingMs()).toBe(200_001)
    expect(budget.timeoutSeconds).toBe(60)
  })

  it('restores the step deadline when the work fails', async () => {
    const clock = clockAt(0)
    const budget = new Budget(60, clock)
    await expect(
      budget.within(1000, 1, 'ready-timeout-seconds', () => Promise.reject(new Error('x')))
    ).rejects.toThrow('x')
    expect(budget.remainingMs()).toBe(60_000)
  })
})

/** A listener that accepts TCP and never says a word: a stuck origin, or a stuck proxy. */
async function silentListener() {
  const sockets = new Set<Socket>()
  const closed: Socket[] = []
  let accepted: () => void
  const closeWaiters: Array<() => void> = []
  const server = createTcpServer(socket => {
    sockets.add(socket)
    accepted()
    socket.on('close', () => {
      closed.push(socket)
      for (const wake of closeWaiters.splice(0)) wake()
    })
    socket.resume() // reads what the client sends, so that it sees the client go
  })
  await new Promise<void>(done => server.listen(0, '127.0.0.1', done))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    url: `https://127.0.0.1:${port}/`,
    sockets,
    closed,
    /** Resolves when the first connection arrives. */
    accepted: new Promise<void>(done => (accepted = done)),
    /** Resolves once `socket` has closed (the test's own timeout bounds the wait). */
    closing: async (socket: Socket) => {
      while (!closed.includes(socket)) await new Promise<void>(done => closeWaiters.push(done))
    },
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise(done => server.close(done))
    }
  }
}

describe('createDispatcher: connecting within the budget', () => {
  // On jest's fake clock, which no busy machine can stretch: the attempt must end at what is left
  // of the budget to the millisecond. undici's own timer ended these at about 1.0 and 1.5 s. The
  // network (connecting, the server seeing the client go) stays real.
  it.each([600, 1100])(
    'ends a handshake that never completes after what is left (%i ms), not before, and drops the socket',
    async remaining => {
      const server = await silentListener()
      jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] })
      const dispatcher = createDispatcher({}, { connections: 1, remainingMs: () => remaining })
      try {
        let ended = false
        const outcome = request(server.url, { dispatcher })
          .then(
            () => undefined,
            (failure: unknown) => failure as { code?: string }
          )
          .finally(() => (ended = true))
        await server.accepted
        await jest.advanceTimersByTimeAsync(remaining - 1)
        await settleRealEvents()
        expect(ended).toBe(false)
        await jest.advanceTimersByTimeAsync(1)
        await settleRealEvents()
        expect(ended).toBe(true)
        expect((await outcome)?.code).toBe('UND_ERR_CONNECT_TIMEOUT')
        await server.closing([...server.sockets][0]!)
      } finally {
        jest.useRealTimers()
        await dispatcher.destroy()
        await server.close()
      }
    }
  )
})

describe('createDispatcher: through a proxy, within the budget', () => {
  async function forwardProxy() {
    const proxy = createProxy(createHttpServer())
    const targets: string[] = []
    proxy.on('connect', (connect: { url?: string }) => targets.push(connect.url ?? ''))
    await new Promise<void>(done => proxy.listen(0, '127.0.0.1', done))
    return {
      url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      targets,
      close: () => new Promise(done => proxy.close(done))
    }
  }

  const failureOf = (url: string, dispatcher: ReturnType<typeof createDispatcher>) =>
    request(url, { dispatcher }).then(
      () => undefined,
      (failure: unknown) => failure as { code?: string }
    )

  // The defect this guards: undici waited 300 s for the CONNECT answer.
  it('ends a CONNECT the proxy never answers after what is left, and drops the connection', async () => {
    const proxy = await silentListener()
    const env = { HTTPS_PROXY: `http://127.0.0.1:${proxy.port}` }
    const dispatcher = createDispatcher(env, { connections: 1, remainingMs: () => 700 })
    try {
      const started = performance.now()
      const error = await failureOf('https://127.0.0.1:9/', dispatcher)
      expect(error?.code).toBe('UND_ERR_CONNECT_TIMEOUT')
      expect(performance.now() - started).toBeLessThan(10_000)
      // The connection that carried the CONNECT is closed (undici may open another, idle).
      const [tunnelAttempt] = proxy.sockets
      await proxy.closing(tunnelAttempt!)
      expect(proxy.closed).toContain(tunnelAttempt)
    } finally {
      await dispatcher.destroy()
      await proxy.close()
    }
  })

  it('ends a TLS handshake over the tunnel that never completes, and drops the tunnel', async () => {
    const origin = await silentListener()
    const proxy = await forwardProxy()
    const dispatcher = createDispatcher(
      { https_proxy: proxy.url },
      { connections: 1, remainingMs: () => 700 }
    )
    try {
      const started = performance.now()
      const error = await failureOf(`https://127.0.0.1:${origin.port}/`, dispatcher)
      expect(error?.code).toBe('UND_ERR_CONNECT_TIMEOUT')
      expect(performance.now() - started).toBeLessThan(10_000)
      expect(proxy.targets).toEqual([`127.0.0.1:${origin.port}`])
      // The proxy closes its side of the tunnel once the action's side is gone.
      await origin.closing([...origin.sockets][0]!)
      expect(origin.closed).toHaveLength(1)
    } finally {
      await dispatcher.destroy()
      await proxy.close()
      await origin.close()
    }
  })

  it('asks the proxy for the https port when the origin names none', async () => {
    const proxy = await forwardProxy()
    const dispatcher = createDispatcher(
      { HTTPS_PROXY: proxy.url },
      { connections: 1, remainingMs: () => 5000 }
    )
    try {
      // Nothing listens on 127.0.0.1:443 here: the proxy answers the CONNECT with an error.
      await failureOf('https://127.0.0.1/', dispatcher)
      expect(proxy.targets).toEqual(['127.0.0.1:443'])
    } finally {
      await dispatcher.destroy()
      await proxy.close()
    }
  })
})

/** Lets I/O callbacks already due run (setImmediate is left real above). */
async function settleRealEvents() {
  for (let turn = 0; turn < 10; turn += 1) await new Promise(done => setImmediate(done))
}
