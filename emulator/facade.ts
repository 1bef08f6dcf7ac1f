import { parseEntryValue } from './accessList.js'
import { Authenticator } from './auth.js'
import { randomBytes, X509Certificate } from 'node:crypto'
import { createTlsMaterial, pemBlocks, type TlsMaterial } from './ca.js'
import type { ClusterState } from './clusters.js'
import { DigestVerifier } from './digest.js'
import { FaultBook } from './faults.js'
import { HttpFront } from './http.js'
import { x509Login } from './mongod/login.js'
import { MongodListener } from './mongod/server.js'
import { MAX_ACTIVE_TOKENS, TokenStore } from './oauth.js'
import { AtlasRouter } from './router.js'
import type { ServerResources } from './routes/context.js'
import { handleControl } from './routes/control.js'
import {
  EMULATOR_CREDENTIALS,
  OTHER_GROUP_ID,
  SEEDED_GROUP_ID,
  SEEDED_ORG_ID,
  createManagedCa,
  seedProjects
} from './seed.js'
import {
  CertIdSequence,
  ProjectRegistry,
  normalizeUser,
  seedRecord,
  type ProjectState
} from './state.js'
import type {
  AccessListEntrySummary,
  CertificateRecordSeed,
  ChangeStatus,
  ClusterOptions,
  ClusterSummary,
  ConnectionStats,
  DatabaseUser,
  Emulator,
  EmulatorOptions,
  FaultSpec,
  IssuedCertRecord,
  MongodCommandRecord,
  MongodEndpoint,
  RecordedRequest
} from './types.js'

type Resources = ServerResources & { served: Set<string> }

/** The Emulator the tests hold: state accessors over the projects, plus the HTTP front. */
class AtlasEmulator implements Emulator {
  readonly groupId = SEEDED_GROUP_ID
  readonly otherGroupId = OTHER_GROUP_ID
  readonly orgId = SEEDED_ORG_ID
  readonly credentials = { ...EMULATOR_CREDENTIALS }
  readonly managedCaPem: string
  tlsCaPem?: string

  private readonly projects = new ProjectRegistry()
  private readonly faults = new FaultBook()
  private readonly front: HttpFront
  private readonly tokens: TokenStore
  private readonly mongods = new Map<ClusterState, Promise<MongodListener>>()
  private readonly startedMongods = new Map<ClusterState, MongodListener>()
  private mongodTls?: Promise<TlsMaterial>

  constructor(
    private readonly now: () => Date,
    private readonly resources: Resources,
    options: EmulatorOptions
  ) {
    this.managedCaPem = resources.managedCa.pem
    const tokens = new TokenStore(
      now,
      token => resources.recordSecret(token),
      options.maxActiveTokens ?? MAX_ACTIVE_TOKENS
    )
    this.tokens = tokens
    const algorithm = options.digestAlgorithm ?? 'MD5'
    const digest = new DigestVerifier(
      algorithm,
      { username: this.credentials.publicKey, password: this.credentials.privateKey },
      options.nonceTtlMs ?? 300_000,
      now,
      options.digestNonceReuse ?? 'allow'
    )
    this.front = new HttpFront({
      auth: new Authenticator(digest, tokens, algorithm),
      tokens,
      faults: this.faults,
      router: new AtlasRouter(this.projects, resources, now),
      oauthClient: {
        clientId: this.credentials.clientId,
        clientSecret: this.credentials.clientSecret
      },
      control: ex => handleControl(ex, this)
    })
    this.projects.add(SEEDED_GROUP_ID, SEEDED_ORG_ID, 'Project0')
    this.projects.add(OTHER_GROUP_ID, SEEDED_ORG_ID, 'Project1')
  }

  get url(): string {
    return this.front.url
  }

  get requests(): RecordedRequest[] {
    return this.front.requests
  }

  async listen(port: number, tls: boolean, start: Date): Promise<void> {
    const material = tls ? await createTlsMaterial(start) : undefined
    this.tlsCaPem = material?.caPem
    await this.front.listen(port, material)
  }

  clearRequests(): void {
    this.front.requests.length = 0
  }

  onExchange(listener: (record: RecordedRequest) => void): () => void {
    return this.front.onExchange(listener)
  }

  connectionStats(): ConnectionStats {
    return { ...this.front.stats }
  }

  resetConnectionStats(): void {
    this.front.resetStats()
  }

  activeTokens(): number {
    return this.tokens.activeCount()
  }

  fault(spec: FaultSpec): void {
    this.faults.add(spec)
  }

  clearFaults(): void {
    this.faults.clear()
  }

  addOrganisation(orgId = randomBytes(12).toString('hex')): string {
    this.projects.addOrganisation(orgId)
    return orgId
  }

  addProject(orgId: string, options: { groupId?: string; name?: string } = {}): string {
    if (!this.projects.hasOrganisation(orgId))
      throw new Error(`the emulator has no organisation ${orgId}`)
    const groupId = options.groupId ?? randomBytes(12).toString('hex')
    this.projects.add(groupId, orgId, options.name ?? `Project-${groupId.slice(-6)}`)
    return groupId
  }

  setProjectForbidden(groupId: string, forbidden: boolean): void {
    this.projects.get(groupId).forbidden = forbidden
  }

  setUserLimit(groupId: string, limit: number): void {
    this.projects.get(groupId).userLimit = limit
  }

  addUser(groupId: string, user: Partial<DatabaseUser> & { username: string }): void {
    this.projects.get(groupId).putUser(normalizeUser(groupId, user))
  }

  getUser(groupId: string, databaseName: string, username: string): DatabaseUser | undefined {
    return this.projects.get(groupId).getUser(databaseName, username)
  }

  users(groupId: string): DatabaseUser[] {
    return this.projects.get(groupId).users()
  }

  issuedCertificates(groupId: string, username: string): IssuedCertRecord[] {
    return [...this.projects.get(groupId).certificates(username)]
  }

  addCertificateRecord(groupId: string, username: string, record: CertificateRecordSeed): void {
    this.projects
      .get(groupId)
      .addCertificate(username, seedRecord(record, username, this.resources.certIds))
  }

  setCustomerX509(groupId: string, casPem: string | null): void {
    this.projects.get(groupId).customerCas = casPem
  }

  customerX509(groupId: string): string | null {
    return this.projects.get(groupId).customerCas
  }

  servedSecrets(): string[] {
    return [...this.resources.served]
  }

  recordSecret(value: string): void {
    this.resources.recordSecret(value)
  }

  restarts(groupId: string): number {
    return this.projects.get(groupId).restartCount
  }

  addCluster(groupId: string, name: string, options: ClusterOptions = {}): void {
    this.projects.get(groupId).addCluster(name, this.now(), options)
  }

  clusters(groupId: string): ClusterSummary[] {
    const nowMs = this.now().getTime()
    return this.projects
      .get(groupId)
      .clusters()
      .map(c => ({
        name: c.name,
        id: c.id,
        flex: c.flex,
        changeStatus: c.changeStatus(nowMs),
        ...(c.mongod ? { mongod: c.mongod } : {})
      }))
  }

  clusterChangeStatus(groupId: string, name: string): ChangeStatus {
    return this.cluster(groupId, name).changeStatus(this.now().getTime())
  }

  setClusterApplies(groupId: string, name: string, applies: boolean): void {
    this.cluster(groupId, name).applies = applies
  }

  setClusterApplyDelay(groupId: string, name: string, applyDelayMs: number | undefined): void {
    this.cluster(groupId, name).applyDelayMs = applyDelayMs
  }

  private cluster(groupId: string, name: string): ClusterState {
    const cluster = this.projects.get(groupId).getCluster(name)
    if (!cluster) throw new Error(`the emulator has no cluster ${name} in project ${groupId}`)
    return cluster
  }

  async startMongod(groupId: string, clusterName: string): Promise<MongodEndpoint> {
    const project = this.projects.get(groupId)
    const cluster = this.cluster(groupId, clusterName)
    let listener = this.mongods.get(cluster)
    if (!listener) {
      listener = this.listenMongod(project, cluster)
      this.mongods.set(cluster, listener)
    }
    const endpoint = (await listener).endpoint
    if (!endpoint) throw new Error(`the MongoDB endpoint of ${clusterName} did not start`)
    cluster.mongod = endpoint
    return endpoint
  }

  private async listenMongod(
    project: ProjectState,
    cluster: ClusterState
  ): Promise<MongodListener> {
    // Real time, not the injected clock: TLS peers check the server certificate against it.
    this.mongodTls ??= createTlsMaterial(new Date())
    const managedCa = new X509Certificate(this.managedCaPem)
    const listener = new MongodListener(await this.mongodTls, {
      trustedCas: () => [
        this.managedCaPem,
        ...pemBlocks(project.customerCas ?? '').map(block => block.text)
      ],
      login: cert => x509Login(cert, managedCa, project, cluster, this.now().getTime()),
      admits: address => project.accessList.admits(address, this.now().getTime())
    })
    await listener.listen()
    this.startedMongods.set(cluster, listener)
    return listener
  }

  accessList(groupId: string): AccessListEntrySummary[] {
    const nowMs = this.now().getTime()
    return this.projects
      .get(groupId)
      .accessList.list(nowMs)
      .map(entry => ({
        value: entry.value,
        ...(entry.comment !== undefined ? { comment: entry.comment } : {}),
        ...(entry.deleteAfterDate ? { deleteAfterDate: entry.deleteAfterDate } : {}),
        status: nowMs >= entry.activeAt ? 'ACTIVE' : 'PENDING'
      }))
  }

  setAccessList(groupId: string, entries: string[]): void {
    const list = this.projects.get(groupId).accessList
    list.clear()
    for (const value of entries) {
      if (!parseEntryValue(value)) throw new Error(`not an IP address or CIDR block: ${value}`)
      list.put({ value, cidr: value.includes('/'), activeAt: 0 })
    }
  }

  mongodLog(groupId: string, clusterName: string): MongodCommandRecord[] {
    return [...(this.startedMongods.get(this.cluster(groupId, clusterName))?.log ?? [])]
  }

  async close(): Promise<void> {
    const listeners = await Promise.allSettled(this.mongods.values())
    for (const result of listeners) {
      if (result.status === 'fulfilled') await result.value.close()
    }
    await this.front.close()
  }
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const now = options.now ?? (() => new Date())
  const start = now()
  const served = new Set<string>()
  const resources: Resources = {
    served,
    recordSecret: secret => served.add(secret),
    managedCa: await createManagedCa(start),
    certIds: new CertIdSequence(),
    options: {
      certLimitPerUser: options.certLimitPerUser ?? 50,
      maxPageSize: options.maxPageSize ?? 500,
      keyAlgorithm: options.keyAlgorithm ?? 'RSA',
      clientKeyPool: options.clientKeyPool ?? 0,
      applyDelayMs: options.applyDelayMs ?? 0,
      refuseManagedCertsWithCustomerCa: options.refuseManagedCertsWithCustomerCa ?? false,
      rateLimitCapacity: options.rateLimitCapacity ?? 100,
      accessListActivationMs: options.accessListActivationMs ?? 0
    }
  }
  const emulator = new AtlasEmulator(now, resources, options)
  await seedProjects(emulator, start)
  for (const groupId of [SEEDED_GROUP_ID, OTHER_GROUP_ID])
    emulator.setAccessList(groupId, options.accessList ?? ['127.0.0.1'])
  await emulator.listen(options.port ?? 0, options.tls ?? false, start)
  return emulator
}
