import type { ClusterEndpoint } from '../atlas/api.js'
import { connectionStringFor } from '../certificate/connection-string.js'
import { checkLogin, layerAdvice, LoginCheckError } from '../certificate/login-check.js'
import { TitledError } from '../errors.js'
import {
  DEFAULTS,
  InputError,
  parseBoolean,
  parseInteger,
  type InputReader
} from '../inputs/inputs.js'
import {
  addEntries,
  parseAccessList,
  waitUntilActive,
  wantsAccessList,
  type AccessListConfig
} from './access-list.js'
import { list, READY_POLL, seconds } from './ephemeral-readiness.js'
import type { StepContext } from './operation.js'

/**
 * What makes a new credential usable from this runner beyond Atlas's own readiness: the access
 * list, the connection strings Atlas knows, and a login that proves it.
 */
export interface ReachOptions {
  accessList: AccessListConfig
  verifyLogin: boolean
}

export function parseReachOptions(read: InputReader): ReachOptions {
  return {
    accessList: parseAccessList(read),
    verifyLogin: parseBoolean(read, 'verify-login', DEFAULTS['verify-login'])
  }
}

/** A login attempt is cut off after this long, so a retry still fits in the wait. */
const MAX_LOGIN_ATTEMPT_MS = 10_000

/**
 * The clusters the user reaches, with their connection strings: those the readiness wait listed,
 * else the scoped clusters one by one, else the project's lists.
 */
export async function reachedClusters(
  scopes: string[],
  listed: ClusterEndpoint[] | undefined,
  ctx: StepContext
): Promise<ClusterEndpoint[]> {
  if (listed) return listed
  const { api, groupId } = ctx
  if (scopes.length === 0)
    return [...(await api.listClusters(groupId)), ...(await api.listFlexClusters(groupId))]
  const clusters: ClusterEndpoint[] = []
  for (const name of scopes) {
    const cluster = await api.getCluster(groupId, name)
    if (cluster) clusters.push(cluster)
  }
  return clusters
}

/**
 * Cluster name → its public connection string with the X.509 options: `standardSrv`, or
 * `standard` where Atlas gives no SRV string (said in the log). Clusters with neither are left out.
 */
export function connectionStrings(
  clusters: ClusterEndpoint[],
  certificateFile: string,
  ctx: StepContext
): Map<string, string> {
  const uris = new Map<string, string>()
  for (const cluster of clusters) {
    const base = cluster.standardSrv ?? cluster.standard
    if (!base) {
      ctx.io.debug(`Atlas gives no public connection string for ${cluster.name}: left out.`)
      continue
    }
    if (!cluster.standardSrv)
      ctx.io.info(
        `Atlas gives no standardSrv connection string for ${cluster.name}: using its standard (mongodb://) one.`
      )
    uris.set(cluster.name, connectionStringFor(base, certificateFile))
  }
  return uris
}

/** Sets `connection-string` (one cluster) or `connection-strings` (several, a JSON object). */
export function setConnectionOutputs(uris: Map<string, string>, ctx: StepContext): void {
  if (uris.size === 1) ctx.io.setOutput('connection-string', [...uris.values()][0]!)
  else if (uris.size > 1)
    ctx.io.setOutput('connection-strings', JSON.stringify(Object.fromEntries(uris)))
}

/**
 * Logs in through each URI with the issued certificate until it works or `deadlineMs` passes
 * (the user or the access-list entry may still be on its way); then one error naming the layer
 * that failed last. Returns a line per cluster for the log and summary.
 */
export async function verifyLogins(
  uris: Map<string, string>,
  expectedUser: string,
  deadlineMs: number,
  timeoutSeconds: number,
  ctx: StepContext
): Promise<string[]> {
  const { clock, io } = ctx
  if (uris.size === 0)
    throw new TitledError(
      'Login not verified',
      'verify-login: true needs a connection string, and there is none: give the connection-string input, or let the user reach a cluster for which Atlas gives one.'
    )
  const started = clock.now()
  const verified: string[] = []
  for (const [name, uri] of uris) {
    let intervalMs: number = READY_POLL.firstIntervalMs
    for (let attempt = 1; ; attempt++) {
      const remaining = deadlineMs - clock.now()
      try {
        const login = await checkLogin(uri, {
          expectedUser,
          timeoutMs: Math.min(Math.max(remaining, 1000), MAX_LOGIN_ATTEMPT_MS)
        })
        const line = `${name}: logged in as ${login.user} (${login.db}); ping and connectionStatus answered`
        io.info(`Login verified on ${line}.`)
        verified.push(line)
        break
      } catch (error) {
        if (!(error instanceof LoginCheckError)) throw error
        io.debug(
          `Login attempt ${attempt} on ${name} failed at the ${error.layer} layer: ${error.message}`
        )
        const left = deadlineMs - clock.now()
        if (error.layer === 'user' || left <= 0)
          throw new TitledError(
            `Login failed: ${error.layer}`,
            `The issued certificate could not log in to ${name} after ${attempt} ${attempt === 1 ? 'try' : 'tries'} in ${seconds(clock.now() - started)} s (ready-timeout-seconds: ${timeoutSeconds}). It failed at the ${error.layer} layer: ${layerAdvice(error.layer)}. Last error: ${error.message}`
          )
        await clock.sleep(Math.min(intervalMs, left))
        intervalMs = Math.min(Math.round(intervalMs * READY_POLL.factor), READY_POLL.maxIntervalMs)
      }
    }
  }
  if (uris.size > 1) io.info(`Login verified on ${list([...uris.keys()])}.`)
  return verified
}

/** create-certificate: the same, with the entry's lifetime and the wait's bound read here. */
export interface CertificateReach extends ReachOptions {
  ttlHours: number
  readyTimeoutSeconds: number
}

export function parseCertificateReach(
  read: InputReader,
  connectionString: string | undefined
): CertificateReach {
  const reach = parseReachOptions(read)
  if (reach.verifyLogin && !connectionString)
    throw new InputError(
      'verify-login',
      "create-certificate needs the connection-string input to log in with: give the cluster's URI, or set verify-login to false."
    )
  return {
    ...reach,
    ttlHours: parseInteger(read, 'ephemeral-ttl-hours', DEFAULTS['ephemeral-ttl-hours'], 1, 720),
    readyTimeoutSeconds: parseInteger(
      read,
      'ready-timeout-seconds',
      DEFAULTS['ready-timeout-seconds'],
      1,
      3600
    )
  }
}

/**
 * create-certificate after the certificate is written: the access-list entries (added, then
 * waited for until ACTIVE) and the login check, both within ready-timeout-seconds. Returns the
 * summary rows.
 */
export async function reachWithCertificate(
  reach: CertificateReach,
  entries: string[],
  certificate: {
    connectionString: string | undefined
    path: string
    subject: string
    cleanup: boolean
  },
  ctx: StepContext
): Promise<Array<[string, string]>> {
  const rows: Array<[string, string]> = []
  const deadline = ctx.clock.now() + reach.readyTimeoutSeconds * 1000
  if (wantsAccessList(reach.accessList)) {
    const added = await addEntries(entries, reach.ttlHours, certificate.cleanup, ctx)
    ctx.io.setOutput('access-list-entries', JSON.stringify(added))
    await waitUntilActive(added, deadline, reach.readyTimeoutSeconds, ctx)
    rows.push([
      'Access list',
      added.length > 0 ? `added ${added.join(', ')}` : 'every entry was already listed'
    ])
  }
  if (reach.verifyLogin && certificate.connectionString) {
    const uris = new Map([
      [
        'the connection-string input',
        connectionStringFor(certificate.connectionString, certificate.path)
      ]
    ])
    const lines = await verifyLogins(
      uris,
      certificate.subject,
      deadline,
      reach.readyTimeoutSeconds,
      ctx
    )
    rows.push(['Login verified', lines.join('; ')])
  }
  return rows
}
