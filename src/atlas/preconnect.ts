import { createConnection, isIP, type Socket } from 'node:net'
import type * as tls from 'node:tls'
import type { Environment } from '../environment.js'

/**
 * The TCP and TLS handshake to the Atlas origin, begun by the entry before the rest of the action
 * loads, so that loading and the handshake overlap. Only Node's built-in modules: this is part of
 * what loads first. Nothing is written on the connection (the handshake carries no credential);
 * the HTTP client takes it for its first request once the inputs have been checked. Anything
 * unusual (a proxy, a base URL that is not a plain https:// origin, a failed handshake) leaves the
 * client to connect as it always does, without a word.
 */

/** Where the HTTP client is about to connect (undici's connector options). */
export interface ConnectTarget {
  protocol: string
  hostname: string
  port?: string | number | null
}

export interface Preconnection {
  /** The origin it connects to: `https://cloud.mongodb.com`. */
  readonly origin: string
  /**
   * The connected socket for `target`, once: resolves to undefined when the handshake failed,
   * the socket closed since, or it did not finish within `timeoutMs`. Undefined (no promise) when
   * the target is another origin or the socket was already taken.
   */
  takeFor(target: ConnectTarget, timeoutMs: number): Promise<tls.TLSSocket | undefined> | undefined
  /**
   * Resolves once the connect has gone out: after the origin's address is known (at most
   * `lookupWaitMs`) and two turns of the event loop. Node sends the connect on a turn of the loop,
   * and loading the rest of the action blocks the loop for tens of milliseconds: awaited before
   * loading, it puts the connect (and, on a network that answers at once, the TLS ClientHello) on
   * the wire first, instead of after the loading.
   */
  underway(lookupWaitMs?: number): Promise<void>
  /** Closes the socket unless it was taken (the step ended before any request, an input error). */
  discard(): void
}

/** How long the entry waits for the origin's address before it loads the action all the same. */
const LOOKUP_WAIT_MS = 100
const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']
const DEFAULT_ORIGIN = 'https://cloud.mongodb.com'

/** The base URL the step will use, as the inputs will read it: the input, else the variable, else Atlas. */
function baseUrl(env: Environment): string {
  return env['INPUT_BASE-URL']?.trim() || env.MONGODB_ATLAS_BASE_URL?.trim() || DEFAULT_ORIGIN
}

/** How the early connection is made: TCP first, TLS over it once TCP is up. */
export interface Connectors {
  tcp: (options: { host: string; port: number }) => Socket
  tls: (options: tls.ConnectionOptions & { socket: Socket }) => tls.TLSSocket
}

/**
 * `node:tls` takes about 10 ms to load and set up: it is taken once the TCP connection is up, so
 * that the SYN goes out first, and a step that ends on an input error before then sets up no TLS.
 */
const defaultConnectors: Connectors = {
  tcp: options => createConnection(options),
  tls: options => process.getBuiltinModule('node:tls').connect(options)
}

/** Starts the handshake to the step's Atlas origin, or undefined where the usual path is taken. */
export function preconnect(
  env: Environment,
  connectors: Connectors = defaultConnectors
): Preconnection | undefined {
  if (PROXY_VARIABLES.some(name => env[name])) return undefined
  let url: URL
  try {
    url = new URL(baseUrl(env))
  } catch {
    return undefined
  }
  if (url.protocol !== 'https:' || url.username || url.password) return undefined
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  const port = Number(url.port || 443)
  let tcp: Socket
  try {
    tcp = connectors.tcp({ host, port })
  } catch {
    return undefined
  }
  const silence = () => undefined
  tcp.on('error', silence)
  let socket: tls.TLSSocket | undefined
  const connected = new Promise<boolean>(resolve => {
    tcp.once('close', () => resolve(false))
    tcp.once('connect', () => {
      try {
        socket = connectors.tls({
          socket: tcp,
          host,
          ...(isIP(host) ? {} : { servername: host }),
          // What undici asks for: HTTP/1.1.
          ALPNProtocols: ['http/1.1']
        })
      } catch {
        tcp.destroy()
        return
      }
      socket.on('error', silence)
      socket.once('secureConnect', () => resolve(true))
      socket.once('close', () => resolve(false))
    })
  })
  let taken = false
  const drop = () => {
    for (const s of [socket, tcp]) {
      if (!s) continue
      s.removeListener('error', silence)
      s.on('error', silence)
      s.destroy()
    }
  }
  return {
    origin: url.origin,
    takeFor(target, timeoutMs) {
      const targetPort = Number(target.port || 443)
      if (
        taken ||
        target.protocol !== 'https:' ||
        target.hostname.replace(/^\[(.*)\]$/, '$1') !== host ||
        targetPort !== port
      )
        return undefined
      taken = true
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<boolean>(resolve => {
        timer = setTimeout(() => resolve(false), Math.max(1, timeoutMs))
      })
      return Promise.race([connected, late]).then(ok => {
        clearTimeout(timer)
        if (!ok || !socket || socket.destroyed || !socket.writable) {
          drop()
          return undefined
        }
        // From here on the HTTP client handles the TLS socket's errors (the TCP socket under it
        // keeps its silent listener: the TLS socket reports what befalls it).
        socket.removeListener('error', silence)
        return socket
      })
    },
    underway(lookupWaitMs = LOOKUP_WAIT_MS) {
      const turn = () => new Promise<void>(resolve => setImmediate(resolve))
      const addressKnown = isIP(host)
        ? Promise.resolve()
        : new Promise<void>(resolve => {
            const known = () => {
              clearTimeout(timer)
              tcp.removeListener('lookup', known)
              tcp.removeListener('close', known)
              resolve()
            }
            const timer = setTimeout(known, lookupWaitMs)
            tcp.once('lookup', known)
            tcp.once('close', known)
          })
      return addressKnown.then(turn).then(turn)
    },
    discard() {
      if (taken) return
      taken = true
      drop()
    }
  }
}
