import { parseExpiryWarningDays, parseUsername } from '../inputs/inputs.js'
import { normalisedIsoUtc } from '../iso-date.js'
import type { Operation } from './operation.js'
import { daysUntil, warnAboutExpiry } from './expiry.js'

/** One certificate of the list, as the `certificates` output carries it. */
export interface CertificateSummary {
  id: string
  subject: string
  createdAt: string
  notAfter: string
}

/** Atlas's date, re-written; '' (and reported) when it is not an ISO 8601 UTC date. */
const iso = (value: string | undefined) => normalisedIsoUtc(value) ?? ''
const expiryOrder = (c: CertificateSummary) =>
  c.notAfter ? Date.parse(c.notAfter) : Number.MAX_SAFE_INTEGER

/** Every unexpired certificate of a user, sorted by expiry, with warnings for those that end soon. */
export const listCertificates: Operation<{ username: string; expiryWarningDays: number }> = {
  name: 'list-certificates',
  parse: read => ({
    username: parseUsername(read),
    expiryWarningDays: parseExpiryWarningDays(read)
  }),
  async run({ username, expiryWarningDays }, ctx) {
    const { groupId, io } = ctx
    const records = await ctx.api.listCertificates(groupId, username)
    const certificates: CertificateSummary[] = records
      .map(record => ({
        id: String(record._id ?? ''),
        subject: record.subject ?? '',
        createdAt: iso(record.createdAt),
        notAfter: iso(record.notAfter)
      }))
      // Unreadable expiries ('') sort last: they are neither the next nor the latest expiry.
      .sort((a, b) => expiryOrder(a) - expiryOrder(b))
    const undated = certificates.filter(c => !c.notAfter || !c.createdAt)
    if (undated.length > 0) {
      io.warning(
        `Atlas listed ${undated.length} certificate(s) of ${username} with a createdAt or notAfter that is not an ISO 8601 UTC date (id ${undated
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
    io.info(
      certificates.length === 0
        ? `${username} has no unexpired certificates.`
        : dated.length === 0
          ? `${username} has ${certificates.length} unexpired certificate(s), none with a readable expiry.`
          : `${username} has ${certificates.length} unexpired certificate(s); the next expires at ${dated[0]!.notAfter}, the latest at ${dated.at(-1)!.notAfter}.`
    )
    const soon = warnAboutExpiry(
      ctx,
      dated.map(c => ({ name: `Certificate ${c.id} of ${username}`, notAfter: c.notAfter })),
      expiryWarningDays,
      'issue a new one with create-certificate before then'
    )
    const now = ctx.clock.now()
    await io.summary(`Atlas X.509 certificates of ${username}`, [
      ['Operation', 'list-certificates'],
      ['Project', groupId],
      ['User', username],
      ['Unexpired certificates', String(certificates.length)],
      [`Expiring within ${expiryWarningDays} days`, String(soon)],
      ...certificates.map((c): [string, string] => [
        c.id,
        c.notAfter
          ? `${c.subject}, expires ${c.notAfter} (${daysUntil(c.notAfter, now)} days)`
          : `${c.subject}, expiry unreadable`
      ])
    ])
  }
}
