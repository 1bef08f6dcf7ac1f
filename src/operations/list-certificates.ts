import { EXTERNAL_DATABASE } from '../atlas/api.js'
import { parseExpiryWarningDays, parseUsername } from '../inputs/inputs.js'
import { normalisedIsoUtc } from '../iso-date.js'
import { TitledError } from '../errors.js'
import { mapLimited, type RequestLimiter } from '../atlas/limiter.js'
import type { Operation, StepContext } from './operation.js'
import {
  listUsersOfProjects,
  PARALLEL_REQUESTS,
  projectsInScope,
  requestLimiter,
  type ProjectUsers,
  type SkippedProject
} from './projects.js'
import {
  nearUserLimit,
  readUserLimits,
  USER_LIMIT_WARNING_SHARE,
  warnNearUserLimit
} from './user-limit.js'
import { daysUntil, MAX_WARNINGS_PER_STEP, warnAboutExpiry } from './expiry.js'
import { isExpiredEphemeralUser } from './ephemeral-labels.js'

/** One certificate of the list, as the `certificates` output carries it. */
export interface CertificateSummary {
  username: string
  id: string
  subject: string
  createdAt: string
  notAfter: string
  /** The user's project. */
  groupId: string
}

/** A certificate's owner: the user and its project. */
export interface Owner {
  groupId: string
  username: string
}

export type CertificateStatus = 'ok' | 'renew soon' | 'expired'

/**
 * Certificate records held at most, across every user: about 50 MB. Past it the step fails rather
 * than grow until the runner runs out of memory (a project of thousands of users, each with
 * thousands of certificates).
 */
export const MAX_CERTIFICATES = 100_000
/** The `certificates` output in bytes at most: GitHub keeps an output of up to 1 MB. */
export const MAX_CERTIFICATES_OUTPUT_BYTES = 1_000_000
/** Rows of the step summary's certificate table at most: the summary holds 1 MiB. */
export const MAX_TABLE_ROWS = 200
/** Users without a certificate warned about one by one; more are named in one warning. */
const MAX_USER_WARNINGS = 3

const DAY_MS = 86_400_000

/** Atlas's date, re-written; '' (and reported) when it is not an ISO 8601 UTC date. */
const iso = (value: string | undefined) => normalisedIsoUtc(value) ?? ''
/** Unreadable expiries ('') sort last: they are neither the next nor the latest expiry. */
const expiryOrder = (c: CertificateSummary) =>
  c.notAfter ? Date.parse(c.notAfter) : Number.MAX_SAFE_INTEGER

/**
 * `fn` over `items`, at most `limit` at a time, results in the order of `items`. The first failure
 * is thrown, and no item is started after it.
 */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length)
  let next = 0
  let failed = false
  const worker = async () => {
    while (next < items.length && !failed) {
      const index = next++
      try {
        results[index] = await fn(items[index]!)
      } catch (error) {
        failed = true
        throw error
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

/**
 * Each user's newest certificate (latest notAfter): the one whose expiry matters. An older one
 * ending while a newer one is valid needs no action.
 */
export function newestPerUser(certificates: readonly CertificateSummary[]): CertificateSummary[] {
  const newest = new Map<string, CertificateSummary>()
  for (const c of certificates) {
    // Users of different projects are different users, whatever their names.
    const owner = `${c.groupId}\u0000${c.username}`
    const current = newest.get(owner)
    if (!current || Date.parse(c.notAfter) > Date.parse(current.notAfter)) newest.set(owner, c)
  }
  return [...newest.values()]
}

/** `expired`, `renew soon` (the user's newest, within the warning window) or `ok`. */
export function certificateStatus(
  certificate: CertificateSummary,
  isNewest: boolean,
  warningDays: number,
  now: number
): CertificateStatus {
  const left = Date.parse(certificate.notAfter) - now
  if (left <= 0) return 'expired'
  if (isNewest && left <= warningDays * DAY_MS) return 'renew soon'
  return 'ok'
}

/** More certificates than MAX_CERTIFICATES: the list is refused, never cut short. */
export class TooManyCertificatesError extends TitledError {
  constructor(read: number, usersRead: number, users: number) {
    super(
      'Too many certificates',
      `${read} certificates from ${usersRead} of ${users} user(s) read so far, more than the ${MAX_CERTIFICATES} that list-certificates holds in one step; nothing is reported rather than an incomplete list. List the users one at a time with the username input, or delete the users that are no longer needed (delete-user).`
    )
  }
}

/** Counts the certificate records held, and refuses more than MAX_CERTIFICATES. */
class CertificateTally {
  held = 0
  usersRead = 0
  constructor(private readonly users: number) {}

  add(count: number): void {
    this.held += count
    this.usersRead += 1
    if (this.held > MAX_CERTIFICATES)
      throw new TooManyCertificatesError(this.held, this.usersRead, this.users)
  }
}

async function readCertificates(
  ctx: StepContext,
  { groupId, username }: Owner,
  tally: CertificateTally
): Promise<CertificateSummary[]> {
  const records = await ctx.api.listCertificates(groupId, username)
  tally.add(records.length)
  return records.map(record => ({
    username,
    id: String(record._id ?? ''),
    subject: record.subject ?? '',
    createdAt: iso(record.createdAt),
    notAfter: iso(record.notAfter),
    groupId
  }))
}

/**
 * The items as a JSON array of at most `maxBytes` (UTF-8), keeping whole items from the first:
 * how many fit.
 */
export function boundedJsonArray(
  items: readonly unknown[],
  maxBytes: number
): { json: string; kept: number } {
  const parts: string[] = []
  let bytes = 2
  for (const item of items) {
    const text = JSON.stringify(item)
    const added = Buffer.byteLength(text) + (parts.length > 0 ? 1 : 0)
    if (bytes + added > maxBytes) break
    parts.push(text)
    bytes += added
  }
  return { json: `[${parts.join(',')}]`, kept: parts.length }
}

/** A name for a message that must stay short. */
const shortName = (name: string) => (name.length > 100 ? `${name.slice(0, 100)}…` : name)

/** Up to ten names and how many more. */
function someNames(names: readonly string[]): string {
  const more = names.length - 10
  return names.slice(0, 10).map(shortName).join(', ') + (more > 0 ? ` … and ${more} more` : '')
}

/** A user as messages name it: with its project in an organisation step, where names repeat. */
const ownerName = (owner: Owner, orgWide: boolean) =>
  orgWide ? `${owner.username} (project ${owner.groupId})` : owner.username

/**
 * A warning for each user without a certificate, or one naming them all when there are more than
 * a few (the runner shows 10 warnings per step). How many warnings it made.
 */
function warnAboutUsersWithout(ctx: StepContext, usernames: readonly string[]): number {
  const advice =
    'issue one with create-certificate, or delete the user with delete-user if it is no longer used'
  const title = 'No unexpired certificate'
  if (usernames.length === 0) return 0
  if (usernames.length <= MAX_USER_WARNINGS) {
    for (const username of usernames)
      ctx.io.warning(
        `The Atlas-managed X.509 user ${shortName(username)} has no unexpired certificate: nothing can log in as it; ${advice}.`,
        title
      )
    return usernames.length
  }
  ctx.io.warning(
    `${usernames.length} Atlas-managed X.509 users have no unexpired certificate (the users-without-certificate output lists them all): ${someNames(usernames)}. Nothing can log in as them; ${advice}.`,
    title
  )
  return 1
}

/** What one list holds: every certificate read, and the users left without a usable one. */
export interface Inventory {
  /** Sorted by expiry (unreadable ones last), then by user. */
  certificates: CertificateSummary[]
  /** Those with a readable expiry, in the same order. */
  dated: CertificateSummary[]
  /** Those with a createdAt or notAfter that is not an ISO 8601 UTC date. */
  undated: CertificateSummary[]
  /** Users (of a whole-project list) without an unexpired certificate. */
  usersWithout: Owner[]
}

/**
 * What was read (`perUser[i]` is the list of `usernames[i]`), sorted, and who has no usable
 * certificate left at `now`.
 */
export function takeInventory(
  owners: readonly Owner[],
  perUser: ReadonlyArray<readonly CertificateSummary[]>,
  now: number,
  wholeProject: boolean
): Inventory {
  // A certificate with an unreadable expiry may still be valid: its user is not called one without.
  const usable = (c: CertificateSummary) => !c.notAfter || Date.parse(c.notAfter) > now
  const certificates = perUser
    .flat()
    .sort((a, b) => expiryOrder(a) - expiryOrder(b) || a.username.localeCompare(b.username))
  return {
    certificates,
    dated: certificates.filter(c => c.notAfter),
    undated: certificates.filter(c => !c.notAfter || !c.createdAt),
    usersWithout: wholeProject ? owners.filter((_, index) => !perUser[index]!.some(usable)) : []
  }
}

/** The info line that sums up the list; `whose` names the user, or counts the users. */
export function inventoryLine(inventory: Inventory, whose: string, oneUser: boolean): string {
  const { certificates, dated, usersWithout } = inventory
  if (certificates.length === 0)
    return `${whose} ha${oneUser ? 's' : 've'} no unexpired certificates.`
  const withoutNote =
    usersWithout.length > 0
      ? ` ${usersWithout.length} of them ha${usersWithout.length === 1 ? 's' : 've'} no unexpired certificate.`
      : ''
  return (
    (dated.length === 0
      ? `${whose}: ${certificates.length} unexpired certificate(s), none with a readable expiry.`
      : `${whose}: ${certificates.length} unexpired certificate(s); the next expires at ${dated[0]!.notAfter}, the latest at ${dated.at(-1)!.notAfter}.`) +
    withoutNote
  )
}

/** One warning about certificates whose dates do not read; how many warnings it made. */
function warnAboutUndated(undated: readonly CertificateSummary[], ctx: StepContext): number {
  if (undated.length === 0) return 0
  ctx.io.warning(
    `Atlas listed ${undated.length} certificate(s) with a createdAt or notAfter that is not an ISO 8601 UTC date (id ${undated
      .slice(0, 10)
      .map(c => c.id)
      .join(', ')}${undated.length > 10 ? ', …' : ''}); those dates are left empty.`,
    'Unreadable certificate dates'
  )
  return 1
}

/** The list's outputs, and a warning if the certificates output was cut; how many warnings. */
function setListOutputs(inventory: Inventory, oneUser: boolean, ctx: StepContext): number {
  const orgWide = ctx.orgId !== undefined
  const { io } = ctx
  const { certificates, dated } = inventory
  const output = boundedJsonArray(certificates, MAX_CERTIFICATES_OUTPUT_BYTES)
  const cut = output.kept < certificates.length
  if (cut) {
    io.warning(
      `The certificates output holds the ${output.kept} soonest-expiring of ${certificates.length} certificates: GitHub keeps an output of up to 1 MB. count, next-expiry and latest-expiry cover all of them; list one user at a time (username) for every entry.`,
      'Certificates output cut'
    )
  }
  io.setOutput('certificates', output.json)
  io.setOutput('count', String(certificates.length))
  io.setOutput('next-expiry', dated[0]?.notAfter ?? '')
  io.setOutput('latest-expiry', dated.at(-1)?.notAfter ?? '')
  // One project: the usernames; an organisation: each with its project.
  if (!oneUser)
    io.setOutput(
      'users-without-certificate',
      JSON.stringify(
        orgWide ? inventory.usersWithout : inventory.usersWithout.map(owner => owner.username)
      )
    )
  return cut ? 1 : 0
}

/**
 * The rows of the certificate table, users without a certificate first (they need action before
 * any certificate does), cut at MAX_TABLE_ROWS with a row saying how many more there are.
 */
export function certificateTableRows(
  inventory: Inventory,
  newest: ReadonlySet<CertificateSummary>,
  warningDays: number,
  now: number,
  /** An organisation's projects in order: rows then lead with the project and group by it. */
  projectOrder?: ReadonlyMap<string, number>
): string[][] {
  const where = (owner: Owner) => (projectOrder ? [owner.groupId] : [])
  const rowsOf: Array<[Owner, string[]]> = [
    ...inventory.usersWithout.map((owner): [Owner, string[]] => [
      owner,
      [...where(owner), owner.username, '', '', '', '', 'none']
    ]),
    ...inventory.certificates.map((c): [Owner, string[]] => [
      c,
      [
        ...where(c),
        c.username,
        c.id,
        c.subject,
        c.notAfter || 'unreadable',
        c.notAfter ? String(daysUntil(c.notAfter, now)) : '',
        c.notAfter ? certificateStatus(c, newest.has(c), warningDays, now) : 'unknown'
      ]
    ])
  ]
  if (projectOrder)
    rowsOf.sort(([a], [b]) => projectOrder.get(a.groupId)! - projectOrder.get(b.groupId)!)
  const rows = rowsOf.map(([, row]) => row)
  const more = rows.length - MAX_TABLE_ROWS
  const last = [...where({ groupId: '…', username: '' }), projectOrder ? '' : '…']
  return more > 0
    ? [
        ...rows.slice(0, MAX_TABLE_ROWS),
        [...last, `${more} more rows not listed here`, '', '', '', '']
      ]
    : rows
}

const isManagedX509 = (user: { databaseName: string; x509Type?: string }) =>
  user.databaseName === EXTERNAL_DATABASE && user.x509Type === 'MANAGED'

/** What the watch read of its projects: their users, limits, and those it could not read. */
interface ProjectsRead {
  projects: ProjectUsers[]
  skipped: SkippedProject[]
  limits: Map<string, number>
  warnings: number
}

/**
 * The project's (or, with org-id, every project's) users and database-user limits, read together
 * through the limiter.
 */
async function readProjects(ctx: StepContext, limiter: RequestLimiter): Promise<ProjectsRead> {
  const inScope = await projectsInScope(ctx, limiter)
  const listing = listUsersOfProjects(ctx, limiter, inScope)
  const limitsRead = readUserLimits(ctx, limiter, inScope)
  const { listed, skipped, warnings } = await listing
  return { projects: listed, skipped, limits: await limitsRead, warnings }
}

/** The Atlas-managed X.509 users of the projects read, as the watch takes them. */
export interface ManagedOwners {
  /** Those whose certificates are read. */
  watched: Owner[]
  /**
   * Ephemeral users past their expires-at (at `now`): left to prune-ephemeral-users, which deletes
   * exactly these; their certificates are not read.
   */
  expiredEphemeral: Owner[]
}

/** The Atlas-managed X.509 users of the projects read, split into those watched and those expired. */
export function managedOwners(projects: readonly ProjectUsers[], now: number): ManagedOwners {
  const split: ManagedOwners = { watched: [], expiredEphemeral: [] }
  for (const { project, users } of projects)
    for (const user of users.filter(isManagedX509))
      (isExpiredEphemeralUser(user, now) ? split.expiredEphemeral : split.watched).push({
        groupId: project.id,
        username: user.username
      })
  return split
}

/**
 * One warning naming the expired ephemeral users whose certificates were not read, when the
 * budget allows; how many warnings it made.
 */
function warnAboutExpiredEphemeral(
  ctx: StepContext,
  owners: readonly Owner[],
  orgWide: boolean,
  maxWarnings: number
): number {
  if (owners.length === 0 || maxWarnings <= 0) return 0
  ctx.io.warning(
    `${owners.length} ephemeral user(s) created by this action are past their expires-at and not yet deleted: ${someNames(owners.map(owner => ownerName(owner, orgWide)))}. Their certificates were not read. prune-ephemeral-users deletes them (run it on a schedule); until then they count against their project's database-user limit.`,
    'Expired ephemeral users'
  )
  return 1
}

/** Each user's certificates, in the order of `owners`, through the step's limiter. */
async function readEveryUser(
  owners: readonly Owner[],
  limiter: RequestLimiter,
  ctx: StepContext
): Promise<CertificateSummary[][]> {
  const tally = new CertificateTally(owners.length)
  return mapLimited(limiter, owners, owner => readCertificates(ctx, owner, tally))
}

/** The organisation step's table of projects: what each holds, and those skipped. */
export function projectTableRows(
  read: Pick<ProjectsRead, 'projects' | 'skipped' | 'limits'>,
  owners: readonly Owner[],
  perUser: readonly CertificateSummary[][],
  expiredEphemeral: readonly Owner[]
): string[][] {
  const managed = new Map<string, number>()
  const held = new Map<string, number>()
  const expired = new Map<string, number>()
  owners.forEach((owner, index) => {
    managed.set(owner.groupId, (managed.get(owner.groupId) ?? 0) + 1)
    held.set(owner.groupId, (held.get(owner.groupId) ?? 0) + perUser[index]!.length)
  })
  for (const owner of expiredEphemeral)
    expired.set(owner.groupId, (expired.get(owner.groupId) ?? 0) + 1)
  const rows = [
    ...read.projects.map(({ project, users }) => {
      const limit = read.limits.get(project.id)
      return [
        project.id,
        project.name,
        limit === undefined ? String(users.length) : `${users.length} of ${limit}`,
        String(managed.get(project.id) ?? 0),
        String(expired.get(project.id) ?? 0),
        String(held.get(project.id) ?? 0),
        limit !== undefined && nearUserLimit(users.length, limit) ? 'near the user limit' : 'read'
      ]
    }),
    ...read.skipped.map(s => [s.groupId, s.name, '', '', '', '', `skipped: ${s.error}`])
  ]
  const more = rows.length - MAX_TABLE_ROWS
  return more > 0
    ? [
        ...rows.slice(0, MAX_TABLE_ROWS),
        ['…', `${more} more projects not listed here`, '', '', '', '', '']
      ]
    : rows
}

/** The summary's rows: whose certificates, how many, and how many users need action. */
export function listSummaryRows(
  username: string | undefined,
  users: number,
  inventory: Inventory,
  warningDays: number,
  renewSoon: number,
  organisation?: { projects: number; skipped: number; nearLimit: number },
  /** Expired ephemeral users whose certificates were not read. */
  expiredEphemeral = 0
): Array<[string, string]> {
  return [
    ...(organisation
      ? [
          [
            'Projects',
            `${organisation.projects} read${organisation.skipped > 0 ? `, ${organisation.skipped} skipped (the credential cannot read them)` : ''}`
          ] as [string, string]
        ]
      : []),
    username ? ['User', username] : ['Atlas-managed X.509 users', String(users)],
    ...(expiredEphemeral > 0
      ? [
          ['Expired ephemeral users (certificates not read)', String(expiredEphemeral)] as [
            string,
            string
          ]
        ]
      : []),
    ['Unexpired certificates', String(inventory.certificates.length)],
    ...(username
      ? []
      : [
          ['Users without an unexpired certificate', String(inventory.usersWithout.length)] as [
            string,
            string
          ]
        ]),
    [`Users to renew within ${warningDays} days`, String(renewSoon)],
    ...(organisation && organisation.nearLimit > 0
      ? [
          [
            `Projects at ${Math.round(USER_LIMIT_WARNING_SHARE * 100)} % of their database-user limit`,
            String(organisation.nearLimit)
          ] as [string, string]
        ]
      : [])
  ]
}

/**
 * Every unexpired certificate of a user, or without `username` of every Atlas-managed X.509 user
 * of the project (or of every project of the `org-id` organisation), sorted by expiry, with a
 * warning per user whose newest certificate ends soon and per project near its database-user limit.
 * The ephemeral users that prune-ephemeral-users would delete as expired are counted and named,
 * not read: their certificates are leftovers, and each would cost a request.
 */
export const listCertificates: Operation<{
  username: string | undefined
  expiryWarningDays: number
}> = {
  name: 'list-certificates',
  parallelRequests: PARALLEL_REQUESTS,
  orgWide: read => !read('username'),
  parse: read => ({
    username: read('username') ? parseUsername(read) : undefined,
    expiryWarningDays: parseExpiryWarningDays(read)
  }),
  async run({ username, expiryWarningDays }, ctx) {
    const oneUser = username !== undefined
    const orgWide = ctx.orgId !== undefined
    const limiter = requestLimiter(ctx)
    const read: ProjectsRead = oneUser
      ? { projects: [], skipped: [], limits: new Map(), warnings: 0 }
      : await readProjects(ctx, limiter)
    if (!oneUser) ctx.io.setOutput('skipped-projects', JSON.stringify(read.skipped))
    // The named user is always read; the whole-project watch leaves expired ephemeral users out.
    const { watched: owners, expiredEphemeral } = username
      ? { watched: [{ groupId: ctx.groupId, username }], expiredEphemeral: [] }
      : managedOwners(read.projects, ctx.clock.now())
    const perUser = await readEveryUser(owners, limiter, ctx)
    const now = ctx.clock.now()
    const inventory = takeInventory(owners, perUser, now, !oneUser)
    let warnings = read.warnings + warnAboutUndated(inventory.undated, ctx)
    warnings += setListOutputs(inventory, oneUser, ctx)
    const notRead =
      expiredEphemeral.length > 0
        ? ` (not counting ${expiredEphemeral.length} expired ephemeral user(s), whose certificates were not read)`
        : ''
    const whose =
      username ??
      `${owners.length} Atlas-managed X.509 user(s)${orgWide ? ` in ${read.projects.length} project(s)` : ''}${notRead}`
    ctx.io.info(inventoryLine(inventory, whose, oneUser))
    warnings += warnAboutUsersWithout(
      ctx,
      inventory.usersWithout.map(owner => ownerName(owner, orgWide))
    )
    // Every user of a project counts against its limit, expired ephemeral ones too.
    const nearLimit = warnNearUserLimit(
      ctx,
      read.projects,
      read.limits,
      MAX_WARNINGS_PER_STEP - 1 - warnings
    )
    if (nearLimit.length > 0) warnings += 1
    warnings += warnAboutExpiredEphemeral(
      ctx,
      expiredEphemeral,
      orgWide,
      MAX_WARNINGS_PER_STEP - 1 - warnings
    )

    const newest = new Set(newestPerUser(inventory.dated))
    const soon = warnAboutExpiry(
      ctx,
      [...newest].map(c => ({
        name: `The newest certificate of ${c.username} (${orgWide ? `project ${c.groupId}, ` : ''}${c.id})`,
        notAfter: c.notAfter
      })),
      expiryWarningDays,
      'issue a new one with create-certificate before then',
      MAX_WARNINGS_PER_STEP - warnings
    )
    await ctx.summary(
      username ? `Atlas X.509 certificates of ${username}` : 'Atlas X.509 certificates',
      listSummaryRows(
        username,
        owners.length,
        inventory,
        expiryWarningDays,
        soon,
        orgWide
          ? {
              projects: read.projects.length,
              skipped: read.skipped.length,
              nearLimit: nearLimit.length
            }
          : undefined,
        expiredEphemeral.length
      )
    )
    if (orgWide) {
      await ctx.io.summaryTable(
        'Projects',
        [
          'Project',
          'Name',
          'Database users',
          'Atlas-managed X.509 users',
          'Expired ephemeral users (not read)',
          'Unexpired certificates',
          'Status'
        ],
        projectTableRows(read, owners, perUser, expiredEphemeral)
      )
    }
    const projectOrder = orgWide
      ? new Map(read.projects.map(({ project }, index) => [project.id, index]))
      : undefined
    const rows = certificateTableRows(inventory, newest, expiryWarningDays, now, projectOrder)
    if (rows.length > 0) {
      await ctx.io.summaryTable(
        'Certificates by days left',
        [
          ...(orgWide ? ['Project'] : []),
          'User',
          'Certificate',
          'Subject',
          'Expires',
          'Days left',
          'Status'
        ],
        rows
      )
    }
  }
}
