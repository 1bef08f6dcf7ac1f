import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net'
import { request } from 'undici'
import { createDispatcher } from '../../src/atlas/dispatcher.js'
import { Budget } from '../../src/atlas/transport.js'

const clockAt = (start: number) => {
  const clock = { time: start, now: () => clock.time, sleep: async () => undefined }
  return clock
}

describe('Budget.within', () => {
  it('bounds the work by its own deadline, shorter or longer than the step, in whole milliseconds', async () => {
    const clock = clockAt(1_000_000)
    const budget = new Budget(60, clock)
    expect(budget.remainingMs()).toBe(60_000)
    await budget.within(clock.time + 4000, 4, 'ready-timeout-seconds', async () => {
      expect(budget.remainingMs()).toBe(4000)
      expect(budget.spent('GET /x').message).toBe(
        "GET /x: no answer within the wait's budget of 4 s (ready-timeout-seconds)."
      )
    })
    // Afterwards the step's own deadline holds again.
    expect(budget.remainingMs()).toBe(60_000)
    expect(budget.spent('GET /x').message).toBe(
      "GET /x: no answer within the step's budget of 60 s (timeout-seconds)."
    )
    await budget.within(clock.time + 300_000.25, 300, 'ready-timeout-seconds', async () => {
      expect(budget.remainingMs()).toBe(300_001)
      clock.time += 100_000
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

describe('createDispatcher: connecting within the budget', () => {
  // A listener that accepts TCP and never answers the TLS handshake.
  async function silentServer() {
    const sockets = new Set<Socket>()
    const closed: number[] = []
    const server = createTcpServer(socket => {
      sockets.add(socket)
      socket.on('close', () => closed.push(performance.now()))
      socket.resume() // reads the ClientHello, so that it sees the client go
    })
    await new Promise<void>(done => server.listen(0, '127.0.0.1', done))
    return {
      url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/`,
      closed,
      close: async () => {
        for (const socket of sockets) socket.destroy()
        await new Promise(done => server.close(done))
      }
    }
  }

  // Below and above a second: undici's own timer ended these at about 1.0 and 1.5 s.
  it.concurrent.each([600, 1100])(
    'ends a handshake that never completes after what is left (%i ms), not before, and drops the socket',
    async remaining => {
      const server = await silentServer()
      const dispatcher = createDispatcher({}, { connections: 1, remainingMs: () => remaining })
      try {
        const started = performance.now()
        const error = await request(server.url, { dispatcher }).then(
          () => undefined,
          (failure: unknown) => failure as { code?: string }
        )
        const elapsed = performance.now() - started
        expect(error?.code).toBe('UND_ERR_CONNECT_TIMEOUT')
        expect(elapsed).toBeGreaterThanOrEqual(remaining - 5)
        expect(elapsed).toBeLessThan(remaining + 250)
        await new Promise(done => setTimeout(done, 50))
        expect(server.closed).toHaveLength(1)
      } finally {
        await dispatcher.destroy()
        await server.close()
      }
    }
  )
})
