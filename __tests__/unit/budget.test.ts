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
