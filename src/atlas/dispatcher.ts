import { Socket } from 'node:net'
import {
  Agent,
  buildConnector,
  Client,
  EnvHttpProxyAgent,
  errors,
  Pool,
  type Dispatcher
} from 'undici'
import type { Environment } from '../environment.js'

export interface DispatcherOptions {
  /**
   * Connections to the origin at most: 1 keeps every request of a step on one keep-alive
   * connection (one TCP and TLS handshake); more only where requests run in parallel.
   */
  connections: number
  /** What is left of the step's budget: connecting and the TLS handshake must fit in it. */
  remainingMs(): number
}

const first = (env: Environment, names: string[]) =>
  names.map(name => env[name]).find(value => value !== undefined && value !== '')

/** A connection attempt: undici's connector, or ProxyAgent's tunnel (which also takes a signal). */
type Connector = (
  options: buildConnector.Options & { signal?: AbortSignal },
  callback: buildConnector.Callback
) => unknown

/**
 * The HTTP dispatcher: through the proxy named by HTTPS_PROXY/HTTP_PROXY (NO_PROXY honoured, either
 * case) in the step's environment, as the runner's other tools do, or direct.
 */
export function createDispatcher(env: Environment, options: DispatcherOptions): Dispatcher {
  const httpsProxy = first(env, ['HTTPS_PROXY', 'https_proxy'])
  const httpProxy = first(env, ['HTTP_PROXY', 'http_proxy'])
  // Read per connection, so that a connection made late in the step gets only what is left.
  const timeout = () => Math.max(1, Math.floor(options.remainingMs()))
  const direct: Connector = (connectOptions, callback) =>
    buildConnector({ timeout: timeout() + 1000 })(connectOptions, callback)
  if (httpsProxy || httpProxy) {
    return new EnvHttpProxyAgent({
      httpProxy,
      httpsProxy,
      noProxy: first(env, ['NO_PROXY', 'no_proxy']) ?? '',
      connections: options.connections,
      // EnvHttpProxyAgent hands the two factories to its ProxyAgent (its type does not list them).
      // The connection to the proxy itself (TCP, and TLS to an https proxy):
      clientFactory: (proxyOrigin: URL) =>
        new Pool(proxyOrigin, {
          connect: (connectOptions, callback) =>
            connectWithin(timeout(), direct, connectOptions, callback)
        }),
      // Each connection to the origin, direct (NO_PROXY) or through the tunnel. ProxyAgent hands
      // its tunnel-making connect here; undici's own timers for it (the CONNECT answer, the
      // tunnel's TLS) run 300 s or a budget fixed at the start, so ours bound it instead.
      factory: (origin: string | URL, agentOptions: Agent.Options) => {
        const viaProxy = agentOptions.connect as Connector | undefined
        const connect: buildConnector.connector = (connectOptions, callback) =>
          viaProxy
            ? connectThroughTunnel(timeout, viaProxy, direct, connectOptions, callback)
            : connectWithin(timeout(), direct, connectOptions, callback)
        const clientOptions = { ...agentOptions, connect }
        return options.connections === 1
          ? new Client(origin, clientOptions)
          : new Pool(origin, clientOptions)
      }
    } as EnvHttpProxyAgent.Options)
  }
  return new Agent({
    connections: options.connections,
    connect: (connectOptions, callback) =>
      connectWithin(timeout(), direct, connectOptions, callback)
  })
}

/**
 * Runs one connection attempt within `ms`. undici times this phase on a coarse clock that fires up
 * to half a second early or late, and a request's abort signal does not reach a connection still
 * being made, so a timer of our own ends the attempt when the budget does: it aborts the attempt's
 * signal (ProxyAgent's CONNECT exchange listens to it) and destroys a socket still being made.
 */
function connectWithin(
  ms: number,
  connector: Connector,
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
  const aborted = new AbortController()
  const attempt: { socket?: unknown } = {}
  const timer = setTimeout(() => {
    const error = new errors.ConnectTimeoutError()
    aborted.abort(error)
    if (attempt.socket instanceof Socket) attempt.socket.destroy(error)
    else settle(error, null)
  }, ms)
  // undici's connector returns the socket it makes (its types say void): destroyed on time.
  attempt.socket = connector({ ...connectOptions, signal: aborted.signal }, settle)
}

/**
 * Through a proxy: the CONNECT exchange, then for an https origin the TLS handshake over the
 * tunnel, each within what is then left of the budget. ProxyAgent is asked for a bare tunnel (as
 * for http) so that the handshake is made here, where its socket can be destroyed on time.
 */
function connectThroughTunnel(
  timeout: () => number,
  viaProxy: Connector,
  direct: Connector,
  connectOptions: buildConnector.Options,
  callback: buildConnector.Callback
): void {
  if (connectOptions.protocol !== 'https:') {
    connectWithin(timeout(), viaProxy, connectOptions, callback)
    return
  }
  // ProxyAgent's CONNECT target is `host`, with a default port added only when `port` is empty,
  // and that default is the protocol's: the https port is spelled out here.
  const port = connectOptions.port || '443'
  const tunnelOptions = {
    ...connectOptions,
    protocol: 'http:',
    port,
    host: connectOptions.port ? connectOptions.host : `${connectOptions.hostname}:${port}`
  }
  connectWithin(timeout(), viaProxy, tunnelOptions, (error, tunnel) => {
    if (!tunnel) return callback(error ?? new errors.ConnectTimeoutError(), null)
    connectWithin(
      timeout(),
      direct,
      { ...connectOptions, httpSocket: tunnel },
      (handshakeError, socket) => {
        if (!socket) {
          tunnel.destroy()
          return callback(handshakeError ?? new errors.ConnectTimeoutError(), null)
        }
        callback(null, socket)
      }
    )
  })
}
