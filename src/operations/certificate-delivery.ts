import { connectionStringFor, parseConnectionString } from '../certificate/connection-string.js'
import {
  CertificateFileError,
  certificatePath,
  type CertificateFileRecord,
  checkCertificatePath,
  writeCertificateFile
} from '../certificate/file.js'
import {
  checkAgainstRequest,
  readCertificateResponse,
  type IssuedCertificate
} from '../certificate/pem.js'
import {
  DEFAULTS,
  InputError,
  parseBoolean,
  parseFileInput,
  parseInteger,
  type InputReader
} from '../inputs/inputs.js'
import { STATE, type StepContext } from './operation.js'

/** The certificate inputs that create-certificate and create-ephemeral-user share. */
export interface CertificateOptions {
  months: number
  /** As given; resolved to an absolute path when written. */
  certificateFile: string | undefined
  outputCertificate: boolean
  cleanup: boolean
  connectionString: string | undefined
}

export function parseCertificateOptions(
  read: InputReader,
  defaultMonths: number
): CertificateOptions {
  return {
    months: parseInteger(read, 'months', defaultMonths, 1, 24),
    certificateFile: parseFileInput(read, 'certificate-file') || undefined,
    outputCertificate: parseBoolean(read, 'output-certificate', DEFAULTS['output-certificate']),
    cleanup: parseBoolean(read, 'cleanup', DEFAULTS.cleanup),
    connectionString: parseConnectionString(read('connection-string'))
  }
}

/**
 * Where the certificate will go, checked before any request (a probe file proves the folder
 * writable) so no certificate is minted in vain.
 */
export async function prepareCertificatePath(
  options: CertificateOptions,
  ctx: StepContext
): Promise<string> {
  const path = certificatePath(options.certificateFile, ctx.env, ctx.cwd)
  const problem = await checkCertificatePath(path, ctx.fs)
  if (problem) throw new InputError('certificate-file', problem)
  return path
}

/** Where a certificate comes from; `issue` masks its key and checks it before returning it. */
export interface CertificateSource {
  x509Type: 'MANAGED' | 'CUSTOMER'
  issue(username: string, options: CertificateOptions, ctx: StepContext): Promise<IssuedCertificate>
}

/** Atlas issues the certificate and its key (MANAGED users). */
export const atlasIssued: CertificateSource = {
  x509Type: 'MANAGED',
  async issue(username, options, ctx) {
    const { io } = ctx
    const body = await ctx.api.issueCertificate(ctx.groupId, username, options.months)
    const response = readCertificateResponse(body)
    // Masks first: nothing below may print before the runner knows the key.
    for (const secret of response.masks) io.setSecret(secret)
    const issued = response.check()
    const expiryWarning = checkAgainstRequest(issued, {
      username,
      months: options.months,
      now: ctx.clock.now()
    })
    if (expiryWarning) io.warning(expiryWarning, 'Certificate expiry differs from the request')
    return issued
  }
}

/**
 * Issues a certificate, then: mask, check, write the file (0600, exclusive), remember it for the
 * post step, set the certificate outputs. Returns the summary rows.
 */
export async function issueAndDeliver(
  username: string,
  options: CertificateOptions,
  path: string,
  ctx: StepContext,
  source: CertificateSource = atlasIssued
): Promise<Array<[string, string]>> {
  return (await deliverCertificate(username, options, path, ctx, source)).rows
}

/** issueAndDeliver, also returning the checked certificate (for callers that store it elsewhere). */
export async function deliverCertificate(
  username: string,
  options: CertificateOptions,
  path: string,
  ctx: StepContext,
  source: CertificateSource = atlasIssued
): Promise<{ rows: Array<[string, string]>; issued: IssuedCertificate }> {
  const { io } = ctx
  const issued = await source.issue(username, options, ctx)

  let created: CertificateFileRecord
  try {
    created = await writeCertificateFile(path, issued.pem, ctx.fs)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    throw new CertificateFileError(
      `Writing ${path} failed (${code}). ${
        source.x509Type === 'MANAGED'
          ? `Atlas did issue the certificate for ${username} (serial ${issued.serialNumber}, expires ${issued.expiresAt}), but its private key cannot be fetched again: that certificate is unusable.`
          : `The certificate for ${username} was signed on the runner (serial ${issued.serialNumber}, expires ${issued.expiresAt}); its private key was never stored anywhere else, so that certificate is unusable.`
      } Check that the folder still exists, is writable and has free space, then run the step again for a new certificate.`,
      { cause: error }
    )
  }
  if (options.cleanup) io.saveState(STATE.certificateFile, JSON.stringify(created))
  io.info(
    `Certificate for ${username} written to ${path} (mode 0600), valid until ${issued.expiresAt}.`
  )

  io.setOutput('certificate-file', path)
  if (options.outputCertificate) io.setOutput('certificate', issued.pem)
  io.setOutput('username', username)
  io.setOutput('x509-type', source.x509Type)
  io.setOutput('subject', issued.subject)
  io.setOutput('serial-number', issued.serialNumber)
  io.setOutput('fingerprint-sha256', issued.fingerprintSha256)
  io.setOutput('expires-at', issued.expiresAt)
  if (options.connectionString) {
    io.setOutput('connection-string', connectionStringFor(options.connectionString, path))
  }
  const rows: Array<[string, string]> = [
    ['User', username],
    ['Subject', issued.subject],
    ['Serial', issued.serialNumber],
    ['Expires', issued.expiresAt],
    ['File', `${path}${options.cleanup ? ' (removed by the post step)' : ''}`]
  ]
  return { rows, issued }
}
