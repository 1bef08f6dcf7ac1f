import { AtlasApiError } from './errors.js'
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
  labels?: Array<{ key?: string; value?: string }>
}

export interface DatabaseRole {
  roleName: string
  databaseName: string
  collectionName?: string
}

/** A new Atlas-managed X.509 user in `$external`. */
export interface NewX509User {
  username: string
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
  getUserSecurity(groupId: string): Promise<UserSecurity>
  /** Restarts every cluster of the project: never repeated after an unclear failure. */
  setCustomerCas(groupId: string, pem: string): Promise<void>
  /** Restarts every cluster of the project: never repeated after an unclear failure. */
  disableCustomerX509(groupId: string): Promise<void>
  /** Names of the project's dedicated clusters, every page (Flex clusters are listed apart). */
  listClusterNames(groupId: string): Promise<string[]>
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
   * Lets requests run until `deadlineMs` (clock time) even past `timeout-seconds`: for a wait with
   * a budget of its own. Never shortens the budget.
   */
  allowRequestsUntil(deadlineMs: number): void
  /** HTTP round trips so far. */
  readonly requestCount: number
}

/** Percent-encodes every interpolated value: `atlasPath\`/groups/${id}/databaseUsers/${name}\``. */
export function atlasPath(strings: TemplateStringsArray, ...values: string[]): string {
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

interface Page<T> {
  results?: T[]
  totalCount?: number
  links?: Array<{ rel?: string; href?: string }>
}

const names = (items: Array<{ name?: string }>) =>
  items.map(item => item.name).filter((name): name is string => typeof name === 'string')

const isCode = (error: unknown, status: number, code: string) =>
  error instanceof AtlasApiError && error.status === status && error.errorCode === code

export class HttpAtlasApi implements AtlasApi {
  constructor(private readonly client: AtlasClient) {}

  get requestCount(): number {
    return this.client.requestCount
  }

  async issueCertificate(groupId: string, username: string, months: number): Promise<string> {
    const response = await this.client.call(
      'POST',
      atlasPath`/groups/${groupId}/databaseUsers/${username}/certs`,
      { body: { monthsUntilExpiration: months } }
    )
    return response.text
  }

  listCertificates(groupId: string, username: string): Promise<CertificateRecord[]> {
    return this.listAll(
      atlasPath`/groups/${groupId}/databaseUsers/${username}/certs`,
      {},
      parseWithExactIds
    )
  }

  async createUser(groupId: string, user: NewX509User): Promise<'created' | 'exists'> {
    const body = {
      databaseName: EXTERNAL_DATABASE,
      groupId,
      username: user.username,
      x509Type: 'MANAGED',
      roles: user.roles,
      ...(user.clusters.length > 0
        ? { scopes: user.clusters.map(name => ({ name, type: 'CLUSTER' })) }
        : {}),
      description: user.description,
      labels: user.labels
    }
    try {
      await this.client.call('POST', atlasPath`/groups/${groupId}/databaseUsers`, { body })
      return 'created'
    } catch (error) {
      if (isCode(error, 409, 'USER_ALREADY_EXISTS')) return 'exists'
      throw error
    }
  }

  async getUser(groupId: string, username: string): Promise<DatabaseUser | undefined> {
    try {
      return await this.client.json<DatabaseUser>(
        'GET',
        atlasPath`/groups/${groupId}/databaseUsers/${EXTERNAL_DATABASE}/${username}`
      )
    } catch (error) {
      if (isCode(error, 404, 'USERNAME_NOT_FOUND')) return undefined
      throw error
    }
  }

  async deleteUser(groupId: string, username: string): Promise<boolean> {
    try {
      await this.client.call(
        'DELETE',
        atlasPath`/groups/${groupId}/databaseUsers/${EXTERNAL_DATABASE}/${username}`
      )
      return true
    } catch (error) {
      if (
        error instanceof AtlasApiError &&
        error.status === 404 &&
        error.errorCode !== 'GROUP_NOT_FOUND'
      )
        return false
      throw error
    }
  }

  listUsers(groupId: string): Promise<DatabaseUser[]> {
    return this.listAll(atlasPath`/groups/${groupId}/databaseUsers`)
  }

  getUserSecurity(groupId: string): Promise<UserSecurity> {
    return this.client.json<UserSecurity>('GET', atlasPath`/groups/${groupId}/userSecurity`)
  }

  async setCustomerCas(groupId: string, pem: string): Promise<void> {
    await this.client.call('PATCH', atlasPath`/groups/${groupId}/userSecurity`, {
      body: { customerX509: { cas: pem } },
      retry: 'no-repeat'
    })
  }

  async disableCustomerX509(groupId: string): Promise<void> {
    await this.client.call('DELETE', atlasPath`/groups/${groupId}/userSecurity/customerX509`, {
      retry: 'no-repeat'
    })
  }

  async listClusterNames(groupId: string): Promise<string[]> {
    const clusters = await this.listAll<{ name?: string }>(atlasPath`/groups/${groupId}/clusters`, {
      version: CLUSTERS_VERSION
    })
    return names(clusters)
  }

  async listFlexClusterNames(groupId: string): Promise<string[]> {
    if (isAtlasForGovernment(this.client.baseUrl)) return []
    const clusters = await this.listAll<{ name?: string }>(
      atlasPath`/groups/${groupId}/flexClusters`,
      { version: FLEX_CLUSTERS_VERSION }
    )
    return names(clusters)
  }

  async getClusterChangeStatus(
    groupId: string,
    clusterName: string
  ): Promise<ClusterChangeStatus | undefined> {
    try {
      const status = await this.client.json<{ changeStatus?: unknown }>(
        'GET',
        atlasPath`/groups/${groupId}/clusters/${clusterName}/status`
      )
      return status.changeStatus === 'APPLIED' ? 'APPLIED' : 'PENDING'
    } catch (error) {
      if (isCode(error, 404, 'CLUSTER_NOT_FOUND')) return undefined
      throw error
    }
  }

  allowRequestsUntil(deadlineMs: number): void {
    this.client.extendBudgetTo(deadlineMs)
  }

  /**
   * Every item of a paginated list. Follows the `next` link or `totalCount`; a page shorter than
   * asked for is not taken as the end (Atlas's `totalCount` is an estimate and pages may be short).
   */
  private async listAll<T>(
    path: string,
    options: CallOptions = {},
    parse: (text: string) => unknown = JSON.parse
  ): Promise<T[]> {
    const items: T[] = []
    for (let pageNum = 1; pageNum <= MAX_PAGES; pageNum++) {
      const page = await this.client.json<Page<T>>(
        'GET',
        path,
        { ...options, query: { itemsPerPage: PAGE_SIZE, pageNum, includeCount: true } },
        parse
      )
      const results = Array.isArray(page.results) ? page.results : []
      items.push(...results)
      const hasNext = page.links?.some(link => link.rel === 'next') ?? false
      const countSaysMore = typeof page.totalCount === 'number' && items.length < page.totalCount
      if (results.length === 0 || (!hasNext && !countSaysMore)) break
    }
    return items
  }
}
