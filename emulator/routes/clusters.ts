import type { ClusterState } from '../clusters.js'
import { ApiFailure, atlasDate } from '../json.js'
import { groupApiUrl, type Reply, type RouteContext } from './context.js'
import { paginate } from './pagination.js'

/** The only cluster version the emulator models; older ones share the legacy schemas. */
export const CLUSTER_VERSION = '2024-08-05'
export const CLUSTER_VERSIONS = ['2023-01-01', '2023-02-01', CLUSTER_VERSION]
export const FLEX_VERSION = '2024-11-13'
const MONGODB_VERSION = '8.0.4'

/**
 * Atlas gives `standardSrv` and `standard`. A cluster with a local MongoDB endpoint gets only
 * `standard`, pointing at it: the emulator serves no DNS, so an SRV name could not resolve.
 */
function connectionStrings(cluster: ClusterState): Record<string, string> {
  if (cluster.mongod) return { standard: cluster.mongod.uri }
  const host = `${cluster.name.toLowerCase()}.emulator.mongodb.net`
  return {
    standard: `mongodb://${host}:27017/?tls=true`,
    standardSrv: `mongodb+srv://${host}`
  }
}

/** ClusterDescription20240805: the fields a client reads, one AWS M10 replica set. */
function clusterView(ctx: RouteContext, cluster: ClusterState): Record<string, unknown> {
  return {
    backupEnabled: false,
    clusterType: 'REPLICASET',
    connectionStrings: connectionStrings(cluster),
    createDate: atlasDate(cluster.createDate),
    groupId: cluster.groupId,
    id: cluster.id,
    links: [{ href: groupApiUrl(ctx, `/clusters/${cluster.name}`), rel: 'self' }],
    mongoDBMajorVersion: MONGODB_VERSION.split('.').slice(0, 2).join('.'),
    mongoDBVersion: MONGODB_VERSION,
    name: cluster.name,
    paused: false,
    pitEnabled: false,
    replicationSpecs: [
      {
        id: cluster.id,
        regionConfigs: [
          {
            electableSpecs: { instanceSize: 'M10', nodeCount: 3 },
            priority: 7,
            providerName: 'AWS',
            regionName: 'US_EAST_1'
          }
        ],
        zoneName: 'Zone 1'
      }
    ],
    stateName: 'IDLE',
    terminationProtectionEnabled: false,
    versionReleaseSystem: 'LTS'
  }
}

/** FlexClusterDescription20241113 (providerSettings is its only required field). */
function flexView(ctx: RouteContext, cluster: ClusterState): Record<string, unknown> {
  return {
    backupSettings: { enabled: true },
    clusterType: 'REPLICASET',
    connectionStrings: connectionStrings(cluster),
    createDate: atlasDate(cluster.createDate),
    groupId: cluster.groupId,
    id: cluster.id,
    links: [{ href: groupApiUrl(ctx, `/flexClusters/${cluster.name}`), rel: 'self' }],
    mongoDBVersion: MONGODB_VERSION,
    name: cluster.name,
    providerSettings: {
      backingProviderName: 'AWS',
      diskSizeGB: 5,
      providerName: 'FLEX',
      regionName: 'US_EAST_1'
    },
    stateName: 'IDLE',
    tags: [],
    terminationProtectionEnabled: false,
    versionReleaseSystem: 'LTS'
  }
}

/** GET …/clusters: dedicated clusters only (Flex clusters have their own list). */
export function listClusters(ctx: RouteContext): Reply {
  if (ctx.version !== CLUSTER_VERSION) {
    if (ctx.project.clusters().some(c => c.flex)) {
      throw new ApiFailure(
        400,
        'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API',
        'Flex clusters cannot be used in the Cluster API; use API version 2024-08-05 or the ' +
          'Flex Cluster API.'
      )
    }
    // The legacy schemas of 2023-01-01 and 2023-02-01 are not modelled.
    throw new ApiFailure(
      406,
      'INVALID_VERSION_DATE',
      `The emulator serves this resource in version ${CLUSTER_VERSION} only: send Accept: ` +
        `application/vnd.atlas.${CLUSTER_VERSION}+json.`,
      [ctx.version ?? '']
    )
  }
  const page = paginate(
    ctx,
    ctx.project.clusters().filter(c => !c.flex)
  )
  return { status: 200, json: { ...page, results: page.results.map(c => clusterView(ctx, c)) } }
}

/** GET …/flexClusters. */
export function listFlexClusters(ctx: RouteContext): Reply {
  const page = paginate(
    ctx,
    ctx.project.clusters().filter(c => c.flex)
  )
  return { status: 200, json: { ...page, results: page.results.map(c => flexView(ctx, c)) } }
}

/** GET …/clusters/{clusterName}/status: answers for dedicated and Flex clusters. */
export function getClusterStatus(ctx: RouteContext): Reply {
  const name = ctx.params.clusterName ?? ''
  const cluster = ctx.project.getCluster(name)
  if (!cluster) {
    throw new ApiFailure(
      404,
      'CLUSTER_NOT_FOUND',
      `No cluster named ${name} exists in group ${ctx.project.groupId}.`,
      [name, ctx.project.groupId]
    )
  }
  return {
    status: 200,
    json: {
      changeStatus: cluster.changeStatus(ctx.now.getTime()),
      links: [{ href: groupApiUrl(ctx, `/clusters/${name}/status`), rel: 'self' }]
    }
  }
}

function clusterNotFound(ctx: RouteContext, name: string): ApiFailure {
  return new ApiFailure(
    404,
    'CLUSTER_NOT_FOUND',
    `No cluster named ${name} exists in group ${ctx.project.groupId}.`,
    [name, ctx.project.groupId]
  )
}

/**
 * GET …/clusters/{clusterName} (2024-08-05): a dedicated cluster. A Flex cluster is not found here
 * (the route declares no 400); it is read from …/flexClusters/{name}.
 */
export function getCluster(ctx: RouteContext): Reply {
  const name = ctx.params.clusterName ?? ''
  const cluster = ctx.project.getCluster(name)
  if (!cluster || cluster.flex) throw clusterNotFound(ctx, name)
  if (ctx.version !== CLUSTER_VERSION)
    throw new ApiFailure(
      406,
      'INVALID_VERSION_DATE',
      `The emulator serves this resource in version ${CLUSTER_VERSION} only.`,
      [ctx.version ?? '']
    )
  return { status: 200, json: clusterView(ctx, cluster) }
}

/** GET …/flexClusters/{name} (2024-11-13). */
export function getFlexCluster(ctx: RouteContext): Reply {
  const name = ctx.params.name ?? ''
  const cluster = ctx.project.getCluster(name)
  if (!cluster || !cluster.flex) throw clusterNotFound(ctx, name)
  return { status: 200, json: flexView(ctx, cluster) }
}
