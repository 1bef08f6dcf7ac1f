import { Socket } from 'node:net'
import { Agent, buildConnector, EnvHttpProxyAgent, errors, type Dispatcher } from 'undici'
import type { Environment } from '../environment.js'
import type { Preconnection } from './preconnect.js'

export interface DispatcherOptions {
  /**
   * Connections to the origin at most: 1 keeps every request of a step on one keep-alive
   * connection (one TCP and TLS handshake); more only where requests run in parallel.
   */
  connections: number
  /** What is left of the step's budget: connecting and the TLS handshake must fit in it. */
  remainingMs(): number
  /** A handshake the entry began: the first connection to its origin takes it. */
  preconnection?: Preconnection
}

const first = (env: Environment, names: string[]) =>
  names.map(name => env[name]).find(value => value !== undefined && value !== '')

/**
 * The HTTP dispatcher: through the proxy named by HTTPS_PROXY/HTTP_PROXY (NO_PROXY honoured, either
 * case) in the step's environment, as the runner's other tools do, or direct.
 */
export function createDispatcher(env: Environment, options: DispatcherOptions): Dispatcher {
  const httpsProxy = first(env, ['HTTPS_PROXY', 'https_proxy'])
  const httpProxy = first(env, ['HTTP_PROXY', 'http_proxy'])
  const timeout = () => Math.max(1, Math.floor(options.remainingMs()))
  if (httpsProxy || httpProxy) {
    // The tunnel's TLS is set up per connection: bounded by the budget as it stands at the start.
    // (EnvHttpProxyAgent hands these to its ProxyAgent, whose options its type does not list.)
    const tls = { timeout: timeout() }
    const proxyOptions = { proxyTls: tls, requestTls: tls }
    return new EnvHttpProxyAgent({
      httpProxy,
      httpsProxy,
      noProxy: first(env, ['NO_PROXY', 'no_proxy']) ?? '',
      connections: options.connections,
      connect: tls,
      ...proxyOptions
    } as EnvHttpProxyAgent.Options)
  }
  return new Agent({
    connections: options.connections,
    // Built per connection, so that a connection made late in the step gets only what is left.
    connect: (connectOptions, callback) => {
      const handedOver = options.preconnection?.takeFor(connectOptions, timeout())
      if (!handedOver) return connectWithin(timeout(), connectOptions, callback)
      // A handshake that failed is made again the usual way, which reports what went wrong.
      void handedOver.then(socket =>
        socket ? callback(null, socket) : connectWithin(timeout(), connectOptions, callback)
      )
    }
  })
}

/**
 * Connects (TCP and TLS) within `ms`. undici times this phase on a coarse clock that fires up to
 * half a second early or late, and a request's abort signal does not reach a connection still
 * being made, so a timer of our own ends the attempt when the budget does.
 */
function connectWithin(
  ms: number,
  connectOptions: buildConnector.Options,
  callback: buildConnector.Callback
): void {
  let settled = false
  const settle: buildConnector.Callback = (...args) => {
    clearTimeout(timer)
    if (settled) {
      args[1]?.destroy()
      return
    }
    settled = true
    callback(...args)
  }
  const attempt: { socket?: unknown } = {}
  const timer = setTimeout(() => {
    const error = new errors.ConnectTimeoutError()
    if (attempt.socket instanceof Socket) attempt.socket.destroy(error)
    else settle(error, null)
  }, ms)
  // undici's connector returns the socket it makes (its types say void): destroyed on time.
  attempt.socket = buildConnector({ timeout: ms + 1000 })(connectOptions, settle)
}
