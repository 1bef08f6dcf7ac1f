/**
 * A fake of the GitHub REST endpoints that store Actions secrets (repository and environment):
 * `GET …/secrets/public-key`, `GET …/secrets/{name}` (metadata: `created_at`, `updated_at`) and
 * `PUT …/secrets/{name}`, over HTTP on 127.0.0.1. Each store has a real X25519 key pair, so tests
 * can open what was stored with the private key. Faults are scripted per request (`fail`).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** What a token may do: `write` reads keys and writes secrets, `read` only reads keys. */
export type TokenPermission = 'write' | 'read'

export interface GitHubEmulatorOptions {
  /** `owner/repo` → its environments. Default: `octo-org/release-app` with `production`. */
  repositories?: Record<string, string[]>
}

export interface StoreKeyPair {
  keyId: string
  /** Raw 32-byte X25519 keys. */
  publicKey: Uint8Array
  privateKey: Uint8Array
}

/** A secret as the action sent it, with the times GitHub reports (ISO 8601, to the second). */
export interface StoredSecret {
  encrypted_value: string
  key_id: string
  created_at: string
  updated_at: string
}

/**
 * A scripted answer instead of the real one: an HTTP status (5xx), no answer at all (`hang`), a
 * redirect to `location`, a public key of the given base64 (`bad-key`), or the real answer with
 * `Deprecation` and `Sunset` headers carrying `sunset` (as GitHub marks an endpoint deprecated).
 */
export type GitHubFault =
  | { kind: 'status'; status: number }
  | { kind: 'hang' }
  | { kind: 'redirect'; status?: number; location: string }
  | { kind: 'bad-key'; key: string }
  | { kind: 'deprecation'; sunset: string }

export interface GitHubFaultRule {
  fault: GitHubFault
  /** Only requests with this method (default: any). */
  method?: string
  /** Only requests whose path contains this (default: any). */
  pathIncludes?: string
  /** How many matching requests get the fault (default: every one). */
  times?: number
}

export interface GitHubRequest {
  method: string
  path: string
  /** The token sent, null without an Authorization header. */
  token: string | null
  status: number
  body: string
}

export interface GitHubEmulator {
  /** The API base URL, as GITHUB_API_URL. */
  url: string
  /** The default repository (`owner/repo`) and its environment. */
  repository: string
  environment: string
  tokens: { write: string; readOnly: string; invalid: string }
  requests: GitHubRequest[]
  clearRequests(): void
  /** The key pair of a repository's store, or of one of its environments. */
  keyPair(repository: string, environment?: string): StoreKeyPair
  secret(repository: string, name: string, environment?: string): StoredSecret | undefined
  /** Sets a secret as if written at `updatedAt` (its value is not one the action could open). */
  seedSecret(repository: string, name: string, updatedAt: Date, environment?: string): void
  /** Scripts a fault for the matching requests, from now on. */
  fail(rule: GitHubFaultRule): void
  clearFaults(): void
  close(): Promise<void>
}

interface Store {
  keys: StoreKeyPair
  secrets: Map<string, StoredSecret>
}

function newKeyPair(): StoreKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('x25519')
  const raw = (key: typeof publicKey, field: 'x' | 'd') =>
    new Uint8Array(Buffer.from(key.export({ format: 'jwk' })[field]!, 'base64url'))
  return {
    keyId: String(randomBytes(6).readUIntBE(0, 6)),
    publicKey: raw(publicKey, 'x'),
    privateKey: raw(privateKey, 'd')
  }
}

/** GitHub's timestamps: ISO 8601 UTC to the second. */
const githubTime = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z')

const storeKey = (repository: string, environment?: string) =>
  `${repository.toLowerCase()}#${environment ?? ''}`

export async function startGitHubEmulator(
  options: GitHubEmulatorOptions = {}
): Promise<GitHubEmulator> {
  const repositories = options.repositories ?? { 'octo-org/release-app': ['production'] }
  const stores = new Map<string, Store>()
  for (const [repository, environments] of Object.entries(repositories)) {
    for (const environment of [undefined, ...environments]) {
      stores.set(storeKey(repository, environment), { keys: newKeyPair(), secrets: new Map() })
    }
  }
  const tokens = {
    write: `ghp_write${randomBytes(12).toString('hex')}`,
    readOnly: `ghp_read${randomBytes(12).toString('hex')}`,
    invalid: `ghp_invalid${randomBytes(12).toString('hex')}`
  }
  const permissions = new Map<string, TokenPermission>([
    [tokens.write, 'write'],
    [tokens.readOnly, 'read']
  ])
  const requests: GitHubRequest[] = []

  const handle = (req: IncomingMessage, body: string): { status: number; json?: unknown } => {
    const header = req.headers.authorization ?? ''
    const token = /^(?:Bearer|token)\s+(\S+)$/i.exec(header)?.[1] ?? null
    if (token === null) return { status: 401, json: { message: 'Requires authentication' } }
    const permission = permissions.get(token)
    if (!permission) return { status: 401, json: { message: 'Bad credentials' } }

    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const match =
      /^\/repos\/([^/]+)\/([^/]+)(?:\/environments\/([^/]+))?\/(?:actions\/)?secrets\/([^/]+)$/.exec(
        url.pathname
      )
    const notFound = { status: 404, json: { message: 'Not Found' } }
    if (!match) return notFound
    const [, owner, repo, environment, last] = match
    const isEnvironment = environment !== undefined
    // Repository secrets live under /actions/secrets, environment secrets under /secrets.
    if (url.pathname.includes('/actions/secrets/') === isEnvironment) return notFound
    const store = stores.get(
      storeKey(
        `${decodeURIComponent(owner!)}/${decodeURIComponent(repo!)}`,
        isEnvironment ? decodeURIComponent(environment) : undefined
      )
    )
    if (!store) return notFound

    if (last === 'public-key') {
      if (req.method !== 'GET') return notFound
      return {
        status: 200,
        json: {
          key_id: store.keys.keyId,
          key: Buffer.from(store.keys.publicKey).toString('base64')
        }
      }
    }
    const name = decodeURIComponent(last!)
    if (req.method === 'GET') {
      const secret = store.secrets.get(name.toUpperCase())
      if (!secret) return notFound
      return {
        status: 200,
        json: {
          name: name.toUpperCase(),
          created_at: secret.created_at,
          updated_at: secret.updated_at
        }
      }
    }
    if (req.method !== 'PUT') return notFound
    if (permission !== 'write') {
      return {
        status: 403,
        json: { message: 'Resource not accessible by personal access token' }
      }
    }
    let parsed: Partial<StoredSecret>
    try {
      parsed = JSON.parse(body) as Partial<StoredSecret>
    } catch {
      return { status: 400, json: { message: 'Problems parsing JSON' } }
    }
    if (
      typeof parsed.encrypted_value !== 'string' ||
      !/^[A-Za-z0-9+/]+={0,2}$/.test(parsed.encrypted_value) ||
      parsed.key_id !== store.keys.keyId
    ) {
      return { status: 422, json: { message: 'Invalid request.' } }
    }
    const existing = store.secrets.get(name.toUpperCase())
    const now = githubTime(new Date())
    store.secrets.set(name.toUpperCase(), {
      encrypted_value: parsed.encrypted_value,
      key_id: parsed.key_id,
      created_at: existing?.created_at ?? now,
      updated_at: now
    })
    const existed = existing !== undefined
    return { status: existed ? 204 : 201, ...(existed ? {} : { json: {} }) }
  }

  const rules: Array<GitHubFaultRule & { left: number }> = []
  const faultFor = (req: IncomingMessage): GitHubFault | undefined => {
    const rule = rules.find(
      r =>
        r.left > 0 &&
        (r.method === undefined || r.method === req.method) &&
        (r.pathIncludes === undefined || (req.url ?? '').includes(r.pathIncludes))
    )
    if (!rule) return undefined
    rule.left -= 1
    return rule.fault
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', chunk => (body += chunk))
    req.on('end', () => {
      const fault = faultFor(req)
      const record = (status: number) => {
        const header = req.headers.authorization ?? ''
        requests.push({
          method: req.method ?? '',
          path: req.url ?? '',
          token: /^(?:Bearer|token)\s+(\S+)$/i.exec(header)?.[1] ?? null,
          status,
          body
        })
      }
      // A hung request is recorded with status 0 and never answered.
      if (fault?.kind === 'hang') return record(0)
      if (fault?.kind === 'status') {
        record(fault.status)
        res.writeHead(fault.status, { 'content-type': 'application/json' })
        return res.end(JSON.stringify({ message: 'Server Error' }))
      }
      if (fault?.kind === 'redirect') {
        const status = fault.status ?? 302
        record(status)
        res.writeHead(status, { location: fault.location })
        return res.end()
      }
      const answer = handle(req, body)
      const { status } = answer
      let json = answer.json
      if (fault?.kind === 'bad-key' && status === 200 && req.url?.endsWith('/public-key'))
        json = { ...(json as object), key: fault.key }
      record(status)
      res.writeHead(status, {
        ...(json === undefined ? {} : { 'content-type': 'application/json' }),
        ...(fault?.kind === 'deprecation' ? { deprecation: 'true', sunset: fault.sunset } : {})
      })
      res.end(json === undefined ? undefined : JSON.stringify(json))
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const [repository, environments] = Object.entries(repositories)[0]!

  const storeOf = (repo: string, environment?: string) => {
    const store = stores.get(storeKey(repo, environment))
    if (!store) throw new Error(`No store for ${repo}${environment ? ` (${environment})` : ''}`)
    return store
  }
  return {
    url: `http://127.0.0.1:${port}`,
    repository,
    environment: environments[0] ?? '',
    tokens,
    requests,
    clearRequests: () => void requests.splice(0),
    keyPair: (repo, environment) => storeOf(repo, environment).keys,
    secret: (repo, name, environment) => storeOf(repo, environment).secrets.get(name.toUpperCase()),
    seedSecret: (repo, name, updatedAt, environment) => {
      const time = githubTime(updatedAt)
      storeOf(repo, environment).secrets.set(name.toUpperCase(), {
        encrypted_value: randomBytes(48).toString('base64'),
        key_id: storeOf(repo, environment).keys.keyId,
        created_at: time,
        updated_at: time
      })
    },
    fail: rule => void rules.push({ ...rule, left: rule.times ?? Infinity }),
    clearFaults: () => void rules.splice(0),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close(error => (error ? reject(error) : resolve()))
      })
  }
}
