import { EXTERNAL_DATABASE } from '../atlas/api.js'
import { parseExpiryWarningDays, parseUsername } from '../inputs/inputs.js'
import { normalisedIsoUtc } from '../iso-date.js'
import type { Operation, OperationContext } from './operation.js'
import { daysUntil, warnAboutExpiry } from './expiry.js'

/** One certificate of the list, as the `certificates` output carries it. */
export interface CertificateSummary {
  username: string
  id: string
  subject: string
  createdAt: string
  notAfter: string
}

export type CertificateStatus = 'ok' | 'renew soon' | 'expired'

/** Users whose certificates are read at the same time. */
export const USER_CONCURRENCY = 4

const DAY_MS = 86_400_000

/** Atlas's date, re-written; '' (and reported) when it is not an ISO 8601 UTC date. */
const iso = (value: string | undefined) => normalisedIsoUtc(value) ?? ''
/** Unreadable expiries ('') sort last: they are neither the next nor the latest expiry. */
const expiryOrder = (c: CertificateSummary) =>
  c.notAfter ? Date.parse(c.notAfter) : Number.MAX_SAFE_INTEGER

/** `fn` over `items`, at most `limit` at a time, results in the order of `items`. */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await fn(items[index]!)
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
    const current = newest.get(c.username)
    if (!current || Date.parse(c.notAfter) > Date.parse(current.notAfter)) newest.set(c.username, c)
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

async function readCertificates(
  ctx: OperationContext,
  username: string
): Promise<CertificateSummary[]> {
  const records = await ctx.api.listCertificates(ctx.groupId, username)
  return records.map(record => ({
    username,
    id: String(record._id ?? ''),
    subject: record.subject ?? '',
    createdAt: iso(record.createdAt),
    notAfter: iso(record.notAfter)
  }))
}

/**
 * Every unexpired certificate of a user, or without `username` of every Atlas-managed X.509 user
 * of the project, sorted by expiry, with a warning per user whose newest certificate ends soon.
 */
export const listCertificates: Operation<{
  username: string | undefined
  expiryWarningDays: number
}> = {
  name: 'list-certificates',
  parse: read => ({
    username: read('username') ? parseUsername(read) : undefined,
    expiryWarningDays: parseExpiryWarningDays(read)
  }),
  async run({ username, expiryWarningDays }, ctx) {
    const { groupId, io } = ctx
    const usernames = username
      ? [username]
      : (await ctx.api.listUsers(groupId))
          .filter(user => user.databaseName === EXTERNAL_DATABASE && user.x509Type === 'MANAGED')
          .map(user => user.username)
    const perUser = await mapConcurrently(usernames, USER_CONCURRENCY, name =>
      readCertificates(ctx, name)
    )
    const certificates = perUser
      .flat()
      .sort((a, b) => expiryOrder(a) - expiryOrder(b) || a.username.localeCompare(b.username))
    const undated = certificates.filter(c => !c.notAfter || !c.createdAt)
    if (undated.length > 0) {
      io.warning(
        `Atlas listed ${undated.length} certificate(s) with a createdAt or notAfter that is not an ISO 8601 UTC date (id ${undated
          .slice(0, 10)
          .map(c => c.id)
          .join(', ')}${undated.length > 10 ? ', …' : ''}); those dates are left empty.`,
        'Unreadable certificate dates'
      )
    }
    const dated = certificates.filter(c => c.notAfter)

    io.setOutput('certificates', JSON.stringify(certificates))
    io.setOutput('count', String(certificates.length))
    io.setOutput('next-expiry', dated[0]?.notAfter ?? '')
    io.setOutput('latest-expiry', dated.at(-1)?.notAfter ?? '')
    const whose = username ?? `${usernames.length} Atlas-managed X.509 user(s)`
    io.info(
      certificates.length === 0
        ? `${whose} ha${username ? 's' : 've'} no unexpired certificates.`
        : dated.length === 0
          ? `${whose}: ${certificates.length} unexpired certificate(s), none with a readable expiry.`
          : `${whose}: ${certificates.length} unexpired certificate(s); the next expires at ${dated[0]!.notAfter}, the latest at ${dated.at(-1)!.notAfter}.`
    )

    const newest = new Set(newestPerUser(dated))
    const soon = warnAboutExpiry(
      ctx,
      [...newest].map(c => ({
        name: `The newest certificate of ${c.username} (${c.id})`,
        notAfter: c.notAfter
      })),
      expiryWarningDays,
      'issue a new one with create-certificate before then'
    )
    const now = ctx.clock.now()
    await io.summary(
      username ? `Atlas X.509 certificates of ${username}` : 'Atlas X.509 certificates',
      [
        ['Operation', 'list-certificates'],
        ['Project', groupId],
        username ? ['User', username] : ['Atlas-managed X.509 users', String(usernames.length)],
        ['Unexpired certificates', String(certificates.length)],
        [`Users to renew within ${expiryWarningDays} days`, String(soon)]
      ]
    )
    if (certificates.length > 0) {
      await io.summaryTable(
        'Certificates by days left',
        ['User', 'Certificate', 'Subject', 'Expires', 'Days left', 'Status'],
        certificates.map(c => [
          c.username,
          c.id,
          c.subject,
          c.notAfter || 'unreadable',
          c.notAfter ? String(daysUntil(c.notAfter, now)) : '',
          c.notAfter ? certificateStatus(c, newest.has(c), expiryWarningDays, now) : 'unknown'
        ])
      )
    }
  }
}
