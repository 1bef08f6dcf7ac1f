import { jest } from '@jest/globals'
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net'
import { request } from 'undici'
import { createDispatcher } from '../../src/atlas/dispatcher.js'
import { Budget } from '../../src/atlas/transport.js'

const clockAt = (start: number) => {
  const clock = { time: start, now: () => clock.time, sleep: async () => undefined }
  return clock
}

describe('Budget.extendTo', () => {
  it('moves the deadline later, never earlier, in whole milliseconds', () => {
    const clock = clockAt(1_000_000)
    const budget = new Budget(60, clock)
    expect(budget.remainingMs()).toBe(60_000)
    budget.extendTo(clock.time + 30_000)
    expect(budget.remainingMs()).toBe(60_000)
    budget.extendTo(clock.time + 300_000.25)
    expect(budget.remainingMs()).toBe(300_001)
    clock.time += 100_000
    expect(budget.remainingMs()).toBe(200_001)
    expect(budget.timeoutSeconds).toBe(60)
  })
})

describe('createDispatcher: connecting within the budget', () => {
  // A listener that accepts TCP and never answers the TLS handshake.
  async function silentServer() {
    const sockets = new Set<Socket>()
    let accepted: () => void
    let closed: () => void
    const server = createTcpServer(socket => {
      sockets.add(socket)
      accepted()
      socket.on('close', () => closed())
      socket.resume() // reads the ClientHello, so that it sees the client go
    })
    await new Promise<void>(done => server.listen(0, '127.0.0.1', done))
    return {
      url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/`,
      accepted: new Promise<void>(done => (accepted = done)),
      closed: new Promise<void>(done => (closed = done)),
      close: async () => {
        for (const socket of sockets) socket.destroy()
        await new Promise(done => server.close(done))
      }
    }
  }

  // On jest's fake clock, which no busy machine can stretch: the attempt must end at what is left
  // of the budget to the millisecond. undici's own timer ended these at about 1.0 and 1.5 s. The
  // network (connecting, the server seeing the client go) stays real.
  it.each([600, 1100])(
    'ends a handshake that never completes after what is left (%i ms), not before, and drops the socket',
    async remaining => {
      const server = await silentServer()
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
        await server.closed
      } finally {
        jest.useRealTimers()
        await dispatcher.destroy()
        await server.close()
      }
    }
  )
})

/** Lets I/O callbacks already due run (setImmediate is left real above). */
async function settleRealEvents() {
  for (let turn = 0; turn < 10; turn += 1) await new Promise(done => setImmediate(done))
}
