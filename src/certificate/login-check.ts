/**
 * Proving that the issued certificate logs in: the official MongoDB driver connects with the
 * connection string, runs `ping` and `connectionStatus`, and the authenticated user is compared
 * with the certificate's. The driver is imported only here and only when a step asks for this,
 * so the bundler puts it in a chunk of its own that other steps never load.
 */

/** Where a failed login stopped: each needs a different fix. */
export type LoginLayer = 'name resolution' | 'TCP' | 'TLS' | 'authentication' | 'user'

export class LoginCheckError extends Error {
  constructor(
    readonly layer: LoginLayer,
    message: string,
    options?: ErrorOptions
  ) {
    super(message, options)
    this.name = 'LoginCheckError'
  }
}

export interface LoginCheckOptions {
  /** The user's name in $external as MongoDB reports it (the certificate subject, RFC 2253). */
  expectedUser: string
  /** How long this attempt may take: server selection and connecting both. */
  timeoutMs: number
}

/** What one successful login showed. */
export interface LoginResult {
  user: string
  db: string
}

const LAYER_ADVICE: Record<LoginLayer, string> = {
  'name resolution':
    "the cluster's host name (or its SRV record) did not resolve: check the connection string and the runner's DNS",
  TCP: "no connection reached the cluster: the runner's address is not (yet) on the project's IP access list, or a firewall blocks the port (27017)",
  TLS: "the TLS handshake failed: the cluster's certificate is not trusted here, or the client certificate was refused",
  authentication:
    'the cluster refused the certificate (AuthenticationFailed): the user may not be applied there yet, or is scoped to other clusters',
  user: 'the cluster authenticated another user than the one issued'
}

export function layerAdvice(layer: LoginLayer): string {
  return LAYER_ADVICE[layer]
}

interface ErrorLike {
  name?: unknown
  code?: unknown
  codeName?: unknown
  message?: unknown
  syscall?: unknown
  cause?: unknown
  reason?: { servers?: Map<string, { error?: unknown }> }
}

/** The error and every error it wraps: causes, and each server's error in a selection failure. */
function errorChain(error: unknown, depth = 0): ErrorLike[] {
  if (typeof error !== 'object' || error === null || depth > 6) return []
  const err = error as ErrorLike
  const servers = err.reason?.servers instanceof Map ? [...err.reason.servers.values()] : []
  return [
    err,
    ...errorChain(err.cause, depth + 1),
    ...servers.flatMap(server => errorChain(server.error, depth + 1))
  ]
}

/** Which layer a driver error comes from (the innermost evidence wins). */
export function classifyLoginError(error: unknown): LoginLayer {
  const chain = errorChain(error)
  const codes = chain.map(e => (typeof e.code === 'string' ? e.code : ''))
  const texts = chain.map(e => (typeof e.message === 'string' ? e.message : '')).join('\n')
  if (chain.some(e => e.code === 18 || e.codeName === 'AuthenticationFailed'))
    return 'authentication'
  if (
    codes.some(code => code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ESERVFAIL') ||
    chain.some(e => typeof e.syscall === 'string' && /^(query|getaddrinfo)/.test(e.syscall))
  )
    return 'name resolution'
  if (
    codes.some(code => /^(ERR_TLS|ERR_SSL)|CERT|SELF_SIGNED|UNABLE_TO/.test(code)) ||
    /certificate|ssl|tls alert|handshake failure/i.test(texts)
  )
    return 'TLS'
  return 'TCP'
}

const firstLine = (error: unknown) =>
  String((error as { message?: unknown } | null)?.message ?? error)
    .split('\n')[0]!
    .slice(0, 300)

/**
 * One login with MONGODB-X509: connect, `ping`, `connectionStatus`; the authenticated user must
 * be `expectedUser` in $external. Throws LoginCheckError naming the layer that failed.
 */
export async function checkLogin(uri: string, options: LoginCheckOptions): Promise<LoginResult> {
  const { MongoClient } = await import('mongodb')
  const timeoutMs = Math.max(1, Math.floor(options.timeoutMs))
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    socketTimeoutMS: timeoutMs,
    // One connection, no monitoring beyond what selecting the server needs.
    maxPoolSize: 1,
    appName: 'atlas-x509-action verify-login'
  })
  try {
    await client.connect()
    const admin = client.db('admin')
    await admin.command({ ping: 1 })
    const status = (await admin.command({ connectionStatus: 1 })) as {
      authInfo?: { authenticatedUsers?: Array<{ user?: unknown; db?: unknown }> }
    }
    const users = status.authInfo?.authenticatedUsers ?? []
    const match = users.find(u => u.user === options.expectedUser && u.db === '$external')
    if (!match) {
      const seen = users.map(u => `${String(u.user)} (${String(u.db)})`).join(', ') || 'none'
      throw new LoginCheckError(
        'user',
        `connectionStatus reports ${seen} as authenticated, not ${options.expectedUser} ($external)`
      )
    }
    return { user: options.expectedUser, db: '$external' }
  } catch (error) {
    if (error instanceof LoginCheckError) throw error
    throw new LoginCheckError(classifyLoginError(error), firstLine(error), { cause: error })
  } finally {
    await client.close().catch(() => undefined)
  }
}
