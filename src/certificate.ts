import { createPrivateKey, X509Certificate } from 'node:crypto'
import { constants as fsConstants } from 'node:fs'
import { open, readFile, stat, unlink, type FileHandle } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { randomUUID } from 'node:crypto'

/** The certificate response failed its check; the message never contains any of the body. */
export class CertificateResponseError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CertificateResponseError'
  }
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g
const KEY_LABELS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY'])

/**
 * The secret parts of a certificate response, to register with the log masking before anything
 * else happens: the whole body, and every non-empty line from a private-key BEGIN marker on
 * (to the end of the body if the block is cut short), stripped of `\r`.
 */
export function secretsOf(body: string): string[] {
  const secrets = new Set<string>()
  const text = unquote(body)
  for (const value of [body.trim(), text.trim()]) if (value) secrets.add(value)
  let inKey = false
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r/g, '').trim()
    if (/^-----BEGIN [A-Z ]*PRIVATE KEY-----$/.test(line)) inKey = true
    if (inKey && line && !line.startsWith('-----')) secrets.add(line)
    if (/^-----END [A-Z ]*PRIVATE KEY-----$/.test(line)) inKey = false
  }
  return [...secrets]
}

/** Atlas sends raw PEM text; accept a JSON-quoted string too, as a client that read it as JSON would. */
function unquote(body: string): string {
  const trimmed = body.trim()
  if (trimmed.startsWith('"')) {
    try {
      const value: unknown = JSON.parse(trimmed)
      if (typeof value === 'string') return value
    } catch {
      // not JSON: checked as PEM below, and refused there
    }
  }
  return body
}

export interface IssuedCertificate {
  /** Certificate block then private-key block, normalised to `\n` line ends. */
  pem: string
  subject: string
  serialNumber: string
  fingerprintSha256: string
  expiresAt: string
}

/** Checks a certificate response: one certificate, one private key, and the key matches. */
export function checkIssuedPem(body: string): IssuedCertificate {
  const text = unquote(body).replace(/\r\n/g, '\n')
  const blocks = [...text.matchAll(PEM_BLOCK)]
  const leftover = text.replace(PEM_BLOCK, '').trim()
  const certs = blocks.filter(b => b[1] === 'CERTIFICATE')
  const keys = blocks.filter(b => KEY_LABELS.has(b[1]!))
  const others = blocks.length - certs.length - keys.length
  if (certs.length !== 1 || keys.length !== 1 || others > 0 || leftover !== '') {
    throw new CertificateResponseError(
      `Atlas's certificate response is not one certificate and one private key (found ${certs.length} certificate block(s), ${keys.length} key block(s), ${others} other block(s)${leftover ? ' and stray text' : ''}). Nothing was written.`
    )
  }
  const certPem = certs[0]![0] + '\n'
  const keyPem = keys[0]![0] + '\n'
  let certificate: X509Certificate
  try {
    certificate = new X509Certificate(certPem)
  } catch {
    throw new CertificateResponseError(
      "Atlas's certificate block does not parse as an X.509 certificate. Nothing was written."
    )
  }
  let matches: boolean
  try {
    matches = certificate.checkPrivateKey(createPrivateKey(keyPem))
  } catch {
    throw new CertificateResponseError(
      "Atlas's private-key block does not parse as a private key. Nothing was written."
    )
  }
  if (!matches) {
    throw new CertificateResponseError(
      "The private key in Atlas's response does not match its certificate. Nothing was written."
    )
  }
  return {
    pem: certPem + keyPem,
    subject: distinguishedName(certificate.subject),
    serialNumber: certificate.serialNumber.toUpperCase(),
    fingerprintSha256: certificate.fingerprint256,
    expiresAt: new Date(certificate.validTo).toISOString()
  }
}

/** Node prints a DN one attribute per line; outputs use the one-line `CN=a,OU=b` form. */
export function distinguishedName(multiline: string): string {
  return multiline.split('\n').filter(Boolean).join(',')
}

/** The file system calls the operations need, injectable for tests. */
export interface FileSystem {
  open(path: string, flags: number, mode: number): Promise<FileHandle>
  unlink(path: string): Promise<void>
  stat(path: string): Promise<{ isDirectory(): boolean }>
  readFile(path: string): Promise<string>
}

export const nodeFileSystem: FileSystem = {
  open,
  unlink,
  stat,
  readFile: path => readFile(path, 'utf8')
}

/** Where the certificate goes: the given path, or a new random name under RUNNER_TEMP. */
export function certificatePath(
  given: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string
): string {
  if (given) return resolve(cwd, given)
  return join(env.RUNNER_TEMP || tmpdir(), `atlas-x509-${randomUUID()}.pem`)
}

/** Refuses an existing target (never overwritten) or a missing folder, before any request. */
export async function checkCertificatePath(
  path: string,
  fs: FileSystem
): Promise<string | undefined> {
  const exists = await fs.stat(path).then(
    () => true,
    () => false
  )
  if (exists)
    return `${path} already exists; it is never overwritten. Give a new path, or leave certificate-file empty for a fresh file under RUNNER_TEMP.`
  const folder = await fs.stat(dirname(path)).then(
    s => s.isDirectory(),
    () => false
  )
  if (!folder) return `The folder ${dirname(path)} does not exist.`
  return undefined
}

/** Exclusive create, mode 0600: the file is new, and only the runner's user can read it. */
export async function writeCertificateFile(
  path: string,
  pem: string,
  fs: FileSystem
): Promise<void> {
  const flags = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL
  const handle = await fs.open(path, flags, 0o600)
  try {
    await handle.writeFile(pem, 'utf8')
  } catch (error) {
    await handle.close()
    await fs.unlink(path).catch(() => undefined)
    throw error
  }
  await handle.close()
}

/** The URI with the X.509 options added (replacing any given): authMechanism, tls, key file. */
export function connectionStringFor(uri: string, certificateFile: string): string {
  const [base, query = ''] = splitOnce(uri, '?')
  const replaced = new Set(['authmechanism', 'tls', 'ssl', 'tlscertificatekeyfile'])
  const kept = query.split('&').filter(p => p && !replaced.has(p.split('=')[0]!.toLowerCase()))
  kept.push(
    'authMechanism=MONGODB-X509',
    'tls=true',
    `tlsCertificateKeyFile=${encodeURIComponent(certificateFile)}`
  )
  const hasPath = /^mongodb(?:\+srv)?:\/\/[^/]*\//.test(base)
  return `${base}${hasPath ? '' : '/'}?${kept.join('&')}`
}

function splitOnce(value: string, separator: string): [string, string?] {
  const index = value.indexOf(separator)
  return index < 0 ? [value] : [value.slice(0, index), value.slice(index + 1)]
}
