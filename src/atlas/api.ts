import { AtlasApiError, AtlasProtocolError } from './errors.js'
import type { AtlasClient, CallOptions } from './client.js'

/**
 * The Atlas Admin API as this action uses it: the only module that knows Atlas's paths, API
 * versions and the error codes that change what happens next.
 */

export const EXTERNAL_DATABASE = '$external'

/** A database user as Atlas lists it (only what this action reads). */
export interface DatabaseUser {
  username: string
  databaseName: string
  x509Type?: string
  labels?: Array<{ key: string; value: string }>
}

export interface DatabaseRole {
  roleName: string
  databaseName: string
  collectionName?: string
}

/** A new X.509 user in `$external`: Atlas-managed unless `x509Type` says CUSTOMER (own CA). */
export interface NewX509User {
  username: string
  x509Type?: 'MANAGED' | 'CUSTOMER'
  roles: DatabaseRole[]
  /** Cluster names; none means every cluster of the project. */
  clusters: string[]
  description: string
  labels: Array<{ key: string; value: string }>
}

/** One certificate record (`UserCert`), `_id` kept exact as a string. */
export interface CertificateRecord {
  _id?: string
  subject?: string
  createdAt?: string
  notAfter?: string
}

/** `ClusterStatus.changeStatus`: whether the last user changes reached the cluster. */
export type ClusterChangeStatus = 'PENDING' | 'APPLIED'

/** A project of an organisation, as Atlas lists it (only what this action reads). */
export interface Project {
  /** 24 hex digits. */
  id: string
  name: string
}

/** A project limit (`DataFederationLimit` in the spec): its value and, when Atlas says, the usage. */
export interface ProjectLimit {
  value: number
  currentUsage?: number
}

/** The limit on database users per project (100 unless raised). */
export const DATABASE_USERS_LIMIT = 'atlas.project.security.databaseAccess.users'
/** A cluster as the lists show it: its name and the public connection strings Atlas gives. */
export interface ClusterEndpoint {
  name: string
  /** `connectionStrings.standardSrv` (mongodb+srv://), when Atlas gives one. */
  standardSrv?: string
  /** `connectionStrings.standard` (mongodb://), when Atlas gives one. */
  standard?: string
}

/** One entry of the project's IP access list: an IP address or a CIDR block. */
export interface AccessListEntry {
  /** The address or block as Atlas lists it. */
  value: string
  comment?: string
}

/** `NetworkPermissionEntryStatus.STATUS`: whether an entry applies on every cloud provider yet. */
export type AccessListStatus = 'PENDING' | 'ACTIVE' | 'FAILED'

/** `UserSecurity` (only what this action reads). */
export interface UserSecurity {
  customerX509?: { cas?: string | null } | null
}

export interface AtlasApi {
  /** The PEM body (certificate and private key) exactly as Atlas sent it. */
  issueCertificate(groupId: string, username: string, months: number): Promise<string>
  /** Every unexpired certificate of a user, every page. */
  listCertificates(groupId: string, username: string): Promise<CertificateRecord[]>
  /** 'exists' when Atlas answers 409 USER_ALREADY_EXISTS. */
  createUser(groupId: string, user: NewX509User): Promise<'created' | 'exists'>
  /** The `$external` user, or undefined when Atlas says USERNAME_NOT_FOUND. */
  getUser(groupId: string, username: string): Promise<DatabaseUser | undefined>
  /** Deletes the `$external` user: true when deleted, false when it was already gone. */
  deleteUser(groupId: string, username: string): Promise<boolean>
  listUsers(groupId: string): Promise<DatabaseUser[]>
  /** Every project of the organisation, every page. */
  listOrganisationProjects(orgId: string): Promise<Project[]>
  /** One limit of the project (DATABASE_USERS_LIMIT). */
  getProjectLimit(groupId: string, limitName: string): Promise<ProjectLimit>
  getUserSecurity(groupId: string): Promise<UserSecurity>
  /** Restarts every cluster of the project: never repeated after an unclear failure. */
  setCustomerCas(groupId: string, pem: string): Promise<void>
  /** Restarts every cluster of the project: never repeated after an unclear failure. */
  disableCustomerX509(groupId: string): Promise<void>
  /** Names of the project's dedicated clusters, every page (Flex clusters are listed apart). */
  listClusterNames(groupId: string): Promise<string[]>
  /** The project's dedicated clusters with their connection strings, every page. */
  listClusters(groupId: string): Promise<ClusterEndpoint[]>
  /** The project's Flex clusters with their connection strings; none on Atlas for Government. */
  listFlexClusters(groupId: string): Promise<ClusterEndpoint[]>
  /** One cluster, dedicated or Flex, with its connection strings; undefined when there is none. */
  getCluster(groupId: string, clusterName: string): Promise<ClusterEndpoint | undefined>
  /** The access-list entry (IP address or CIDR block), or undefined when it is not listed. */
  getAccessListEntry(groupId: string, entry: string): Promise<AccessListEntry | undefined>
  /** Adds one temporary entry: Atlas deletes it after `deleteAfterDate` (at most a week ahead). */
  addAccessListEntry(
    groupId: string,
    entry: string,
    comment: string,
    deleteAfterDate: string
  ): Promise<void>
  /** Whether the entry applies on every cloud provider serving the project's clusters yet. */
  getAccessListStatus(groupId: string, entry: string): Promise<AccessListStatus>
  /** Deletes the entry: true when deleted, false when it was already gone. */
  deleteAccessListEntry(groupId: string, entry: string): Promise<boolean>
  /** Names of the project's Flex clusters, every page; none on Atlas for Government, which has none. */
  listFlexClusterNames(groupId: string): Promise<string[]>
  /**
   * Whether user changes have reached the cluster (dedicated or Flex); undefined when Atlas says
   * CLUSTER_NOT_FOUND. Anything but APPLIED counts as PENDING.
   */
  getClusterChangeStatus(
    groupId: string,
    clusterName: string
  ): Promise<ClusterChangeStatus | undefined>
  /**
   * Runs `work` with its requests bounded by `deadlineMs` (clock time) instead of
   * `timeout-seconds`, earlier or later: for a wait with a budget of its own, `seconds` long and
   * set by the input `input` (named in errors).
   */
  withinBudget<T>(
    deadlineMs: number,
    seconds: number,
    input: string,
    work: () => Promise<T>
  ): Promise<T>
  /** HTTP round trips so far. */
  readonly requestCount: number
  /** Atlas's `RateLimit-Remaining` on the latest answer that carried it, if any did. */
  readonly rateLimitRemaining: number | undefined
}

/**
 * Percent-encodes every interpolated value: `atlasPath\`/groups/${id}/databaseUsers/${name}\``.
 * `.` and `..` are refused: encoding leaves them as they are, and URL resolution would then climb
 * to another resource (a name from a server's list must not steer a DELETE elsewhere).
 */
export function atlasPath(strings: TemplateStringsArray, ...values: string[]): string {
  for (const value of values) {
    if (value === '.' || value === '..')
      throw new AtlasProtocolError(`"${value}" cannot be a path segment of an Atlas URL.`)
  }
  return strings.reduce(
    (path, part, i) => path + part + (i < values.length ? encodeURIComponent(values[i]!) : ''),
    ''
  )
}

/**
 * JSON.parse, with every numeric `_id` turned into a string first: Atlas's certificate ids are
 * int64 values above 2^53 that a JavaScript number would round.
 */
export function parseWithExactIds(text: string): unknown {
  return JSON.parse(text.replace(/("_id"\s*:\s*)(-?\d+)/g, '$1"$2"'))
}

/**
 * API versions of the cluster routes. The cluster list's older versions answer 400
 * CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API in a project holding a Flex cluster; Flex clusters have
 * one version only. The status route is served at 2023-01-01, the client's default.
 */
/** Where the Admin API v2 lives on the Atlas origin. */
const API_V2 = '/api/atlas/v2'
/** The version every resource used here is served in, unless named otherwise below. */
const BASE_VERSION = '2023-01-01'
export const CLUSTERS_VERSION = '2024-08-05'
export const FLEX_CLUSTERS_VERSION = '2024-11-13'

/** Atlas for Government (`cloud.mongodbgov.com`) has no Flex clusters and no route listing them. */
export function isAtlasForGovernment(baseUrl: string): boolean {
  const host = new URL(baseUrl).hostname.toLowerCase()
  return host === 'mongodbgov.com' || host.endsWith('.mongodbgov.com')
}

/** The largest page Atlas serves, so most lists take one request. */
export const PAGE_SIZE = 500
const MAX_PAGES = 1000
/** A list longer than this is refused, never cut short: no project this action serves has more. */
export const MAX_LIST_ITEMS = 10_000
/** Atlas limits database usernames to 1024 characters. */
const MAX_USERNAME_LENGTH = 1024

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** A user from an answer, type-checked: a record without a string name is not Atlas's. */
export function readDatabaseUser(value: unknown): DatabaseUser {
  if (
    !isRecord(value) ||
    typeof value.username !== 'string' ||
    typeof value.databaseName !== 'string' ||
    value.username.length === 0 ||
    value.username.length > MAX_USERNAME_LENGTH ||
    value.databaseName.length > MAX_USERNAME_LENGTH
  ) {
    throw new AtlasProtocolError(
      'Atlas answered with a database user that has no usable username or databaseName (each a string of at most 1024 characters).'
    )
  }
  // Labels that are not {key, value} strings are not this action's: they are dropped.
  const labels = Array.isArray(value.labels)
    ? value.labels.flatMap(label =>
        isRecord(label) && typeof label.key === 'string' && typeof label.value === 'string'
          ? [{ key: label.key, value: label.value }]
          : []
      )
    : []
  return {
    username: value.username,
    databaseName: value.databaseName,
    ...(typeof value.x509Type === 'string' ? { x509Type: value.x509Type } : {}),
    labels
  }
}

const optionalText = (value: unknown, max: number) =>
  typeof value === 'string' ? value.slice(0, max) : undefined

/** A certificate record, type-checked: `_id` must be an id (digits, as parseWithExactIds leaves it). */
export function readCertificateRecord(value: unknown): CertificateRecord {
  if (!isRecord(value) || typeof value._id !== 'string' || !/^-?\d{1,20}$/.test(value._id)) {
    throw new AtlasProtocolError(
      'Atlas answered with a certificate record whose _id is not a number.'
    )
  }
  return {
    _id: value._id,
    subject: optionalText(value.subject, 1024),
    createdAt: optionalText(value.createdAt, 64),
    notAfter: optionalText(value.notAfter, 64)
  }
}

/** A project from the organisation's list: its id becomes a path segment, so it must be one. */
export function readProject(value: unknown): Project {
  if (!isRecord(value) || typeof value.id !== 'string' || !/^[a-f0-9]{24}$/.test(value.id))
    throw new AtlasProtocolError(
      'Atlas listed a project of the organisation whose id is not 24 hex digits.'
    )
  return { id: value.id, name: optionalText(value.name, 64) ?? '' }
}

/** A limit's answer: `value` a whole number, `currentUsage` kept when it is one. */
function readProjectLimit(value: unknown, limitName: string): ProjectLimit {
  const whole = (n: unknown): n is number =>
    typeof n === 'number' && Number.isSafeInteger(n) && n >= 0
  if (!isRecord(value) || !whole(value.value))
    throw new AtlasProtocolError(
      `Atlas answered the project limit ${limitName} without a whole-number value.`
    )
  return {
    value: value.value,
    ...(whole(value.currentUsage) ? { currentUsage: value.currentUsage } : {})
  }
}

/** A cluster's name from a list entry: a cluster without one is not Atlas's answer. */
function readClusterName(value: unknown): string {
  if (!isRecord(value) || typeof value.name !== 'string' || value.name === '')
    throw new AtlasProtocolError('Atlas listed a cluster without a name.')
  return value.name
}

const optionalUri = (value: unknown) =>
  typeof value === 'string' && /^mongodb(\+srv)?:\/\//.test(value) && value.length <= 4096
    ? value
    : undefined

/** A cluster with its public connection strings (`standardSrv`, `standard`), where given. */
function readClusterEndpoint(value: unknown): ClusterEndpoint {
  const name = readClusterName(value)
  const strings =
    isRecord(value) && isRecord(value.connectionStrings) ? value.connectionStrings : {}
  const standardSrv = optionalUri(strings.standardSrv)
  const standard = optionalUri(strings.standard)
  return {
    name,
    ...(standardSrv ? { standardSrv } : {}),
    ...(standard ? { standard } : {})
  }
}

/** An IP address or CIDR block as Atlas's path wants it: the slash percent-encoded. */
const entryPath = (groupId: string, entry: string, suffix = '') =>
  atlasPath`/groups/${groupId}/accessList/${entry}` + suffix

const isCode = (error: unknown, status: number, code: string) =>
  error instanceof AtlasApiError && error.status === status && error.errorCode === code

/**
 * Atlas saying the address or block is not on the list; a 404 for a wrong path or project
 * (RESOURCE_NOT_FOUND, GROUP_NOT_FOUND) says nothing about the entry.
 */
const isEntryNotFound = (error: unknown) =>
  isCode(error, 404, 'ATLAS_NETWORK_PERMISSION_ENTRY_NOT_FOUND')

export class HttpAtlasApi implements AtlasApi {
  constructor(private readonly client: AtlasClient) {}

  /** A v2 call: the path under /api/atlas/v2, in BASE_VERSION unless the options name one. */
  private call(method: string, path: string, options: Partial<CallOptions> = {}) {
    return this.client.call(method, `${API_V2}${path}`, { version: BASE_VERSION, ...options })
  }

  private json<T>(
    method: string,
    path: string,
    options: Partial<CallOptions> = {},
    parse?: (text: string) => unknown
  ): Promise<T> {
    const full = { version: BASE_VERSION, ...options }
    return this.client.json<T>(method, `${API_V2}${path}`, full, parse)
  }

  get requestCount(): number {
    return this.client.requestCount
  }

  get rateLimitRemaining(): number | undefined {
    return this.client.rateLimitRemaining
  }

  async issueCertificate(groupId: string, username: string, months: number): Promise<string> {
    const response = await this.call(
      'POST',
      atlasPath`/groups/${groupId}/databaseUsers/${username}/certs`,
      { body: { monthsUntilExpiration: months } }
    )
    return response.text
  }

  listCertificates(groupId: string, username: string): Promise<CertificateRecord[]> {
    return this.listAll(
      atlasPath`/groups/${groupId}/databaseUsers/${username}/certs`,
      readCertificateRecord,
      record => record._id!,
      parseWithExactIds
    )
  }

  async createUser(groupId: string, user: NewX509User): Promise<'created' | 'exists'> {
    const body = {
      databaseName: EXTERNAL_DATABASE,
      groupId,
      username: user.username,
      x509Type: user.x509Type ?? 'MANAGED',
      roles: user.roles,
      ...(user.clusters.length > 0
        ? { scopes: user.clusters.map(name => ({ name, type: 'CLUSTER' })) }
        : {}),
      description: user.description,
      labels: user.labels
    }
    try {
      await this.call('POST', atlasPath`/groups/${groupId}/databaseUsers`, { body })
      return 'created'
    } catch (error) {
      if (isCode(error, 409, 'USER_ALREADY_EXISTS')) return 'exists'
      throw error
    }
  }

  async getUser(groupId: string, username: string): Promise<DatabaseUser | undefined> {
    try {
      return readDatabaseUser(
        await this.json<unknown>(
          'GET',
          atlasPath`/groups/${groupId}/databaseUsers/${EXTERNAL_DATABASE}/${username}`
        )
      )
    } catch (error) {
      if (isCode(error, 404, 'USERNAME_NOT_FOUND')) return undefined
      throw error
    }
  }

  async deleteUser(groupId: string, username: string): Promise<boolean> {
    try {
      await this.call(
        'DELETE',
        atlasPath`/groups/${groupId}/databaseUsers/${EXTERNAL_DATABASE}/${username}`
      )
      return true
    } catch (error) {
      // Only Atlas saying the user does not exist means it is gone: a 404 for a wrong path or
      // project (RESOURCE_NOT_FOUND, GROUP_NOT_FOUND) says nothing about the user.
      if (isCode(error, 404, 'USERNAME_NOT_FOUND')) return false
      throw error
    }
  }

  listUsers(groupId: string): Promise<DatabaseUser[]> {
    return this.listAll(
      atlasPath`/groups/${groupId}/databaseUsers`,
      readDatabaseUser,
      user => `${user.databaseName}/${user.username}`
    )
  }

  listOrganisationProjects(orgId: string): Promise<Project[]> {
    return this.listAll(atlasPath`/orgs/${orgId}/groups`, readProject, project => project.id)
  }

  async getProjectLimit(groupId: string, limitName: string): Promise<ProjectLimit> {
    return readProjectLimit(
      await this.json<unknown>('GET', atlasPath`/groups/${groupId}/limits/${limitName}`),
      limitName
    )
  }

  async getUserSecurity(groupId: string): Promise<UserSecurity> {
    const security = await this.json<unknown>('GET', atlasPath`/groups/${groupId}/userSecurity`)
    if (!isRecord(security))
      throw new AtlasProtocolError(
        'Atlas answered GET userSecurity with something that is not an object.'
      )
    return security
  }

  async setCustomerCas(groupId: string, pem: string): Promise<void> {
    await this.call('PATCH', atlasPath`/groups/${groupId}/userSecurity`, {
      body: { customerX509: { cas: pem } },
      retry: 'no-repeat'
    })
  }

  async disableCustomerX509(groupId: string): Promise<void> {
    await this.call('DELETE', atlasPath`/groups/${groupId}/userSecurity/customerX509`, {
      retry: 'no-repeat'
    })
  }

  async listClusterNames(groupId: string): Promise<string[]> {
    return (await this.listClusters(groupId)).map(cluster => cluster.name)
  }

  async listFlexClusterNames(groupId: string): Promise<string[]> {
    return (await this.listFlexClusters(groupId)).map(cluster => cluster.name)
  }

  listClusters(groupId: string): Promise<ClusterEndpoint[]> {
    return this.listAll(
      atlasPath`/groups/${groupId}/clusters`,
      readClusterEndpoint,
      cluster => cluster.name,
      JSON.parse,
      { version: CLUSTERS_VERSION }
    )
  }

  async listFlexClusters(groupId: string): Promise<ClusterEndpoint[]> {
    if (isAtlasForGovernment(this.client.baseUrl)) return []
    return this.listAll(
      atlasPath`/groups/${groupId}/flexClusters`,
      readClusterEndpoint,
      cluster => cluster.name,
      JSON.parse,
      { version: FLEX_CLUSTERS_VERSION }
    )
  }

  async getCluster(groupId: string, clusterName: string): Promise<ClusterEndpoint | undefined> {
    try {
      return readClusterEndpoint(
        await this.json<unknown>('GET', atlasPath`/groups/${groupId}/clusters/${clusterName}`, {
          version: CLUSTERS_VERSION
        })
      )
    } catch (error) {
      // A Flex cluster is not served by the cluster API: read it from its own.
      const notDedicated =
        isCode(error, 404, 'CLUSTER_NOT_FOUND') ||
        isCode(error, 400, 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API')
      if (!notDedicated || isAtlasForGovernment(this.client.baseUrl)) {
        if (notDedicated) return undefined
        throw error
      }
    }
    try {
      return readClusterEndpoint(
        await this.json<unknown>('GET', atlasPath`/groups/${groupId}/flexClusters/${clusterName}`, {
          version: FLEX_CLUSTERS_VERSION
        })
      )
    } catch (error) {
      if (isCode(error, 404, 'CLUSTER_NOT_FOUND')) return undefined
      throw error
    }
  }

  async getAccessListEntry(groupId: string, entry: string): Promise<AccessListEntry | undefined> {
    let answer: unknown
    try {
      answer = await this.json<unknown>('GET', entryPath(groupId, entry))
    } catch (error) {
      if (isEntryNotFound(error)) return undefined
      throw error
    }
    if (!isRecord(answer))
      throw new AtlasProtocolError(
        'Atlas answered GET …/accessList/{entry} with something that is not an access-list entry.'
      )
    const value =
      typeof answer.cidrBlock === 'string'
        ? answer.cidrBlock
        : typeof answer.ipAddress === 'string'
          ? answer.ipAddress
          : entry
    return { value, ...(typeof answer.comment === 'string' ? { comment: answer.comment } : {}) }
  }

  async addAccessListEntry(
    groupId: string,
    entry: string,
    comment: string,
    deleteAfterDate: string
  ): Promise<void> {
    const address = entry.includes('/') ? { cidrBlock: entry } : { ipAddress: entry }
    // Atlas takes the entries as an array; it refuses concurrent POSTs to one list, so one at a time.
    await this.call('POST', atlasPath`/groups/${groupId}/accessList`, {
      body: [{ ...address, comment, deleteAfterDate }]
    })
  }

  async getAccessListStatus(groupId: string, entry: string): Promise<AccessListStatus> {
    const answer = await this.json<unknown>('GET', entryPath(groupId, entry, '/status'))
    const status = isRecord(answer) ? answer.STATUS : undefined
    if (status === 'ACTIVE' || status === 'FAILED' || status === 'PENDING') return status
    throw new AtlasProtocolError(
      'Atlas answered GET …/accessList/{entry}/status without a STATUS of PENDING, ACTIVE or FAILED.'
    )
  }

  async deleteAccessListEntry(groupId: string, entry: string): Promise<boolean> {
    try {
      await this.call('DELETE', entryPath(groupId, entry))
      return true
    } catch (error) {
      if (isEntryNotFound(error)) return false
      throw error
    }
  }

  async getClusterChangeStatus(
    groupId: string,
    clusterName: string
  ): Promise<ClusterChangeStatus | undefined> {
    try {
      const status = await this.json<unknown>(
        'GET',
        atlasPath`/groups/${groupId}/clusters/${clusterName}/status`
      )
      if (!isRecord(status))
        throw new AtlasProtocolError(
          `Atlas answered GET …/clusters/${clusterName.slice(0, 100)}/status with something that is not a ClusterStatus object. Check base-url and any proxy in between, then run the step again.`
        )
      return status.changeStatus === 'APPLIED' ? 'APPLIED' : 'PENDING'
    } catch (error) {
      if (isCode(error, 404, 'CLUSTER_NOT_FOUND')) return undefined
      throw error
    }
  }

  withinBudget<T>(
    deadlineMs: number,
    seconds: number,
    input: string,
    work: () => Promise<T>
  ): Promise<T> {
    return this.client.withinBudget(deadlineMs, seconds, input, work)
  }

  /**
   * Every item of a paginated list, each type-checked by `read` and kept once by `key`. Follows
   * the `next` link or `totalCount`; a page shorter than asked for is not taken as the end
   * (Atlas's `totalCount` is an estimate and pages may be short). An empty page, or one that
   * brings no item not seen before (a server that ignores pageNum repeats its first page), ends
   * the list; more than MAX_LIST_ITEMS items or MAX_PAGES pages is an error, never a cut.
   */
  private async listAll<T>(
    path: string,
    read: (item: unknown) => T,
    key: (item: T) => string,
    parse: (text: string) => unknown = JSON.parse,
    options: Partial<CallOptions> = {}
  ): Promise<T[]> {
    const items = new Map<string, T>()
    const tooLong = (what: string) =>
      new AtlasProtocolError(
        `GET ${path} lists ${what}; refused (a list of more than ${MAX_LIST_ITEMS} items or ${MAX_PAGES} pages is not read).`
      )
    for (let pageNum = 1; ; pageNum++) {
      if (pageNum > MAX_PAGES) throw tooLong(`more than ${MAX_PAGES} pages`)
      const page = await this.json<unknown>(
        'GET',
        path,
        { ...options, query: { itemsPerPage: PAGE_SIZE, pageNum, includeCount: true } },
        parse
      )
      if (!isRecord(page) || !Array.isArray(page.results))
        throw new AtlasProtocolError(`GET ${path} answered a page without a results array.`)
      const results: unknown[] = page.results
      if (results.length === 0) break
      if (results.length > MAX_LIST_ITEMS) throw tooLong(`${results.length} items on one page`)
      const before = items.size
      for (const raw of results) {
        const item = read(raw)
        const id = key(item)
        if (!items.has(id)) items.set(id, item)
      }
      if (items.size > MAX_LIST_ITEMS) throw tooLong(`more than ${MAX_LIST_ITEMS} items`)
      if (items.size === before) break
      const links = Array.isArray(page.links) ? page.links : []
      const hasNext = links.some(link => isRecord(link) && link.rel === 'next')
      const countSaysMore = typeof page.totalCount === 'number' && items.size < page.totalCount
      if (!hasNext && !countSaysMore) break
    }
    return [...items.values()]
  }
}

/** The error for a user name that is taken by a user this step did not create. */
export function userTakenError(detail: string): AtlasApiError {
  return new AtlasApiError(409, 'USER_ALREADY_EXISTS', detail)
}
