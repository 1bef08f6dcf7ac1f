import { randomBytes, randomInt } from 'node:crypto'
import { userTakenError, type DatabaseRole } from '../atlas/api.js'
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
import { waitUntilReady, seconds } from './ephemeral-readiness.js'
import { isFromStep, LABELS, MANAGED_BY } from './ephemeral-labels.js'
import { STATE, type Operation } from './operation.js'
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

/**
 * A database user that lives for one job: created with this action's labels, given a certificate,
 * and deleted by the post step (or, if no post step ran, by prune-ephemeral-users once expired).
 */
export const createEphemeralUser: Operation<EphemeralUserConfig> = {
  name: 'create-ephemeral-user',
  parse: parseEphemeralUser,
  async run(config, ctx) {
    const { api, groupId, io } = ctx
    const run = runIdentity(ctx.env)
    const path = await prepareCertificatePath(config.certificate, ctx)
    const issuer = config.issuer && (await openTrustedIssuer(config.issuer, ctx))
    const commonName = ephemeralUsername(config.usernamePrefix ?? derivePrefix(run))
    // With an issuer the user is named by its certificate's subject: CN=<name>,<suffix>.
    const subject = customerName(commonName, config.subjectSuffix)
    const username = issuer ? formatDistinguishedName(subject) : commonName
    const stepNonce = randomBytes(12).toString('hex')
    // The runner's address is asked for before anything is created: no answer, nothing made.
    const entries = await resolveEntries(config.reach.accessList, ctx)
    const expiresAt = new Date(ctx.clock.now() + config.ttlHours * 3600_000).toISOString()
    const githubRun = runLabel(run)
    const cleanup = config.certificate.cleanup

    const remember = (confirmed: boolean) => {
      if (!cleanup) return
      const state: EphemeralUserState = { groupId, username, githubRun, stepNonce, confirmed }
      io.saveState(STATE.ephemeralUser, JSON.stringify(state))
    }
    // The post step reads the last value saved: an empty one tells it there is nothing to delete.
    const forget = () => {
      if (cleanup) io.saveState(STATE.ephemeralUser, '')
    }
    // Saved before the request: if the step is cancelled mid-request, the post step still looks.
    remember(false)
    let outcome: 'created' | 'exists'
    try {
      outcome = await api.createUser(groupId, {
        username,
        x509Type: issuer ? 'CUSTOMER' : 'MANAGED',
        roles: config.roles,
        clusters: config.scopes,
        description: ephemeralDescription(run),
        labels: ephemeralLabels(run, expiresAt, stepNonce)
      })
    } catch (error) {
      // Refused outright (4xx): no user was created. A 5xx or no answer leaves it unknown, and
      // the post step then checks the labels before deleting.
      if (error instanceof AtlasApiError && error.status < 500) forget()
      throw error
    }
    if (outcome === 'exists') {
      // A retried create whose first attempt got through answers 409: ours only if it carries
      // this step's nonce.
      const existing = await api.getUser(groupId, username)
      if (!existing || !isFromStep(existing, githubRun, stepNonce)) {
        forget()
        throw userTakenError(
          `A database user named ${username} already exists and was not created by this step (its labels do not carry this step's github-run and step-nonce); it is left untouched.`
        )
      }
      io.info(`${username} was already created by this step (a retried request); using it.`)
    }
    remember(true)
    io.info(
      `Created the ephemeral ${issuer ? 'CUSTOMER' : 'MANAGED'} X.509 user ${username} ($external) in project ${groupId}, labelled to expire at ${expiresAt}.`
    )

    const source =
      issuer &&
      locallySigned(
        issuer,
        subject,
        config.issuer!.keyType,
        ephemeralNotAfter(ctx.clock.now(), config.ttlHours)
      )
    const { rows, issued } = await deliverCertificate(
      username,
      config.certificate,
      path,
      ctx,
      source
    )
    const timeoutSeconds = config.readyTimeoutSeconds
    const deadline = ctx.clock.now() + timeoutSeconds * 1000
    const reach = config.reach
    let readiness = 'not waited for (wait-until-ready: false)'
    const reachRows: Array<[string, string]> = []
    // What becomes of the user, which exists and holds a certificate, when what follows fails.
    // Its annotation, not its message: an Atlas error's message repeats the title and lacks the hint.
    const withUserFate = (error: unknown): never => {
      if (!(error instanceof TitledError)) throw error
      throw new TitledError(
        error.title,
        `${error.annotation} ${
          cleanup
            ? 'The post step deletes the user.'
            : `With cleanup false the user ${username} stays until prune-ephemeral-users deletes it after its expires-at label (${expiresAt}); delete it now with operation delete-user if it is of no use.`
        }`
      )
    }
    try {
      const added = await addEntries(entries, config.ttlHours, cleanup, ctx)
      if (wantsAccessList(reach.accessList)) {
        io.setOutput('access-list-entries', JSON.stringify(added))
        reachRows.push([
          'Access list',
          added.length > 0
            ? `added ${added.join(', ')}${cleanup ? ' (deleted by the post step)' : ''}`
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
      // Atlas's connection strings are read for a step that makes the user ready to connect
      // (or checks it can), never only for the output: wait-until-ready false sends nothing more.
      const given = config.certificate.connectionString
      const fromAtlas = !given && (config.waitUntilReady || reach.verifyLogin)
      const uris = given
        ? new Map([['the connection-string input', connectionStringFor(given, path)]])
        : fromAtlas
          ? connectionStrings(await reachedClusters(config.scopes, listed, ctx), path, ctx)
          : new Map<string, string>()
      if (fromAtlas) setConnectionOutputs(uris, ctx)
      if (reach.verifyLogin) {
        // MongoDB names a CUSTOMER user by its DN (the username), a MANAGED one CN=<username>.
        const expectedUser = issuer ? username : issued.subject
        const lines = await verifyLogins(uris, expectedUser, deadline, timeoutSeconds, ctx)
        reachRows.push(['Login verified', lines.join('; ')])
      }
    } catch (error) {
      withUserFate(error)
    }
    await io.summary('Atlas ephemeral X.509 user', [
      ['Operation', 'create-ephemeral-user'],
      ['Project', groupId],
      ...rows,
      ['Roles', config.roles.map(roleText).join(', ')],
      [
        'Scopes',
        config.scopes.length > 0 ? config.scopes.join(', ') : 'all clusters of the project'
      ],
      ['Ready to log in', readiness],
      ...reachRows,
      [
        'User expires',
        `${expiresAt} (${cleanup ? 'deleted by the post step' : 'left for prune-ephemeral-users'})`
      ]
    ])
  }
}
