/** Public types of the Atlas Admin API emulator (the action's tests code against these names). */

export type DigestAlgorithm = 'MD5' | 'SHA-256'
export type KeyAlgorithm = 'RSA' | 'EC'

export interface EmulatorOptions {
  /** Default 0 (ephemeral). */
  port?: number
  /** Serve HTTPS with a server cert issued by a CA generated at start (see Emulator.tlsCaPem). */
  tls?: boolean
  /** 'MD5' as Atlas (default); 'SHA-256' as Atlas for Government. */
  digestAlgorithm?: DigestAlgorithm
  /** Injectable clock for cert validity, expiry, nonce TTL and token TTL. */
  now?: () => Date
  /** Default 300_000. A correct digest response with an expired nonce gets 401 with stale=true. */
  nonceTtlMs?: number
  /** Default 50 unexpired certs per user; then 400 ATLAS_GENERATED_CERTS_LIMIT_EXCEEDED. */
  certLimitPerUser?: number
  /** Serve at most this many items per page, whatever itemsPerPage asks (Atlas pages may be short). Default 500. */
  maxPageSize?: number
  /** Key of issued client certs, default 'RSA' (2048). */
  keyAlgorithm?: KeyAlgorithm
  /**
   * Reuse client-certificate keys from a pool of this many per process, round-robin, instead of
   * a fresh key for each certificate as Atlas makes. For test suites: an RSA-2048 key costs about
   * 100 ms of CPU. Default 0: a fresh key every time.
   */
  clientKeyPool?: number
  /**
   * How long a database-user create or delete stays PENDING on each cluster the user reaches
   * before it applies (on the injected clock). Default 0: applied at once. Per cluster:
   * ClusterOptions.applyDelayMs.
   */
  applyDelayMs?: number
  /**
   * Refuse the certs POST while the project has a customer CA (400
   * CANNOT_GENERATE_CERT_IF_ADVANCED_X509). Default false: whether Atlas still refuses is
   * unverified (the error code comes from an older revision of the error-code page).
   */
  refuseManagedCertsWithCustomerCa?: boolean
  /** Active (unexpired, unrevoked) access tokens per service account. Default 100, as Atlas. */
  maxActiveTokens?: number
  /**
   * 'allow' (default): a Digest nonce may be used again with a higher nc until it expires.
   * 'refuse': each nonce authenticates one request; reusing it gets a plain 401 (no stale=true)
   * with a fresh challenge, as a server that never saw nonce reuse would answer.
   */
  digestNonceReuse?: 'allow' | 'refuse'
  /** RateLimit-Limit sent on every 2xx (and 429). Default 100. */
  rateLimitCapacity?: number
  /**
   * How long a new IP access-list entry reports PENDING before ACTIVE (injected clock). Default 0.
   * The MongoDB endpoints admit a client only from an ACTIVE entry.
   */
  accessListActivationMs?: number
  /**
   * The IP access list every project starts with (permanent, ACTIVE). Default `['127.0.0.1']`
   * (the endpoints listen there), so local clients reach them; `[]` shuts them out.
   */
  accessList?: string[]
}

/** One entry of a project's IP access list as the facade shows it. */
export interface AccessListEntrySummary {
  /** The IP address or CIDR block. */
  value: string
  comment?: string
  deleteAfterDate?: string
  status: 'PENDING' | 'ACTIVE'
}

/** ClusterStatus.changeStatus of GET …/clusters/{clusterName}/status. */
export type ChangeStatus = 'PENDING' | 'APPLIED'

export interface ClusterOptions {
  /** A Flex cluster (listed by …/flexClusters, not by …/clusters). Default false. */
  flex?: boolean
  /** Overrides EmulatorOptions.applyDelayMs for this cluster. */
  applyDelayMs?: number
  /** User changes never apply here: the status stays PENDING (see setClusterApplies). */
  neverApplies?: boolean
}

export interface ClusterSummary {
  name: string
  id: string
  flex: boolean
  changeStatus: ChangeStatus
  mongod?: MongodEndpoint
}

/** A cluster's TLS MongoDB endpoint on 127.0.0.1 (client certificates required). */
export interface MongodEndpoint {
  host: string
  port: number
  /** mongodb://127.0.0.1:PORT/?tls=true&directConnection=true */
  uri: string
  /** The CA of the endpoint's server certificate, for the driver's tlsCAFile. */
  caPem: string
}

/** One command a MongoDB endpoint received (X.509 auth carries no secret). */
export interface MongodCommandRecord {
  connectionId: number
  /** 2013 OP_MSG or 2004 OP_QUERY (legacy handshake). */
  opCode: number
  /** The command name: the first key of the command document. */
  command: string
  db: string
  body: Record<string, unknown>
}

export interface Credentials {
  publicKey: string
  privateKey: string
  clientId: string
  clientSecret: string
}

export type AuthKind = 'digest' | 'bearer' | 'basic'

export interface RecordedRequest {
  method: string
  /** Path and query as received. */
  path: string
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Record<string, string>
  body: string
  /** Final status; 0 when the connection was dropped without a response. */
  status: number
  /** What authenticated the request, null if nothing did. */
  auth: AuthKind | null
  fault?: FaultKind
  /** The response: lower-case header names (repeated ones joined with ', '), body as text. */
  response?: { headers: Record<string, string>; body: string }
  /** The TCP connection (per emulator, from 1) that carried the request. */
  connection?: number
}

/** Transport counters of one emulator (Atlas front only; MongoDB endpoints not included). */
export interface ConnectionStats {
  /** TCP connections accepted. */
  connections: number
  /** TLS handshakes completed (0 without tls). */
  tlsHandshakes: number
  /** TLS sessions resumed rather than fully negotiated. */
  tlsResumed: number
}

export type FaultKind =
  | 'status'
  | 'drop'
  | 'delay'
  | 'html'
  | 'corrupt-pem'
  | 'redirect'
  | 'stale-nonce'
  | 'body'
  /** The request takes effect, then the connection drops before the answer (status 0). */
  | 'lose-answer'

export type CorruptPemVariant =
  'garbage' | 'truncated' | 'no-key' | 'mismatched-key' | 'two-certs' | 'json-quoted'

export interface FaultSpec {
  /** Default: any method. */
  method?: string
  /** String: exact pathname without query (raw or percent-decoded); RegExp: tested against the pathname. */
  path: string | RegExp
  /** The first K matching calls (default 1; Infinity = always). */
  times?: number
  kind: FaultKind
  status?: number
  errorCode?: string
  detail?: string
  /** Sent verbatim as Retry-After (seconds or an HTTP date); a 429 sends '60' unless set, '' sends none. */
  retryAfter?: string
  /** 'delay': hold the response headers this long, then answer normally. */
  delayMs?: number
  /** 'redirect': the Location header (status default 302). */
  location?: string
  /** 'corrupt-pem': how to spoil the certs POST body. */
  variant?: CorruptPemVariant
  /** 'body': the answer's body, sent verbatim (status default 200) — a hostile or broken server. */
  body?: string
  /** 'body': the Content-Type header, default 'application/json'. */
  contentType?: string
}

export interface DatabaseUserRole {
  roleName: string
  databaseName: string
  collectionName?: string
}

export interface UserScope {
  name: string
  type: 'CLUSTER' | 'DATA_LAKE' | 'STREAM'
}

export interface ComponentLabel {
  key: string
  value: string
}

/** A stored CloudDatabaseUser (never holds a password). */
export interface DatabaseUser {
  databaseName: string
  groupId: string
  username: string
  x509Type: 'NONE' | 'CUSTOMER' | 'MANAGED'
  awsIAMType: 'NONE' | 'USER' | 'ROLE'
  ldapAuthType: 'NONE' | 'GROUP' | 'USER'
  oidcAuthType: 'NONE' | 'IDP_GROUP' | 'USER'
  roles: DatabaseUserRole[]
  scopes: UserScope[]
  labels: ComponentLabel[]
  description?: string
  deleteAfterDate?: string
}

export interface IssuedCertRecord {
  /** Decimal int64, above 2^53: never pass it through a JS number. */
  id: string
  subject: string
  createdAt: Date
  notAfter: Date
  /** Hex; '' for records seeded with addCertificateRecord. */
  serialNumber: string
}

export interface CertificateRecordSeed {
  id?: string
  createdAt: Date
  notAfter: Date
  subject?: string
}

export interface Emulator {
  url: string
  groupId: string
  otherGroupId: string
  /** The organisation that owns groupId and otherGroupId. */
  orgId: string
  credentials: Credentials
  /** The CA that signs Atlas-managed client certs. */
  managedCaPem: string
  tlsCaPem?: string
  requests: RecordedRequest[]
  clearRequests(): void
  /**
   * Calls the listener with every recorded request once its response has finished (or the
   * connection dropped), whatever clearRequests does. Returns a function that unsubscribes.
   */
  onExchange(listener: (record: RecordedRequest) => void): () => void
  /** TCP connections and TLS handshakes so far (resetConnectionStats sets them back to 0). */
  connectionStats(): ConnectionStats
  resetConnectionStats(): void
  /** Service-account access tokens issued and neither expired nor revoked. */
  activeTokens(): number
  fault(spec: FaultSpec): void
  clearFaults(): void
  /** A new organisation without projects (a random id unless given); its id. */
  addOrganisation(orgId?: string): string
  /** A new project of the organisation (random id, a name from it, unless given); its id. */
  addProject(orgId: string, options?: { groupId?: string; name?: string }): string
  /** true: every request to the project answers 403 USER_UNAUTHORIZED (no role on it). */
  setProjectForbidden(groupId: string, forbidden: boolean): void
  /** The project's database-user limit (default 100): GET …/limits and creates past it. */
  setUserLimit(groupId: string, limit: number): void
  addUser(groupId: string, user: Partial<DatabaseUser> & { username: string }): void
  getUser(groupId: string, databaseName: string, username: string): DatabaseUser | undefined
  users(groupId: string): DatabaseUser[]
  issuedCertificates(groupId: string, username: string): IssuedCertRecord[]
  addCertificateRecord(groupId: string, username: string, record: CertificateRecordSeed): void
  setCustomerX509(groupId: string, casPem: string | null): void
  customerX509(groupId: string): string | null
  /**
   * Secrets the emulator handed out, for leak scans: every access token and every line of every
   * private key it served (corrupt-pem variants included).
   */
  servedSecrets(): string[]
  /** A secret the test handed to the action (an issuer key): scanned for like the served ones. */
  recordSecret(value: string): void
  /** Rolling restarts triggered (PATCH userSecurity and DELETE customerX509 count 1 each). */
  restarts(groupId: string): number
  /** Adds a dedicated (or, with flex, a Flex) cluster; existing users are applied on it. */
  addCluster(groupId: string, name: string, options?: ClusterOptions): void
  clusters(groupId: string): ClusterSummary[]
  /** What GET …/clusters/{name}/status answers now. */
  clusterChangeStatus(groupId: string, name: string): ChangeStatus
  /** false: user changes stop applying on this cluster (stay PENDING) until set back to true. */
  setClusterApplies(groupId: string, name: string, applies: boolean): void
  /** Sets the apply delay of one cluster (undefined: back to EmulatorOptions.applyDelayMs). */
  setClusterApplyDelay(groupId: string, name: string, applyDelayMs: number | undefined): void
  /**
   * Starts (once) the cluster's TLS MongoDB endpoint, which authenticates MONGODB-X509 clients
   * against the project's users as this cluster knows them. close() stops it.
   */
  startMongod(groupId: string, clusterName: string): Promise<MongodEndpoint>
  /** The project's IP access list now (temporary entries past their deleteAfterDate are gone). */
  accessList(groupId: string): AccessListEntrySummary[]
  /** Replaces the project's IP access list with these permanent, ACTIVE entries. */
  setAccessList(groupId: string, entries: string[]): void
  /** Commands the cluster's MongoDB endpoint received, in order (empty before startMongod). */
  mongodLog(groupId: string, clusterName: string): MongodCommandRecord[]
  close(): Promise<void>
}
