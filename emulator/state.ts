import { AccessList } from './accessList.js'
import { ClusterState } from './clusters.js'
import type {
  CertificateRecordSeed,
  ClusterOptions,
  DatabaseUser,
  IssuedCertRecord
} from './types.js'

/** Atlas caps database users per project (spec: createDatabaseUser). */
export const MAX_USERS_PER_GROUP = 100

/** One Atlas project ("group"). */
export class ProjectState {
  private readonly usersByKey = new Map<string, DatabaseUser>()
  private readonly certsByUser = new Map<string, IssuedCertRecord[]>()
  private readonly clustersByName = new Map<string, ClusterState>()
  customerCas: string | null = null
  restartCount = 0
  /** Every request to the project answers 403: the credential has no role on it. */
  forbidden = false
  /** `atlas.project.security.databaseAccess.users`: creates past it answer 403. */
  userLimit = MAX_USERS_PER_GROUP
  /** The project's IP access list: who may connect to its clusters' MongoDB endpoints. */
  readonly accessList = new AccessList()

  constructor(
    readonly groupId: string,
    /** The organisation that owns the project. */
    readonly orgId: string,
    readonly name: string
  ) {}

  /** Dedicated and Flex clusters, in creation order. */
  clusters(): ClusterState[] {
    return [...this.clustersByName.values()]
  }

  getCluster(name: string): ClusterState | undefined {
    return this.clustersByName.get(name)
  }

  /** A new cluster starts with every existing user applied. */
  addCluster(name: string, createDate: Date, options: ClusterOptions = {}): ClusterState {
    if (this.clustersByName.has(name)) throw new Error(`cluster ${name} already exists`)
    const cluster = new ClusterState(this.groupId, name, createDate, options)
    this.clustersByName.set(name, cluster)
    return cluster
  }

  /**
   * A user created or deleted through the API: each cluster it reaches sees the change only
   * after that cluster's apply delay.
   */
  scheduleUserChange(
    user: DatabaseUser,
    previous: DatabaseUser | undefined,
    nowMs: number,
    defaultDelayMs: number
  ): void {
    const key = userKey(user.databaseName, user.username)
    for (const cluster of this.clusters()) {
      if (!cluster.reaches(user)) continue
      const delay = cluster.applyDelayMs ?? defaultDelayMs
      cluster.scheduleUserChange(key, previous, nowMs, nowMs + delay)
    }
  }

  users(): DatabaseUser[] {
    return [...this.usersByKey.values()]
  }

  getUser(databaseName: string, username: string): DatabaseUser | undefined {
    return this.usersByKey.get(userKey(databaseName, username))
  }

  putUser(user: DatabaseUser): void {
    this.usersByKey.set(userKey(user.databaseName, user.username), user)
  }

  deleteUser(databaseName: string, username: string): boolean {
    const deleted = this.usersByKey.delete(userKey(databaseName, username))
    // Certs belong to the $external user; a deleted user takes them along.
    if (deleted && databaseName === '$external') this.certsByUser.delete(username)
    return deleted
  }

  /** All cert records of a $external user, expired ones included, in issue order. */
  certificates(username: string): IssuedCertRecord[] {
    return this.certsByUser.get(username) ?? []
  }

  addCertificate(username: string, record: IssuedCertRecord): void {
    const list = this.certsByUser.get(username) ?? []
    list.push(record)
    this.certsByUser.set(username, list)
  }
}

/** The projects an emulator holds, by group id. */
export class ProjectRegistry {
  private readonly byId = new Map<string, ProjectState>()
  private readonly orgIds = new Set<string>()

  add(groupId: string, orgId: string, name: string): ProjectState {
    if (this.byId.has(groupId)) throw new Error(`project ${groupId} already exists`)
    const project = new ProjectState(groupId, orgId, name)
    this.byId.set(groupId, project)
    this.orgIds.add(orgId)
    return project
  }

  addOrganisation(orgId: string): void {
    this.orgIds.add(orgId)
  }

  hasOrganisation(orgId: string): boolean {
    return this.orgIds.has(orgId)
  }

  /** The organisation's projects, in creation order. */
  inOrganisation(orgId: string): ProjectState[] {
    return [...this.byId.values()].filter(project => project.orgId === orgId)
  }

  find(groupId: string): ProjectState | undefined {
    return this.byId.get(groupId)
  }

  /** For the test facade: a project the emulator does not hold is a bug in the test. */
  get(groupId: string): ProjectState {
    const project = this.byId.get(groupId)
    if (!project) throw new Error(`the emulator has no project ${groupId}`)
    return project
  }
}

export function userKey(databaseName: string, username: string): string {
  return `${databaseName}\u0000${username}`
}

/** Hands out int64 cert ids above 2^53, as decimal strings (a JS number would round them). */
export class CertIdSequence {
  private next = 2039020905786260978n

  take(): string {
    const id = this.next
    this.next += 1n
    return id.toString()
  }
}

export function normalizeUser(
  groupId: string,
  user: Partial<DatabaseUser> & { username: string }
): DatabaseUser {
  return {
    databaseName: user.databaseName ?? '$external',
    groupId,
    username: user.username,
    x509Type: user.x509Type ?? 'MANAGED',
    awsIAMType: user.awsIAMType ?? 'NONE',
    ldapAuthType: user.ldapAuthType ?? 'NONE',
    oidcAuthType: user.oidcAuthType ?? 'NONE',
    roles: user.roles ?? [{ roleName: 'readWrite', databaseName: 'app' }],
    scopes: user.scopes ?? [],
    labels: user.labels ?? [],
    ...(user.description !== undefined ? { description: user.description } : {}),
    ...(user.deleteAfterDate !== undefined ? { deleteAfterDate: user.deleteAfterDate } : {})
  }
}

export function seedRecord(
  seed: CertificateRecordSeed,
  username: string,
  ids: CertIdSequence
): IssuedCertRecord {
  return {
    id: seed.id ?? ids.take(),
    subject: seed.subject ?? `CN=${username}`,
    createdAt: seed.createdAt,
    notAfter: seed.notAfter,
    serialNumber: ''
  }
}
