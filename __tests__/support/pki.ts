/** Test certificates made by openssl, independent of the code under test. */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createCertificateAuthority, privateKeyPem } from '../../emulator/ca.js'
import { tempDir } from '../../scripts/lib/step.js'

const dir = tempDir('pki-')
// Loaded by a test file: its folder goes when that file is done.
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const openssl = (...args: string[]) =>
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] })
const newEcKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
const CA_EXTENSIONS = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign']

export interface TestCertificate {
  /** The certificate, PEM. */
  pem: string
  /** The private key, PEM (PKCS#8). */
  keyPem: string
  file: string
  key: string
}

function read(name: string): TestCertificate {
  const file = join(dir, `${name}.crt`)
  const key = join(dir, `${name}.key`)
  return { pem: readFileSync(file, 'utf8'), keyPem: readFileSync(key, 'utf8'), file, key }
}

/**
 * A self-signed certificate with subject CN=<name>; a CA unless `ca: false`. `extensions`
 * replaces the default ones; `rsa` makes an RSA-2048 key instead of P-256.
 */
export function selfSigned(
  name: string,
  options: { ca?: boolean; days?: number; extensions?: string[]; rsa?: boolean } = {}
): TestCertificate {
  const ca = options.ca ?? true
  const extensions =
    options.extensions ?? (ca ? CA_EXTENSIONS : ['basicConstraints=critical,CA:FALSE'])
  openssl(
    'req',
    '-x509',
    ...(options.rsa ? ['-newkey', 'rsa:2048', '-nodes'] : newEcKey),
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-subj',
    `/CN=${name}`,
    '-days',
    String(options.days ?? 365),
    ...extensions.flatMap(e => ['-addext', e])
  )
  return read(name)
}

export const rootCa = (name: string, days = 365) => selfSigned(name, { days })
export const leafCertificate = (name: string) => selfSigned(name, { ca: false, days: 30 }).pem

/** A CA certificate for `name`, signed by `issuer`. */
export function intermediateCa(name: string, issuer: TestCertificate, days = 200): string {
  openssl(
    'req',
    '-new',
    ...newEcKey,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${name}`
  )
  writeFileSync(join(dir, `${name}.ext`), CA_EXTENSIONS.join('\n') + '\n')
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    issuer.file,
    '-CAkey',
    issuer.key,
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    String(days),
    '-extfile',
    `${name}.ext`
  )
  return read(name).pem
}

/** An intermediate CA with its key: `intermediateCa`, read back whole. */
export function intermediateCaWithKey(
  name: string,
  issuer: TestCertificate,
  days = 200
): TestCertificate {
  intermediateCa(name, issuer, days)
  return read(name)
}

/** A CA's key in the traditional form of its type: SEC1 (EC PRIVATE KEY) or PKCS#1 (RSA PRIVATE KEY). */
export function traditionalKey(certificate: TestCertificate): string {
  const type = certificate.keyPem.length > 500 ? 'rsa' : 'ec'
  return openssl(
    type,
    '-in',
    certificate.key,
    ...(type === 'rsa' ? ['-traditional'] : [])
  ).toString()
}

/** openssl 3.0 cannot backdate a certificate; the emulator's PKI helper can. */
export async function expiredCa(name: string): Promise<string> {
  const day = 86_400_000
  const ca = await createCertificateAuthority(
    `expired-${name}`,
    name,
    new Date(Date.now() - 400 * day),
    new Date(Date.now() - day)
  )
  return ca.pem
}

/** An expired CA with its key (PKCS#8). */
export async function expiredCaWithKey(name: string): Promise<{ pem: string; keyPem: string }> {
  const day = 86_400_000
  const ca = await createCertificateAuthority(
    `expired-key-${name}`,
    name,
    new Date(Date.now() - 400 * day),
    new Date(Date.now() - day)
  )
  return { pem: ca.pem, keyPem: await privateKeyPem(ca.keys.privateKey) }
}

export function writeTemp(name: string, content: string): string {
  const file = join(mkdtempSync(join(dir, 'pem-')), name)
  writeFileSync(file, content)
  return file
}
