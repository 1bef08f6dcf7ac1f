/**
 * Self-managed X.509: the issuer inputs, the checks around them and the certificate source that
 * signs on the runner. The X.509 library sits in `local-issuer.ts`, imported only when an issuer
 * is given, so a step without one loads nothing of it.
 */
import type { X509Certificate } from 'node:crypto'
import { EXTERNAL_DATABASE } from '../atlas/api.js'
import { formatDistinguishedName, type NameAttribute } from '../certificate/distinguished-name.js'
import type { KeyType, LocalIssuer } from '../certificate/local-issuer.js'
import { addMonths, type IssuedCertificate } from '../certificate/pem.js'
import { customerCas, parseCertificates } from '../customer-ca.js'
import { InputError } from '../inputs/inputs.js'
import { parseCustomerUsername, type IssuerOptions } from '../inputs/issuer.js'
import { TitledError } from '../errors.js'
import type { CertificateSource } from './certificate-delivery.js'
import type { StepContext } from './operation.js'

/** The ephemeral CUSTOMER user's name: `CN=<name>` then the suffix. */
export function customerName(
  commonName: string,
  suffix: readonly NameAttribute[]
): NameAttribute[] {
  return [{ type: 'CN', value: commonName }, ...suffix]
}

/**
 * Loads the X.509 library and checks the issuer (a CA, valid now, its key) before any request.
 * A failed check is an input error naming the input.
 */
export async function openIssuer(options: IssuerOptions, ctx: StepContext): Promise<LocalIssuer> {
  const { IssuerError, loadIssuer } = await import('../certificate/local-issuer.js')
  try {
    return await loadIssuer(options.certificatePem, options.keyPem, ctx.clock.now())
  } catch (error) {
    if (error instanceof IssuerError) throw new InputError(error.input, error.message)
    throw error
  }
}

/**
 * The project must trust the issuer (its chain reaches one of `customerX509.cas`): Atlas would
 * refuse every login otherwise. Read before anything is created.
 */
export async function requireTrustedIssuer(issuer: LocalIssuer, ctx: StepContext): Promise<void> {
  const cas = customerCas(await ctx.api.getUserSecurity(ctx.groupId))
  const title = 'Issuer not trusted by the project'
  if (!cas)
    throw new TitledError(
      title,
      `Project ${ctx.groupId} has no customer CA (self-managed X.509 is off), so Atlas would refuse every login with a certificate from ${issuer.subject}. Upload the root of your CA with operation set-customer-x509 first. Nothing was created.`
    )
  let trusted: X509Certificate[]
  try {
    trusted = parseCertificates(cas)
  } catch {
    trusted = []
  }
  if (!issuer.reaches(trusted))
    throw new TitledError(
      title,
      `The chain of ${issuer.subject} reaches none of the ${trusted.length} CA certificate(s) that project ${ctx.groupId} trusts (customerX509.cas), so Atlas would refuse every login with its certificates. Sign with a CA under one of them (give its intermediates after it in issuer-certificate), or add your CA with set-customer-x509. Nothing was created.`
    )
}

/** create-certificate with an issuer: the user must be a CUSTOMER X.509 user in `$external`. */
export async function requireCustomerUser(username: string, ctx: StepContext): Promise<void> {
  const user = await ctx.api.getUser(ctx.groupId, username)
  if (!user)
    throw new TitledError(
      'CUSTOMER user not found',
      `Project ${ctx.groupId} has no user ${username} in ${EXTERNAL_DATABASE}. Create it with x509Type CUSTOMER and that exact name (its certificate subject), or use create-ephemeral-user. Nothing was signed.`
    )
  if (user.x509Type !== 'CUSTOMER')
    throw new TitledError(
      'Not a CUSTOMER X.509 user',
      `${username} in ${EXTERNAL_DATABASE} has x509Type ${user.x509Type ?? 'NONE'}, not CUSTOMER: Atlas accepts a certificate from your own CA only for a CUSTOMER user. Nothing was signed.`
    )
}

const HOUR_MS = 3600_000
/** Clock skew allowed for: the certificate is valid from this long before now. */
const NOT_BEFORE_SKEW_MS = 5 * 60_000

/** The lifetime of an ephemeral user's certificate: its TTL plus an hour, nothing can revoke it. */
export const ephemeralNotAfter = (nowMs: number, ttlHours: number) =>
  nowMs + (ttlHours + 1) * HOUR_MS
export const monthsNotAfter = (nowMs: number, months: number) => addMonths(nowMs, months)

/**
 * Signs on the runner: a new key pair, the certificate for `subject` up to `notAfterMs` (cut to
 * the issuer's expiry, with a warning), masked before anything else happens.
 */
export function locallySigned(
  issuer: LocalIssuer,
  subject: readonly NameAttribute[],
  keyType: KeyType,
  notAfterMs: number
): CertificateSource {
  return {
    x509Type: 'CUSTOMER',
    async issue(username, _options, ctx): Promise<IssuedCertificate> {
      const { io } = ctx
      const now = ctx.clock.now()
      let notAfter = Math.floor(notAfterMs / 1000) * 1000
      if (notAfter > issuer.expiresAtMs) {
        notAfter = issuer.expiresAtMs
        io.warning(
          `The certificate for ${username} would outlive its issuer chain, which expires at ${new Date(issuer.expiresAtMs).toISOString()}: it expires then instead of at ${new Date(notAfterMs).toISOString()}.`,
          'Certificate cut to the issuer expiry'
        )
      }
      const signed = await issuer.sign({
        subject,
        keyType,
        notBefore: new Date(Math.floor((now - NOT_BEFORE_SKEW_MS) / 1000) * 1000),
        notAfter: new Date(notAfter)
      })
      io.setSecret(signed.pem.trim())
      for (const line of signed.keyLines) io.setSecret(line)
      const { certificate } = signed
      const subjectText = formatDistinguishedName(subject)
      io.info(
        `Signed a certificate for ${subjectText} on the runner with ${issuer.subject} (${keyType} key, made here; it never left the runner).`
      )
      return {
        pem: signed.pem,
        subject: subjectText,
        commonName: subject.find(part => part.type === 'CN')?.value,
        serialNumber: certificate.serialNumber.toUpperCase(),
        fingerprintSha256: certificate.fingerprint256,
        validFrom: new Date(certificate.validFrom).toISOString(),
        expiresAt: new Date(certificate.validTo).toISOString()
      }
    }
  }
}

/** Opens the issuer (local checks), then checks that the project trusts it: before anything is created. */
export async function openTrustedIssuer(
  options: IssuerOptions,
  ctx: StepContext
): Promise<LocalIssuer> {
  const issuer = await openIssuer(options, ctx)
  await requireTrustedIssuer(issuer, ctx)
  return issuer
}

/**
 * create-certificate with an issuer: the issuer checked, the CUSTOMER user read, the trust
 * checked; then a source that signs for exactly that name, `months` from now.
 */
export async function customerCertificateSource(
  options: IssuerOptions,
  username: string,
  months: number,
  ctx: StepContext
): Promise<CertificateSource> {
  const issuer = await openIssuer(options, ctx)
  await requireCustomerUser(username, ctx)
  await requireTrustedIssuer(issuer, ctx)
  const subject = parseCustomerUsername(username)
  return locallySigned(issuer, subject, options.keyType, monthsNotAfter(ctx.clock.now(), months))
}
