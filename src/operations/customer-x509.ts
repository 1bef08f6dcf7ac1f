import { atlasPath } from '../atlas/client.js'
import { distinguishedName } from '../certificate.js'
import {
  CaBundleError,
  checkCaBundle,
  earliestExpiry,
  normalisedPem,
  parseCertificates,
  sameCertificates
} from '../ca.js'
import { InputError, type CaSource } from '../config.js'
import type { OperationContext } from './context.js'
import { daysUntil, warnAboutExpiry } from './expiry.js'
import { customerCas, type UserSecurity } from './user-security.js'

function caOutputs(
  ctx: OperationContext,
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

/** GET …/userSecurity: is customer-managed X.509 on, with which CAs, expiring when. */
export async function getCustomerX509(
  groupId: string,
  expiryWarningDays: number,
  ctx: OperationContext
): Promise<void> {
  const security = await ctx.client.json<UserSecurity>(
    'GET',
    atlasPath`/groups/${groupId}/userSecurity`
  )
  const pem = customerCas(security)
  if (!pem) {
    ctx.io.info(`Customer-managed X.509 is off for project ${groupId}.`)
    caOutputs(ctx, false, '', 0, '')
    await ctx.io.summary('Atlas customer-managed X.509', [
      ['Operation', 'get-customer-x509'],
      ['Project', groupId],
      ['Customer X.509', 'off']
    ])
    return
  }
  let certificates
  try {
    certificates = parseCertificates(pem)
  } catch (error) {
    throw new Error(
      `Atlas holds a CA bundle for project ${groupId} that does not parse: ${(error as Error).message}`,
      { cause: error }
    )
  }
  const expiresAt = earliestExpiry(certificates)
  ctx.io.info(
    `Customer-managed X.509 is on for project ${groupId}: ${certificates.length} CA certificate(s), the first expiring at ${expiresAt}.`
  )
  caOutputs(ctx, true, pem, certificates.length, expiresAt)
  warnAboutExpiry(
    ctx,
    certificates.map(c => ({
      name: `CA ${distinguishedName(c.subject)}`,
      notAfter: new Date(c.validTo).toISOString()
    })),
    expiryWarningDays,
    `project ${groupId}: upload a new CA with set-customer-x509 before then, or certificate users cannot connect`
  )
  await ctx.io.summary('Atlas customer-managed X.509', [
    ['Operation', 'get-customer-x509'],
    ['Project', groupId],
    ['Customer X.509', 'on'],
    ...certificates.map((c, i): [string, string] => [
      `CA ${i + 1}`,
      `${distinguishedName(c.subject)}, expires ${new Date(c.validTo).toISOString()}`
    ])
  ])
}

async function readCaSource(
  source: CaSource,
  ctx: OperationContext
): Promise<{ pem: string; input: string }> {
  if (source.kind === 'text') return { pem: source.pem, input: 'ca-certificates' }
  try {
    return { pem: await ctx.fs.readFile(source.path), input: 'ca-file' }
  } catch (error) {
    throw new InputError(
      'ca-file',
      `Cannot read ${source.path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`
    )
  }
}

/**
 * Uploads the project's CA bundle. Checked locally first (each block a CA certificate, none
 * expired), then compared with what Atlas holds: the PATCH restarts every cluster of the project,
 * so it is sent only when the certificates differ.
 */
export async function setCustomerX509(
  groupId: string,
  source: CaSource,
  ctx: OperationContext
): Promise<void> {
  const { pem: given, input } = await readCaSource(source, ctx)
  let certificates
  try {
    certificates = checkCaBundle(given, ctx.clock.now())
  } catch (error) {
    if (error instanceof CaBundleError) {
      throw new InputError(
        input,
        `${error.message} Accepted: one or more PEM CA certificates (basic constraints CA:TRUE), not expired.`
      )
    }
    throw error
  }
  const pem = normalisedPem(certificates)
  const expiresAt = earliestExpiry(certificates)

  const security = await ctx.client.json<UserSecurity>(
    'GET',
    atlasPath`/groups/${groupId}/userSecurity`
  )
  const current = customerCas(security)
  let currentCertificates: ReturnType<typeof parseCertificates> | undefined
  try {
    currentCertificates = current ? parseCertificates(current) : undefined
  } catch {
    currentCertificates = undefined // what Atlas holds does not parse: replace it
  }
  const unchanged =
    currentCertificates !== undefined && sameCertificates(currentCertificates, certificates)
  if (unchanged) {
    ctx.io.info(
      `Project ${groupId} already has these ${certificates.length} CA certificate(s): nothing was sent, nothing restarts.`
    )
  } else {
    await ctx.client.call('PATCH', atlasPath`/groups/${groupId}/userSecurity`, {
      body: { customerX509: { cas: pem } }
    })
    ctx.io.warning(
      `Customer-managed X.509 CA ${current ? 'replaced' : 'set'} for project ${groupId} (${certificates.length} certificate(s)). Atlas is doing a rolling restart of every cluster in the project.`,
      'Rolling restart of the project clusters'
    )
  }
  ctx.io.setOutput('customer-x509-enabled', 'true')
  ctx.io.setOutput('ca-count', String(certificates.length))
  ctx.io.setOutput('ca-expires-at', expiresAt)
  const daysLeft = daysUntil(expiresAt, ctx.clock.now())
  await ctx.io.summary('Atlas customer-managed X.509', [
    ['Operation', 'set-customer-x509'],
    ['Project', groupId],
    [
      'Result',
      unchanged ? 'unchanged (no request sent, no restart)' : 'uploaded (rolling restart started)'
    ],
    ['CA certificates', String(certificates.length)],
    ['Earliest expiry', `${expiresAt} (${daysLeft} days)`]
  ])
}
