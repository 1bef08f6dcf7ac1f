import type { Dispatcher } from 'undici'
import type { Clock } from '../clock.js'
import type { Budget } from './transport.js'
import { AtlasUnreachableError } from './errors.js'
import type { HttpResponse } from './http.js'
import { describeNetworkError, isTimeout, Transport } from './transport.js'

export interface PlainTextOptions {
  dispatcher: Dispatcher
  budget: Budget
  clock: Clock
  userAgent: string
  debug(message: string): void
}

/**
 * One GET of a URL outside Atlas (the runner's "what is my IP" service): through the step's
 * dispatcher (proxies honoured) and within its budget, with no credential of any kind, no retry
 * and no redirect followed. Throws AtlasUnreachableError when no answer comes.
 */
export async function getPlainText(url: string, options: PlainTextOptions): Promise<HttpResponse> {
  const target = new URL(url)
  const transport = new Transport({ ...options, baseUrl: target.origin })
  try {
    return await transport.send({
      method: 'GET',
      target: `${target.pathname}${target.search}`,
      headers: { accept: 'text/plain' }
    })
  } catch (error) {
    if (error instanceof AtlasUnreachableError) throw error
    const what = isTimeout(error)
      ? `no answer within ${options.budget.description}`
      : describeNetworkError(error)
    throw new AtlasUnreachableError(`GET ${target.origin}${target.pathname}: ${what}.`, {
      cause: error
    })
  }
}
