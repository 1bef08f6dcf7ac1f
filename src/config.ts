/**
 * Inputs → one typed configuration. Pure: reads through the functions it is given, performs no
 * I/O, and throws InputError (naming the input and what is accepted) before any request is sent.
 */

export const OPERATIONS = [
  'create-certificate',
  'disable-customer-x509',
  'list-certificates',
  'create-ephemeral-user',
  'delete-user',
  'prune-ephemeral-users',
  'get-customer-x509',
  'set-customer-x509'
] as const
export type Operation = (typeof OPERATIONS)[number]

export class InputError extends Error {
  constructor(
    readonly input: string,
    message: string
  ) {
    super(message)
    this.name = 'InputError'
  }
}

export type Credentials =
  | { kind: 'service-account'; clientId: string; clientSecret: string }
  | { kind: 'api-key'; publicKey: string; privateKey: string }

export interface CommonConfig {
  groupId: string
  credentials: Credentials
  /** Origin only, no trailing slash: `https://cloud.mongodb.com`. */
  baseUrl: string
  timeoutSeconds: number
  maxRetries: number
}

export interface CertificateConfig {
  username: string
  months: number
  /** As given; resolved to an absolute path when written. */
  certificateFile: string | undefined
  outputCertificate: boolean
  cleanup: boolean
  connectionString: string | undefined
}

/** A database role as Atlas takes it: `readWrite@app` → {roleName, databaseName}. */
export interface RoleConfig {
  roleName: string
  databaseName: string
  collectionName?: string
}

export interface EphemeralUserConfig {
  /** Undefined: derived from the run at run time (see ephemeral.ts). */
  username: string | undefined
  roles: RoleConfig[]
  scopes: string[]
  ttlHours: number
  certificate: Omit<CertificateConfig, 'username'>
}

/** Where the CA certificates come from: text given inline, or a file to read. */
export type CaSource = { kind: 'text'; pem: string } | { kind: 'file'; path: string }

export type Config = CommonConfig &
  (
    | { operation: 'create-certificate'; certificate: CertificateConfig }
    | { operation: 'disable-customer-x509' }
    | { operation: 'list-certificates'; username: string; expiryWarningDays: number }
    | { operation: 'create-ephemeral-user'; ephemeral: EphemeralUserConfig }
    | { operation: 'delete-user'; username: string }
    | { operation: 'prune-ephemeral-users'; dryRun: boolean }
    | { operation: 'get-customer-x509'; expiryWarningDays: number }
    | { operation: 'set-customer-x509'; ca: CaSource }
  )

/** Reads one input, trimmed, '' when unset (as `core.getInput` does). */
export type InputReader = (name: string) => string
export type Environment = Readonly<Record<string, string | undefined>>

export const DEFAULT_BASE_URL = 'https://cloud.mongodb.com'

/** Inputs that hold secrets, with their environment fallbacks: masked before anything else runs. */
export const SECRET_INPUTS: ReadonlyArray<readonly [input: string, env: string]> = [
  ['client-secret', 'MONGODB_ATLAS_CLIENT_SECRET'],
  ['private-key', 'MONGODB_ATLAS_PRIVATE_API_KEY']
]

const CREDENTIAL_PAIRS = {
  'service-account': [
    ['client-id', 'MONGODB_ATLAS_CLIENT_ID'],
    ['client-secret', 'MONGODB_ATLAS_CLIENT_SECRET']
  ],
  'api-key': [
    ['public-key', 'MONGODB_ATLAS_PUBLIC_API_KEY'],
    ['private-key', 'MONGODB_ATLAS_PRIVATE_API_KEY']
  ]
} as const

export function parseConfig(read: InputReader, env: Environment): Config {
  const operation = parseOperation(read('operation'))
  const common = parseCommonConfig(read, env)
  switch (operation) {
    case 'create-certificate':
      return { ...common, operation, certificate: parseCertificate(read, 3) }
    case 'disable-customer-x509':
      return { ...common, operation }
    case 'list-certificates':
      return {
        ...common,
        operation,
        username: parseUsername(read),
        expiryWarningDays: parseExpiryWarningDays(read)
      }
    case 'create-ephemeral-user':
      return { ...common, operation, ephemeral: parseEphemeralUser(read) }
    case 'delete-user':
      return { ...common, operation, username: parseUsername(read) }
    case 'prune-ephemeral-users':
      return { ...common, operation, dryRun: parseBoolean(read, 'dry-run', false) }
    case 'get-customer-x509':
      return { ...common, operation, expiryWarningDays: parseExpiryWarningDays(read) }
    case 'set-customer-x509':
      return { ...common, operation, ca: parseCaSource(read) }
  }
}

/** The inputs every operation shares; the post step parses only these. */
export function parseCommonConfig(read: InputReader, env: Environment): CommonConfig {
  return {
    groupId: parseGroupId(read('group-id') || env.MONGODB_ATLAS_PROJECT_ID?.trim() || ''),
    credentials: parseCredentials(read, env),
    baseUrl: parseBaseUrl(
      read('base-url') || env.MONGODB_ATLAS_BASE_URL?.trim() || DEFAULT_BASE_URL
    ),
    timeoutSeconds: parseInteger(read, 'timeout-seconds', 60, 1, 3600),
    maxRetries: parseInteger(read, 'max-retries', 4, 0, 10)
  }
}

function parseOperation(value: string): Operation {
  const operation = value || 'create-certificate'
  if (!(OPERATIONS as readonly string[]).includes(operation)) {
    throw new InputError(
      'operation',
      `"${operation}" is not an operation. Use one of: ${OPERATIONS.join(', ')}.`
    )
  }
  return operation as Operation
}

function parseGroupId(value: string): string {
  if (!value) {
    throw new InputError(
      'group-id',
      'Required: the 24-hex-digit Atlas project id, as the `group-id` input or the MONGODB_ATLAS_PROJECT_ID environment variable.'
    )
  }
  if (!/^[a-f0-9]{24}$/.test(value)) {
    throw new InputError(
      'group-id',
      `"${value}" is not a project id: expected 24 lower-case hex digits (^[a-f0-9]{24}$).`
    )
  }
  return value
}

const CREDENTIALS_ACCEPTED =
  'Give exactly one pair: `client-id` + `client-secret` (service account) or `public-key` + `private-key` (API key), as inputs or as the environment variables MONGODB_ATLAS_CLIENT_ID + MONGODB_ATLAS_CLIENT_SECRET or MONGODB_ATLAS_PUBLIC_API_KEY + MONGODB_ATLAS_PRIVATE_API_KEY.'

type CredentialKind = keyof typeof CREDENTIAL_PAIRS
const KINDS: readonly CredentialKind[] = ['service-account', 'api-key']

/**
 * Exactly one complete pair. A pair given whole as inputs wins over the environment; otherwise
 * each input falls back to its environment variable.
 */
function parseCredentials(read: InputReader, env: Environment): Credentials {
  const complete = (values: string[]) => values.every(v => v !== '')
  const inputs = (kind: CredentialKind) => CREDENTIAL_PAIRS[kind].map(([input]) => read(input))
  const resolved = (kind: CredentialKind) =>
    CREDENTIAL_PAIRS[kind].map(([input, name]) => read(input) || env[name]?.trim() || '')
  const halfError = (kind: CredentialKind, values: string[]) => {
    const missing = CREDENTIAL_PAIRS[kind]
      .filter((_, i) => values[i] === '')
      .map(([input, name]) => `\`${input}\` (or ${name})`)
    return new InputError(
      'credentials',
      `Half a credential pair: ${missing.join(' and ')} is missing. ${CREDENTIALS_ACCEPTED}`
    )
  }

  const wholeInputs = KINDS.filter(kind => complete(inputs(kind)))
  if (wholeInputs.length === 2) {
    throw new InputError(
      'credentials',
      `Both a service account and an API key were given as inputs. ${CREDENTIALS_ACCEPTED}`
    )
  }
  let chosen: { kind: CredentialKind; values: string[] }
  if (wholeInputs.length === 1) {
    const kind = wholeInputs[0]!
    const other = KINDS.find(k => k !== kind)!
    if (inputs(other).some(v => v !== '')) throw halfError(other, inputs(other))
    chosen = { kind, values: inputs(kind) }
  } else {
    const pairs = KINDS.map(kind => ({ kind, values: resolved(kind) }))
    const whole = pairs.filter(p => complete(p.values))
    const half = pairs.find(
      p =>
        !complete(p.values) &&
        (whole.length === 0 || inputs(p.kind).some(v => v !== '')) &&
        p.values.some(v => v !== '')
    )
    if (half) throw halfError(half.kind, half.values)
    if (whole.length === 0)
      throw new InputError(
        'credentials',
        `No Atlas credentials were found. ${CREDENTIALS_ACCEPTED}`
      )
    if (whole.length === 2) {
      throw new InputError(
        'credentials',
        `Both a service account and an API key were found. ${CREDENTIALS_ACCEPTED}`
      )
    }
    chosen = whole[0]!
  }
  const [id, secret] = chosen.values as [string, string]
  return chosen.kind === 'service-account'
    ? { kind: 'service-account', clientId: id, clientSecret: secret }
    : { kind: 'api-key', publicKey: id, privateKey: secret }
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i

function parseBaseUrl(value: string): string {
  const accepted =
    'Accepted: an https:// origin such as https://cloud.mongodb.com or https://cloud.mongodbgov.com (http:// only for loopback hosts).'
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InputError('base-url', `"${value}" is not a URL. ${accepted}`)
  }
  if (url.username || url.password)
    throw new InputError('base-url', `The URL must not carry credentials. ${accepted}`)
  if (url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    throw new InputError(
      'base-url',
      `"${value}" has a path, query or fragment; give the origin only. ${accepted}`
    )
  }
  if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname)) {
    throw new InputError(
      'base-url',
      `Plain http:// is refused for ${url.hostname}: credentials would cross the network unencrypted. ${accepted}`
    )
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InputError('base-url', `Scheme ${url.protocol} is not supported. ${accepted}`)
  }
  return url.origin
}

function parseInteger(
  read: InputReader,
  name: string,
  fallback: number,
  min: number,
  max: number
): number {
  const raw = read(name)
  if (raw === '') return fallback
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new InputError(
      name,
      `"${raw}" is not accepted: expected a whole number from ${min} to ${max}.`
    )
  }
  return Number(raw)
}

/** YAML 1.2 core-schema booleans, as `core.getBooleanInput` accepts them. */
export function parseBoolean(read: InputReader, name: string, fallback: boolean): boolean {
  const raw = read(name)
  if (raw === '') return fallback
  if (['true', 'True', 'TRUE'].includes(raw)) return true
  if (['false', 'False', 'FALSE'].includes(raw)) return false
  throw new InputError(name, `"${raw}" is not a boolean: use true or false.`)
}

const isControlCharacter = (c: string) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f

function parseUsername(read: InputReader): string {
  const username = read('username')
  if (!username)
    throw new InputError('username', 'Required: the name of the database user in `$external`.')
  if (username.length > 1024 || [...username].some(isControlCharacter)) {
    throw new InputError('username', 'Expected at most 1024 printable characters.')
  }
  return username
}

function parseExpiryWarningDays(read: InputReader): number {
  return parseInteger(read, 'expiry-warning-days', 30, 0, 3650)
}

export function parseCertificate(read: InputReader, defaultMonths: number): CertificateConfig {
  return { username: parseUsername(read), ...parseCertificateOptions(read, defaultMonths) }
}

function parseCertificateOptions(
  read: InputReader,
  defaultMonths: number
): Omit<CertificateConfig, 'username'> {
  return {
    months: parseInteger(read, 'months', defaultMonths, 1, 24),
    certificateFile: read('certificate-file') || undefined,
    outputCertificate: parseBoolean(read, 'output-certificate', false),
    cleanup: parseBoolean(read, 'cleanup', true),
    connectionString: parseConnectionString(read('connection-string'))
  }
}

/** Roles that Atlas grants only on the admin database. */
const ADMIN_ONLY_ROLES = new Set([
  'atlasAdmin',
  'backup',
  'clusterMonitor',
  'dbAdminAnyDatabase',
  'enableSharding',
  'readAnyDatabase',
  'readWriteAnyDatabase'
])
const ROLE_NAME = /^[A-Za-z0-9_-]{1,64}$/
// MongoDB database names: no '/\\. "$*<>:|?', at most 64 characters.
const DATABASE_NAME = /^[^/\\. "$*<>:|?]{1,64}$/
const CLUSTER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9-]*$/

/** Splits a list input on commas and newlines, dropping empty entries. */
export function splitList(value: string): string[] {
  return value
    .split(/[,\n]/)
    .map(entry => entry.trim())
    .filter(entry => entry !== '')
}

/** `role@database` or `role@database.collection`, separated by commas or newlines. */
export function parseRoles(value: string): RoleConfig[] {
  const accepted =
    'Each entry is role@database or role@database.collection, separated by commas or newlines, e.g. `readWrite@app, read@reports.events, readWriteAnyDatabase@admin`.'
  const entries = splitList(value)
  if (entries.length === 0)
    throw new InputError('roles', `Required: at least one role. ${accepted}`)
  return entries.map(entry => {
    const match = /^([^@\s]+)@([^.@\s]+)(?:\.([^@\s]+))?$/.exec(entry)
    if (!match) throw new InputError('roles', `"${entry}" is not a role. ${accepted}`)
    const [, roleName, databaseName, collectionName] = match as unknown as [
      string,
      string,
      string,
      string | undefined
    ]
    if (!ROLE_NAME.test(roleName)) {
      throw new InputError(
        'roles',
        `"${entry}": role names are letters, digits, _ and - (a built-in role or a custom role's name). ${accepted}`
      )
    }
    if (!DATABASE_NAME.test(databaseName))
      throw new InputError(
        'roles',
        `"${entry}": "${databaseName}" is not a database name. ${accepted}`
      )
    if (
      collectionName !== undefined &&
      (collectionName.length > 255 || collectionName.includes('$'))
    ) {
      throw new InputError(
        'roles',
        `"${entry}": "${collectionName}" is not a collection name. ${accepted}`
      )
    }
    if (
      ADMIN_ONLY_ROLES.has(roleName) &&
      (databaseName !== 'admin' || collectionName !== undefined)
    ) {
      throw new InputError(
        'roles',
        `"${entry}": ${roleName} is granted on the admin database only: write ${roleName}@admin.`
      )
    }
    return collectionName === undefined
      ? { roleName, databaseName }
      : { roleName, databaseName, collectionName }
  })
}

export function parseScopes(value: string): string[] {
  return splitList(value).map(name => {
    if (!CLUSTER_NAME.test(name) || name.length > 64) {
      throw new InputError(
        'scopes',
        `"${name}" is not a cluster name: letters, digits and hyphens, starting with a letter or digit (^[a-zA-Z0-9][a-zA-Z0-9-]*$), separated by commas or newlines.`
      )
    }
    return name
  })
}

function parseEphemeralUser(read: InputReader): EphemeralUserConfig {
  const username = read('username')
  if (username && !/^[A-Za-z0-9_-]{1,64}$/.test(username)) {
    throw new InputError(
      'username',
      `"${username}" is not accepted for an ephemeral user: 1 to 64 letters, digits, _ and - (no dots). Leave it empty to derive one from the run.`
    )
  }
  return {
    username: username || undefined,
    roles: parseRoles(read('roles')),
    scopes: parseScopes(read('scopes')),
    ttlHours: parseInteger(read, 'ephemeral-ttl-hours', 24, 1, 720),
    certificate: parseCertificateOptions(read, 1)
  }
}

function parseCaSource(read: InputReader): CaSource {
  const text = read('ca-certificates')
  const path = read('ca-file')
  const accepted =
    'Give exactly one of `ca-certificates` (PEM text) and `ca-file` (a path to a PEM file).'
  if (text && path)
    throw new InputError(
      'ca-certificates',
      `Both ca-certificates and ca-file were given. ${accepted}`
    )
  if (!text && !path) throw new InputError('ca-certificates', `No CA was given. ${accepted}`)
  return text ? { kind: 'text', pem: text } : { kind: 'file', path }
}

function parseConnectionString(value: string): string | undefined {
  if (!value) return undefined
  const match = /^(mongodb(?:\+srv)?):\/\/([^/?#]*)/.exec(value)
  if (!match) {
    throw new InputError(
      'connection-string',
      'Expected a MongoDB URI starting with mongodb:// or mongodb+srv://.'
    )
  }
  if (match[2]!.includes('@')) {
    throw new InputError(
      'connection-string',
      'Give the URI without credentials (no user:password@): X.509 authenticates with the certificate.'
    )
  }
  if (!match[2]) throw new InputError('connection-string', 'The URI has no host.')
  return value
}
