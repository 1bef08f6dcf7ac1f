import { createCertificate, listCertificates } from './certs.js'
import {
  CLUSTER_VERSIONS,
  FLEX_VERSION,
  getCluster,
  getClusterStatus,
  getFlexCluster,
  listClusters,
  listFlexClusters
} from './clusters.js'
import {
  addAccessListEntries,
  deleteAccessListEntry,
  getAccessListEntry,
  getAccessListStatus,
  listAccessList
} from './accessList.js'
import type { Handler } from './context.js'
import { createUser, deleteUser, getUser, listUsers, updateUser } from './databaseUsers.js'
import { getProjectLimit } from './projects.js'
import { disableCustomerX509, getUserSecurity, updateUserSecurity } from './userSecurity.js'

export interface Route {
  /** Segments after /groups/{groupId}; ':name' captures a percent-decoded segment. */
  pattern: string[]
  methods: Record<string, Handler>
  /** API versions served, ascending; default 2023-01-01 only. */
  versions?: string[]
}

/** v2 routes, most specific first (a user named "certs" loses to the certs route, as on Atlas). */
export const v2Routes: Route[] = [
  { pattern: ['databaseUsers'], methods: { GET: listUsers, POST: createUser } },
  {
    pattern: ['databaseUsers', ':username', 'certs'],
    methods: { GET: listCertificates, POST: createCertificate }
  },
  {
    pattern: ['databaseUsers', ':databaseName', ':username'],
    methods: { GET: getUser, PATCH: updateUser, DELETE: deleteUser }
  },
  { pattern: ['userSecurity'], methods: { GET: getUserSecurity, PATCH: updateUserSecurity } },
  { pattern: ['userSecurity', 'customerX509'], methods: { DELETE: disableCustomerX509 } },
  { pattern: ['clusters'], methods: { GET: listClusters }, versions: CLUSTER_VERSIONS },
  {
    pattern: ['clusters', ':clusterName'],
    methods: { GET: getCluster },
    versions: CLUSTER_VERSIONS
  },
  { pattern: ['clusters', ':clusterName', 'status'], methods: { GET: getClusterStatus } },
  { pattern: ['flexClusters'], methods: { GET: listFlexClusters }, versions: [FLEX_VERSION] },
  { pattern: ['limits', ':limitName'], methods: { GET: getProjectLimit } },
  {
    pattern: ['flexClusters', ':name'],
    methods: { GET: getFlexCluster },
    versions: [FLEX_VERSION]
  },
  { pattern: ['accessList'], methods: { GET: listAccessList, POST: addAccessListEntries } },
  {
    pattern: ['accessList', ':entryValue'],
    methods: { GET: getAccessListEntry, DELETE: deleteAccessListEntry }
  },
  { pattern: ['accessList', ':entryValue', 'status'], methods: { GET: getAccessListStatus } }
]

/** Legacy v1.0: only the certs route, so the seed document's curl command runs verbatim. */
export const v1Routes: Route[] = [
  {
    pattern: ['databaseUsers', ':username', 'certs'],
    methods: { GET: listCertificates, POST: createCertificate }
  }
]

export function matchRoute(
  routes: Route[],
  segments: string[]
): { route: Route; params: Record<string, string> } | null {
  for (const route of routes) {
    if (route.pattern.length !== segments.length) continue
    const params: Record<string, string> = {}
    const matches = route.pattern.every((part, i) => {
      const segment = segments[i] ?? ''
      if (part.startsWith(':')) {
        params[part.slice(1)] = segment
        return segment !== ''
      }
      return part === segment
    })
    if (matches) return { route, params }
  }
  return null
}
