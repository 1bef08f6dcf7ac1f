import { atlasPath } from '../atlas/client.js'
import {
  certificatePath,
  checkCertificatePath,
  checkIssuedPem,
  connectionStringFor,
  secretsOf,
  writeCertificateFile
} from '../certificate.js'
import { InputError, type CertificateConfig } from '../config.js'
import { STATE, type OperationContext } from './context.js'

/** Where the certificate will go, checked before any request so no certificate is minted in vain. */
export async function prepareCertificatePath(
  certificate: CertificateConfig,
  ctx: OperationContext
): Promise<string> {
  const path = certificatePath(certificate.certificateFile, ctx.env, ctx.cwd)
  const problem = await checkCertificatePath(path, ctx.fs)
  if (problem) throw new InputError('certificate-file', problem)
  return path
}

/**
 * POST …/databaseUsers/{username}/certs, then: mask, check, write the file (0600, exclusive),
 * remember it for the post step, set the certificate outputs and the summary rows.
 */
export async function issueCertificate(
  groupId: string,
  certificate: CertificateConfig,
  path: string,
  ctx: OperationContext
): Promise<Array<[string, string]>> {
  const { io } = ctx
  const response = await ctx.client.call(
    'POST',
    atlasPath`/groups/${groupId}/databaseUsers/${certificate.username}/certs`,
    { body: { monthsUntilExpiration: certificate.months } }
  )
  // Masks first: nothing below may print before the runner knows the key.
  for (const secret of secretsOf(response.text)) io.setSecret(secret)
  const issued = checkIssuedPem(response.text)

  await writeCertificateFile(path, issued.pem, ctx.fs)
  if (certificate.cleanup) io.saveState(STATE.certificateFile, path)
  io.info(
    `Certificate for ${certificate.username} written to ${path} (mode 0600), valid until ${issued.expiresAt}.`
  )

  io.setOutput('certificate-file', path)
  if (certificate.outputCertificate) io.setOutput('certificate', issued.pem)
  io.setOutput('username', certificate.username)
  io.setOutput('subject', issued.subject)
  io.setOutput('serial-number', issued.serialNumber)
  io.setOutput('fingerprint-sha256', issued.fingerprintSha256)
  io.setOutput('expires-at', issued.expiresAt)
  if (certificate.connectionString) {
    io.setOutput('connection-string', connectionStringFor(certificate.connectionString, path))
  }
  return [
    ['User', certificate.username],
    ['Subject', issued.subject],
    ['Serial', issued.serialNumber],
    ['Expires', issued.expiresAt],
    ['File', `${path}${certificate.cleanup ? ' (removed by the post step)' : ''}`]
  ]
}

export async function createCertificate(
  groupId: string,
  certificate: CertificateConfig,
  ctx: OperationContext
): Promise<void> {
  const path = await prepareCertificatePath(certificate, ctx)
  const rows = await issueCertificate(groupId, certificate, path, ctx)
  await ctx.io.summary('Atlas X.509 certificate issued', [
    ['Operation', 'create-certificate'],
    ['Project', groupId],
    ...rows
  ])
}
