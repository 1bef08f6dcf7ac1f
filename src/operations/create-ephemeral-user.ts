import { randomBytes, randomInt } from 'node:crypto'
import { userTakenError, type DatabaseRole, type DatabaseUser } from '../atlas/api.js'
import { AtlasApiError } from '../atlas/errors.js'
import {
  DEFAULTS,
  InputError,
  parseBoolean,
  parseInteger,
  splitList,
  type InputReader
} from '../inputs/inputs.js'
import { connectionStringFor } from '../certificate/connection-string.js'
import type { IssuedCertificate } from '../certificate/pem.js'
import { TitledError } from '../errors.js'
import { runIdentity, runLabel, type RunIdentity } from '../run-identity.js'
import { addEntries, resolveEntries, waitUntilActive, wantsAccessList } from './access-list.js'
import {
  deliverCertificate,
  parseCertificateOptions,
  prepareCertificatePath,
  type CertificateOptions
} from './certificate-delivery.js'
import { formatDistinguishedName, type NameAttribute } from '../certificate/distinguished-name.js'
import { parseEphemeralIssuer, type IssuerOptions } from '../inputs/issuer.js'
import { PARALLEL_POLLS, waitUntilReady, seconds } from './ephemeral-readiness.js'
import { isFromStep, LABELS, MANAGED_BY } from './ephemeral-labels.js'
import { STATE, type Operation, type StepContext } from './operation.js'
import {
  connectionStrings,
  parseReachOptions,
  reachedClusters,
  setConnectionOutputs,
  verifyLogins,
  type ReachOptions
} from './reachability.js'
import {
  customerName,
  ephemeralNotAfter,
  locallySigned,
  openTrustedIssuer
} from './self-managed.js'

export interface EphemeralUserConfig {
  /** The name's prefix (a random part follows); undefined: derived from the run at run time. */
  usernamePrefix: string | undefined
  roles: DatabaseRole[]
  scopes: string[]
  ttlHours: number
  waitUntilReady: boolean
  readyTimeoutSeconds: number
  certificate: CertificateOptions
  /** Sign on the runner with this CA, for a CUSTOMER user; undefined: a MANAGED user. */
  issuer: IssuerOptions | undefined
  /** The CUSTOMER user's name after its CN (RFC 2253 parts). */
  subjectSuffix: NameAttribute[]
  /** The access-list entries, the connection strings and the login check. */
  reach: ReachOptions
}

/** What the post step needs to delete the user, kept in state (no secret in it). */
export interface EphemeralUserState {
  groupId: string
  username: string
  githubRun: string
  /** The value of the user's step-nonce label: only a user carrying it is this step's. */
  stepNonce: string
  /** False while the create request is in flight: the post step then checks ownership first. */
  confirmed: boolean
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

/** `role@database` or `role@database.collection`, separated by commas or newlines. */
export function parseRoles(value: string): DatabaseRole[] {
  const accepted =
    'Each entry is role@database or role@database.collection, separated by commas or newlines, e.g. `readWrite@app, read@reports.events, readWriteAnyDatabase@admin`.'
  const entries = splitList(value)
  if (entries.length === 0)
    throw new InputError('roles', `Required: at least one role. ${accepted}`)
  const repeated = firstRepeated(entries)
  if (repeated !== undefined)
    throw new InputError('roles', `"${repeated}" is given more than once; give each role once.`)
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

/** An entry that the list holds more than once, if any. */
function firstRepeated(entries: string[]): string | undefined {
  const seen = new Set<string>()
  return entries.find(entry => seen.size === seen.add(entry).size)
}

export function parseScopes(value: string): string[] {
  const names = splitList(value)
  const repeated = firstRepeated(names)
  if (repeated !== undefined)
    throw new InputError(
      'scopes',
      `The cluster "${repeated}" is given more than once; give each cluster once.`
    )
  return names.map(name => {
    if (!CLUSTER_NAME.test(name) || name.length > 64) {
      throw new InputError(
        'scopes',
        `"${name}" is not a cluster name: letters, digits and hyphens, starting with a letter or digit (^[a-zA-Z0-9][a-zA-Z0-9-]*$), separated by commas or newlines.`
      )
    }
    return name
  })
}

/** Atlas's limit on a database user's name. */
const MAX_USERNAME = 64
/** The random part of every ephemeral name: 10 base-36 characters, about 51 bits. */
const RANDOM_PART_LENGTH = 10
const MAX_PREFIX = MAX_USERNAME - RANDOM_PART_LENGTH - 1

function parseEphemeralUser(read: InputReader): EphemeralUserConfig {
  const prefix = read('username')
  if (prefix && !new RegExp(`^[A-Za-z0-9_-]{1,${MAX_PREFIX}}$`).test(prefix)) {
    throw new InputError(
      'username',
      `"${prefix}" is not accepted as the prefix of an ephemeral user's name: 1 to ${MAX_PREFIX} letters, digits, _ and - (no dots; "-" and ${RANDOM_PART_LENGTH} random characters follow). Leave it empty to derive one from the run.`
    )
  }
  return {
    usernamePrefix: prefix || undefined,
    roles: parseRoles(read('roles')),
    scopes: parseScopes(read('scopes')),
    ttlHours: parseInteger(read, 'ephemeral-ttl-hours', DEFAULTS['ephemeral-ttl-hours'], 1, 720),
    waitUntilReady: parseBoolean(read, 'wait-until-ready', DEFAULTS['wait-until-ready']),
    readyTimeoutSeconds: parseInteger(
      read,
      'ready-timeout-seconds',
      DEFAULTS['ready-timeout-seconds'],
      1,
      3600
    ),
    certificate: parseCertificateOptions(read, 1),
    ...parseEphemeralIssuer(read),
    reach: parseReachOptions(read)
  }
}

function slug(value: string, max: number): string {
  return (
    value
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, max)
      .replace(/-+$/, '') || 'job'
  )
}

/**
 * `gha-<run id>-<attempt>-<job>`: the default prefix, telling people which run a user is for. Free
 * of `.` (which broke Atlas's certs path once).
 */
export function derivePrefix(run: RunIdentity): string {
  return `gha-${slug(run.runId, 20)}-${slug(run.runAttempt, 4)}-${slug(run.job, 24)}`
    .slice(0, MAX_PREFIX)
    .replace(/-+$/, '')
}

/** `RANDOM_PART_LENGTH` characters of [a-z0-9], uniformly drawn. */
export function randomPart(): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz'
  return Array.from({ length: RANDOM_PART_LENGTH }, () => alphabet[randomInt(36)]).join('')
}

/**
 * `<prefix>-<random>`: a name never used before. Atlas cannot revoke a managed certificate, and a
 * later user of an old name would accept every unexpired certificate issued to the old one.
 */
export function ephemeralUsername(prefix: string, random: string = randomPart()): string {
  return `${prefix.slice(0, MAX_PREFIX)}-${random}`
}

export function ephemeralDescription(run: RunIdentity): string {
  const description = `Ephemeral X.509 user for ${run.repository} run ${run.runId} (atlas-x509-action)`
  return description.length > 100 ? `${description.slice(0, 99)}…` : description
}

export function ephemeralLabels(run: RunIdentity, expiresAt: string, stepNonce: string) {
  return [
    { key: LABELS.managedBy, value: MANAGED_BY },
    { key: LABELS.expiresAt, value: expiresAt },
    { key: LABELS.githubRun, value: runLabel(run) },
    { key: LABELS.stepNonce, value: stepNonce }
  ]
}

const roleText = (r: DatabaseRole) =>
  `${r.roleName}@${r.databaseName}${r.collectionName ? `.${r.collectionName}` : ''}`

/** The user this step is about to create: its names, the labels that make it this step's. */
export interface PlannedUser {
  /** The certificate's subject: CN=<prefix>-<random>, then the suffix (for a CUSTOMER user). */
  subject: NameAttribute[]
  /** The database user's name: the CN (MANAGED), or the subject as a DN (CUSTOMER). */
  username: string
  x509Type: 'MANAGED' | 'CUSTOMER'
  githubRun: string
  stepNonce: string
  expiresAt: string
}

/** Names and labels for a new user: random where they must never repeat, the rest from the run. */
export function planUser(
  config: Pick<EphemeralUserConfig, 'usernamePrefix' | 'issuer' | 'subjectSuffix' | 'ttlHours'>,
  run: RunIdentity,
  now: number,
  random: { part: string; nonce: string } = {
    part: randomPart(),
    nonce: randomBytes(12).toString('hex')
  }
): PlannedUser {
  const commonName = ephemeralUsername(config.usernamePrefix ?? derivePrefix(run), random.part)
  // With an issuer the user is named by its certificate's subject: CN=<name>,<suffix>.
  const subject = customerName(commonName, config.subjectSuffix)
  const customer = config.issuer !== undefined
  return {
    subject,
    username: customer ? formatDistinguishedName(subject) : commonName,
    x509Type: customer ? 'CUSTOMER' : 'MANAGED',
    githubRun: runLabel(run),
    stepNonce: random.nonce,
    expiresAt: new Date(now + config.ttlHours * 3600_000).toISOString()
  }
}

/** Whose the user is after this step's create: made by it (at once or by a retry), or another's. */
export type Ownership = 'created' | 'created-by-retry' | 'taken'

/**
 * A 201 made the user; a 409 is a retried create whose first attempt got through only when the
 * user that exists (`existing`, read after the 409) carries this step's github-run and nonce.
 */
export function ownershipAfterCreate(
  outcome: 'created' | 'exists',
  existing: DatabaseUser | undefined,
  user: Pick<PlannedUser, 'githubRun' | 'stepNonce'>
): Ownership {
  if (outcome === 'created') return 'created'
  return existing && isFromStep(existing, user.githubRun, user.stepNonce)
    ? 'created-by-retry'
    : 'taken'
}

/** The post step's record of the user (with cleanup): it reads the last value saved. */
function postStepRecord(user: PlannedUser, cleanup: boolean, ctx: StepContext) {
  const save = (value: string) => {
    if (cleanup) ctx.io.saveState(STATE.ephemeralUser, value)
  }
  const { username, githubRun, stepNonce } = user
  return {
    remember: (confirmed: boolean) => {
      const state: EphemeralUserState = {
        groupId: ctx.groupId,
        username,
        githubRun,
        stepNonce,
        confirmed
      }
      save(JSON.stringify(state))
    },
    // An empty value tells the post step there is nothing to delete.
    forget: () => save('')
  }
}

/**
 * Creates the user and makes sure it is this step's. The post step's record is saved before the
 * request (if the step is cancelled mid-request, the post step still looks), confirmed once the
 * user is this step's, and cleared when no user was created or the name is someone else's.
 */
async function createOwnedUser(
  config: EphemeralUserConfig,
  user: PlannedUser,
  run: RunIdentity,
  ctx: StepContext
): Promise<void> {
  const { api, groupId } = ctx
  const record = postStepRecord(user, config.certificate.cleanup, ctx)
  record.remember(false)
  let outcome: 'created' | 'exists'
  try {
    outcome = await api.createUser(groupId, {
      username: user.username,
      x509Type: user.x509Type,
      roles: config.roles,
      clusters: config.scopes,
      description: ephemeralDescription(run),
      labels: ephemeralLabels(run, user.expiresAt, user.stepNonce)
    })
  } catch (error) {
    // Refused outright (4xx): no user was created. A 5xx or no answer leaves it unknown, and
    // the post step then checks the labels before deleting.
    if (error instanceof AtlasApiError && error.status < 500) record.forget()
    throw error
  }
  // A retried create whose first attempt got through answers 409: ours only if it carries
  // this step's nonce.
  const existing = outcome === 'exists' ? await api.getUser(groupId, user.username) : undefined
  const ownership = ownershipAfterCreate(outcome, existing, user)
  if (ownership === 'taken') {
    record.forget()
    throw userTakenError(
      `A database user named ${user.username} already exists and was not created by this step (its labels do not carry this step's github-run and step-nonce); it is left untouched.`
    )
  }
  if (ownership === 'created-by-retry')
    ctx.io.info(`${user.username} was already created by this step (a retried request); using it.`)
  record.remember(true)
}

/** What becomes of the user when the step fails after creating it. */
export function fateOfUser(cleanup: boolean, username: string, expiresAt: string): string {
  return cleanup
    ? 'The post step deletes the user.'
    : `With cleanup false the user ${username} stays until prune-ephemeral-users deletes it after its expires-at label (${expiresAt}); delete it now with operation delete-user if it is of no use.`
}

/**
 * After the certificate: the temporary access-list entries, the wait until every cluster applies
 * the user and the entries are active, the connection strings from Atlas and, when asked, a proven
 * login. A failure says what becomes of the user, which exists and holds a certificate.
 */
async function makeReady(
  config: EphemeralUserConfig,
  user: PlannedUser,
  made: { issued: IssuedCertificate; path: string; entries: string[] },
  ctx: StepContext
): Promise<{ readiness: string; rows: Array<[string, string]> }> {
  const { io } = ctx
  const { reach, certificate, readyTimeoutSeconds: timeoutSeconds } = config
  const deadline = ctx.clock.now() + timeoutSeconds * 1000
  const rows: Array<[string, string]> = []
  let readiness = 'not waited for (wait-until-ready: false)'
  try {
    const added = await addEntries(made.entries, config.ttlHours, certificate.cleanup, ctx)
    if (wantsAccessList(reach.accessList)) {
      io.setOutput('access-list-entries', JSON.stringify(added))
      rows.push([
        'Access list',
        added.length > 0
          ? `added ${added.join(', ')}${certificate.cleanup ? ' (deleted by the post step)' : ''}`
          : 'every entry was already listed'
      ])
    }
    let listed
    if (config.waitUntilReady) {
      const ready = await waitUntilReady(config.scopes, timeoutSeconds, ctx)
      listed = ready.listed
      await waitUntilActive(added, deadline, timeoutSeconds, ctx)
      io.setOutput('ready-seconds', seconds(ready.waitedMs))
      readiness =
        ready.clusters.length === 0
          ? 'no cluster in the project'
          : `applied on ${ready.clusters.join(', ')} after ${seconds(ready.waitedMs)} s`
    }
    // Atlas's connection strings are read for a step that makes the user ready to connect (or
    // checks it can), never only for the output: wait-until-ready false sends nothing more.
    const given = certificate.connectionString
    const fromAtlas = !given && (config.waitUntilReady || reach.verifyLogin)
    const uris = given
      ? new Map([['the connection-string input', connectionStringFor(given, made.path)]])
      : fromAtlas
        ? connectionStrings(await reachedClusters(config.scopes, listed, ctx), made.path, ctx)
        : new Map<string, string>()
    if (fromAtlas) setConnectionOutputs(uris, ctx)
    if (reach.verifyLogin) {
      // MongoDB names a CUSTOMER user by its DN (the username), a MANAGED one CN=<username>.
      const expectedUser = user.x509Type === 'CUSTOMER' ? user.username : made.issued.subject
      const lines = await verifyLogins(uris, expectedUser, deadline, timeoutSeconds, ctx)
      rows.push(['Login verified', lines.join('; ')])
    }
  } catch (error) {
    if (!(error instanceof TitledError)) throw error
    // Its annotation, not its message: an Atlas error's message repeats the title and lacks the hint.
    throw new TitledError(
      error.title,
      `${error.annotation} ${fateOfUser(certificate.cleanup, user.username, user.expiresAt)}`
    )
  }
  return { readiness, rows }
}

/** The summary rows after the certificate's: what the user may do, where, and until when. */
export function ephemeralUserRows(
  access: Pick<EphemeralUserConfig, 'roles' | 'scopes'>,
  readiness: string,
  expiry: { expiresAt: string; cleanup: boolean },
  reachRows: ReadonlyArray<[string, string]> = []
): Array<[string, string]> {
  return [
    ['Roles', access.roles.map(roleText).join(', ')],
    ['Scopes', access.scopes.length > 0 ? access.scopes.join(', ') : 'all clusters of the project'],
    ['Ready to log in', readiness],
    ...reachRows,
    [
      'User expires',
      `${expiry.expiresAt} (${expiry.cleanup ? 'deleted by the post step' : 'left for prune-ephemeral-users'})`
    ]
  ]
}

/**
 * A database user that lives for one job: created with this action's labels, given a certificate,
 * and deleted by the post step (or, if no post step ran, by prune-ephemeral-users once expired).
 */
export const createEphemeralUser: Operation<EphemeralUserConfig> = {
  name: 'create-ephemeral-user',
  // The readiness polls of several clusters go out together.
  parallelRequests: PARALLEL_POLLS,
  parse: parseEphemeralUser,
  async run(config, ctx) {
    const run = runIdentity(ctx.env)
    const path = await prepareCertificatePath(config.certificate, ctx)
    const issuer = config.issuer && (await openTrustedIssuer(config.issuer, ctx))
    // The runner's address is asked for before anything is created: no answer, nothing made.
    const entries = await resolveEntries(config.reach.accessList, ctx)
    const user = planUser(config, run, ctx.clock.now())
    await createOwnedUser(config, user, run, ctx)
    ctx.io.info(
      `Created the ephemeral ${user.x509Type} X.509 user ${user.username} ($external) in project ${ctx.groupId}, labelled to expire at ${user.expiresAt}.`
    )

    const notAfter = ephemeralNotAfter(ctx.clock.now(), config.ttlHours)
    const source = issuer && locallySigned(issuer, user.subject, config.issuer!.keyType, notAfter)
    const { rows, issued } = await deliverCertificate(
      user.username,
      config.certificate,
      path,
      ctx,
      source
    )
    const ready = await makeReady(config, user, { issued, path, entries }, ctx)
    await ctx.summary('Atlas ephemeral X.509 user', [
      ...rows,
      ...ephemeralUserRows(
        config,
        ready.readiness,
        { expiresAt: user.expiresAt, cleanup: config.certificate.cleanup },
        ready.rows
      )
    ])
  }
}
