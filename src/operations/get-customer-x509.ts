import type { X509Certificate } from 'node:crypto'
import { distinguishedName } from '../certificate/pem.js'
import { customerCas, earliestExpiry, parseCertificates } from '../customer-ca.js'
import { parseExpiryWarningDays } from '../inputs/inputs.js'
import type { Operation, StepContext } from './operation.js'
import { warnAboutExpiry } from './expiry.js'

function caOutputs(
  ctx: StepContext,
  enabled: boolean,
  pem: string,
  count: number,
  expiresAt: string
): void {
  ctx.io.setOutput('customer-x509-enabled', String(enabled))
  ctx.io.setOutput('ca-certificates', pem)
  ctx.io.setOutput('ca-count', String(count))
  ctx.io.setOutput('ca-expires-at', expiresAt)
}

/** The CA certificates of a bundle that Atlas holds; one that does not parse is Atlas's fault. */
function parseHeldBundle(pem: string, groupId: string): X509Certificate[] {
  try {
    return parseCertificates(pem)
  } catch (error) {
    throw new Error(
      `Atlas holds a CA bundle for project ${groupId} that does not parse: ${(error as Error).message}`,
      { cause: error }
    )
  }
}

/** Each CA certificate's subject and expiry, as the warnings and the summary name them. */
const describeCas = (certificates: readonly X509Certificate[]) =>
  certificates.map(c => ({
    subject: distinguishedName(c.subject),
    notAfter: new Date(c.validTo).toISOString()
  }))

/** GET …/userSecurity: is customer-managed X.509 on, with which CAs, expiring when. */
export const getCustomerX509: Operation<{ expiryWarningDays: number }> = {
  name: 'get-customer-x509',
  parse: read => ({ expiryWarningDays: parseExpiryWarningDays(read) }),
  async run({ expiryWarningDays }, ctx) {
    const { groupId, io } = ctx
    const heading = 'Atlas customer-managed X.509'
    const pem = customerCas(await ctx.api.getUserSecurity(groupId))
    if (!pem) {
      io.info(`Customer-managed X.509 is off for project ${groupId}.`)
      caOutputs(ctx, false, '', 0, '')
      await ctx.summary(heading, [['Customer X.509', 'off']])
      return
    }
    const certificates = parseHeldBundle(pem, groupId)
    const expiresAt = earliestExpiry(certificates)
    io.info(
      `Customer-managed X.509 is on for project ${groupId}: ${certificates.length} CA certificate(s), the first expiring at ${expiresAt}.`
    )
    caOutputs(ctx, true, pem, certificates.length, expiresAt)
    const cas = describeCas(certificates)
    warnAboutExpiry(
      ctx,
      cas.map(ca => ({ name: `CA ${ca.subject}`, notAfter: ca.notAfter })),
      expiryWarningDays,
      `project ${groupId}: upload a new CA with set-customer-x509 before then, or certificate users cannot connect`
    )
    await ctx.summary(heading, [
      ['Customer X.509', 'on'],
      ...cas.map((ca, i): [string, string] => [
        `CA ${i + 1}`,
        `${ca.subject}, expires ${ca.notAfter}`
      ])
    ])
  }
}
