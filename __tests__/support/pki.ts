/** Test certificates made by openssl, independent of the code under test. */
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createCertificateAuthority } from '../../emulator/ca.js'
import { tempDir } from '../../scripts/lib/step.js'

const dir = tempDir('pki-')
const openssl = (...args: string[]) =>
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] })
const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']

export function rootCa(name: string, days = 365): { pem: string; key: string; file: string } {
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-subj',
    `/CN=${name}`,
    '-days',
    String(days),
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign'
  )
  return {
    pem: readFileSync(join(dir, `${name}.crt`), 'utf8'),
    key: join(dir, `${name}.key`),
    file: join(dir, `${name}.crt`)
  }
}

export function intermediateCa(
  name: string,
  issuer: { file: string; key: string },
  days = 200
): string {
  openssl(
    'req',
    '-new',
    ...ec,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${name}`
  )
  writeFileSync(
    join(dir, `${name}.ext`),
    'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n'
  )
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
  return readFileSync(join(dir, `${name}.crt`), 'utf8')
}

export function leafCertificate(name: string): string {
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-subj',
    `/CN=${name}`,
    '-days',
    '30',
    '-addext',
    'basicConstraints=critical,CA:FALSE'
  )
  return readFileSync(join(dir, `${name}.crt`), 'utf8')
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

export function writeTemp(name: string, content: string): string {
  const file = join(tempDir('pem-'), name)
  writeFileSync(file, content)
  return file
}
