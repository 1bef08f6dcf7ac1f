/**
 * One bound on the requests a run has in flight, whatever they are for (a project's users, a
 * user's certificates, a delete): Atlas is far away, so requests overlap, but a few at a time
 * stay within its rate limits. While Atlas reports that fewer requests remain in its rate-limit
 * bucket than the bound, they go one at a time (a 429's Retry-After already holds every request
 * back, in the retry loop).
 */
export class RequestLimiter {
  private active = 0
  private readonly waiting: Array<() => void> = []
  private stopped: { error: unknown } | undefined

  constructor(
    /** Requests in flight at most. */
    readonly limit: number,
    /** Atlas's `RateLimit-Remaining` on the latest answer that carried it. */
    private readonly remaining: () => number | undefined
  ) {}

  private mayStart(): boolean {
    if (this.active === 0) return true
    if (this.active >= this.limit) return false
    const left = this.remaining()
    return left === undefined || left > this.limit
  }

  /**
   * Runs `work` (at most one request at a time) once a place is free, in the order asked. After
   * `stop`, work not yet started is refused with the stopping error.
   */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.waiting.length === 0 && this.mayStart()) this.active += 1
    // A place freed by another's end is counted for this one before it wakes.
    else await new Promise<void>(resolve => this.waiting.push(resolve))
    try {
      if (this.stopped) throw this.stopped.error
      return await work()
    } finally {
      this.active -= 1
      this.wake()
    }
  }

  /** Nothing more starts: what is queued fails with `error`. */
  stop(error: unknown): void {
    this.stopped ??= { error }
  }

  private wake(): void {
    while (this.waiting.length > 0 && this.mayStart()) {
      this.active += 1
      this.waiting.shift()!()
    }
  }
}

/** `fn` over `items` through the limiter, results in the order of `items`; the first failure stops the rest. */
export function mapLimited<T, R>(
  limiter: RequestLimiter,
  items: readonly T[],
  fn: (item: T) => Promise<R>
): Promise<R[]> {
  return Promise.all(
    items.map(item =>
      limiter
        .run(() => fn(item))
        .catch((error: unknown) => {
          limiter.stop(error)
          throw error
        })
    )
  )
}
