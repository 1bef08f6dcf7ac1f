import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectionStringFor } from '../../src/certificate/connection-string.js'
import {
  certificatePath,
  checkCertificatePath,
  nodeFileSystem,
  writeCertificateFile
} from '../../src/certificate/file.js'
import { CertificateResponseError, readCertificateResponse } from '../../src/certificate/pem.js'
import { selfSigned } from '../support/pki.js'

/** The masks and the check come from one parse of the body. */
const checkIssuedPem = (body: string) => readCertificateResponse(body).check()
const secretsOf = (body: string) => readCertificateResponse(body).masks

const dir = mkdtempSync(join(tmpdir(), 'cert-test-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const fs = nodeFileSystem

/** A real certificate and key from openssl, independent of the code under test. */
function opensslPair(cn: string): { cert: string; key: string } {
  const made = selfSigned(cn, { ca: false, days: 30 })
  return { cert: made.pem, key: made.keyPem }
}

const good = opensslPair('ci-user')
const other = opensslPair('other')

describe('checkIssuedPem', () => {
  it('accepts certificate + PKCS#8 key and describes the certificate as openssl does', () => {
    const issued = checkIssuedPem(good.cert + good.key)
    expect(issued.subject).toBe('CN=ci-user')
    const serial = execFileSync('openssl', ['x509', '-noout', '-serial'], { input: good.cert })
      .toString()
      .trim()
    expect(`serial=${issued.serialNumber}`).toBe(serial)
    const fingerprint = execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256'], {
      input: good.cert
    })
      .toString()
      .trim()
    expect(fingerprint).toBe(`sha256 Fingerprint=${issued.fingerprintSha256}`)
    const end = execFileSync('openssl', ['x509', '-noout', '-enddate'], { input: good.cert })
      .toString()
      .trim()
    expect(new Date(end.replace('notAfter=', '')).toISOString()).toBe(issued.expiresAt)
    expect(issued.pem).toBe(good.cert + good.key)
  })
  it('accepts a JSON-quoted body and CRLF line ends', () => {
    expect(checkIssuedPem(JSON.stringify(good.cert + good.key)).subject).toBe('CN=ci-user')
    expect(checkIssuedPem((good.cert + good.key).replace(/\n/g, '\r\n')).pem).toBe(
      good.cert + good.key
    )
  })
  it.each([
    ['a key that belongs to another certificate', good.cert + other.key, /does not match/],
    ['no key', good.cert, /0 key block/],
    ['two certificates', good.cert + other.cert + good.key, /2 certificate block/],
    ['garbage', 'this is not PEM', /stray text/],
    ['a truncated key', good.cert + good.key.slice(0, 80), /0 key block/],
    [
      'a corrupt certificate',
      good.cert.replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA') + good.key,
      /does not parse|does not match/
    ]
  ])('refuses %s without echoing the body', (_, body, message) => {
    let error: unknown
    try {
      checkIssuedPem(body)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(CertificateResponseError)
    expect((error as Error).message).toMatch(message)
    for (const line of good.key.split('\n').filter(l => l && !l.startsWith('-----'))) {
      expect((error as Error).message).not.toContain(line)
    }
  })
})

describe('secretsOf', () => {
  const keyLinesOf = (key: string) => key.split('\n').filter(l => l && !l.startsWith('-----'))
  /** The key's base64 wrapped `width` characters a line. */
  const rewrapped = (key: string, width: number) =>
    `-----BEGIN PRIVATE KEY-----\n${keyLinesOf(key)
      .join('')
      .match(new RegExp(`.{1,${width}}`, 'g'))!
      .join('\n')}\n-----END PRIVATE KEY-----\n`

  it('returns the whole body and every key line of a certificate and its key', () => {
    const body = good.cert + good.key.replace(/\n/g, '\r\n')
    const secrets = secretsOf(body)
    for (const line of keyLinesOf(good.key)) expect(secrets).toContain(line)
    expect(secrets).toContain(body.trim())
    // Certificate lines are public: not registered one by one.
    expect(secrets).not.toContain(good.cert.split('\n')[1])
  })

  it('masks a key that parses, also when the body is refused; never the body itself', () => {
    const mismatched = good.cert + other.key
    const secrets = secretsOf(mismatched)
    expect(() => checkIssuedPem(mismatched)).toThrow(/does not match/)
    for (const line of keyLinesOf(other.key)) expect(secrets).toContain(line)
    expect(secrets).not.toContain(mismatched.trim())
  })

  it.each([
    ['plain text', 'Service Unavailable\nplease retry\n'],
    ['a certificate alone', good.cert],
    ['a truncated key', good.cert + good.key.split('\n').slice(0, 3).join('\n')],
    [
      'key armour around text that is no key',
      `${good.cert}-----BEGIN PRIVATE KEY-----\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nerror\n-----END PRIVATE KEY-----\n`
    ],
    ['key armour joined to text that is no key', `-----BEGIN PRIVATE KEY-----Zm9vYmFyYmF6cXV4\n`]
  ])('registers nothing of %s', (_, body) => {
    expect(secretsOf(body)).toEqual([])
  })

  it('never registers a mask shorter than 8 characters, and refuses a key it cannot mask whole', () => {
    // 184 base64 characters: four lines of 45 and a last one of 4.
    const shortLast = good.cert + rewrapped(good.key, 45)
    expect(keyLinesOf(shortLast.slice(good.cert.length)).at(-1)).toHaveLength(4)
    expect(secretsOf(shortLast).filter(mask => mask.length < 8)).toEqual([])
    expect(() => checkIssuedPem(shortLast)).toThrow(/shorter than 8 characters/)
    // Lines of 8 are masks, and such a key is delivered.
    const eights = good.cert + rewrapped(good.key, 8)
    expect(checkIssuedPem(eights).subject).toBe('CN=ci-user')
    for (const line of keyLinesOf(eights.slice(good.cert.length)))
      expect(secretsOf(eights)).toContain(line)
  })

  it('leaves out a whole-body mask with a line too short to be one, not the PEM as written', () => {
    // The runner masks each line of a multi-line mask: a blank line of spaces would be one.
    const body = `${good.cert}   \n${good.key}`
    const issued = checkIssuedPem(body)
    const secrets = secretsOf(body)
    expect(secrets.filter(mask => mask.includes('\n'))).toEqual([issued.pem.trim()])
    for (const line of keyLinesOf(good.key)) expect(secrets).toContain(line)
  })
})

describe('the certificate file', () => {
  it('is created 0600 and never overwrites', async () => {
    const path = join(dir, 'out.pem')
    await writeCertificateFile(path, 'pem', fs)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    await expect(writeCertificateFile(path, 'again', fs)).rejects.toMatchObject({ code: 'EEXIST' })
    expect(readFileSync(path, 'utf8')).toBe('pem')
    expect(await checkCertificatePath(path, fs)).toMatch(/already exists/)
    expect(await checkCertificatePath(join(dir, 'missing', 'x.pem'), fs)).toMatch(/does not exist/)
    expect(await checkCertificatePath(join(dir, 'new.pem'), fs)).toBeUndefined()
  })
  it('defaults to a random name under RUNNER_TEMP', () => {
    const a = certificatePath(undefined, { RUNNER_TEMP: '/runner/tmp' }, '/w')
    expect(a).toMatch(/^\/runner\/tmp\/atlas-x509-[0-9a-f-]{36}\.pem$/)
    expect(a).not.toBe(certificatePath(undefined, { RUNNER_TEMP: '/runner/tmp' }, '/w'))
    expect(certificatePath('certs/a.pem', {}, '/w')).toBe('/w/certs/a.pem')
  })
})

describe('connectionStringFor', () => {
  it('adds the X.509 options, replacing any given', () => {
    expect(connectionStringFor('mongodb+srv://cluster0.example.net', '/tmp/a b.pem')).toBe(
      'mongodb+srv://cluster0.example.net/?authMechanism=MONGODB-X509&tls=true&tlsCertificateKeyFile=%2Ftmp%2Fa%20b.pem'
    )
    expect(
      connectionStringFor('mongodb://h1:27017,h2:27017/app?retryWrites=true&tls=false', '/k.pem')
    ).toBe(
      'mongodb://h1:27017,h2:27017/app?retryWrites=true&authMechanism=MONGODB-X509&tls=true&tlsCertificateKeyFile=%2Fk.pem'
    )
  })
  it('keeps a tlsCAFile the user gave (a private CA for the server)', () => {
    expect(
      connectionStringFor(
        'mongodb://127.0.0.1:27017/?tls=true&directConnection=true&tlsCAFile=%2Fetc%2Fca.pem',
        '/k.pem'
      )
    ).toBe(
      'mongodb://127.0.0.1:27017/?directConnection=true&tlsCAFile=%2Fetc%2Fca.pem&authMechanism=MONGODB-X509&tls=true&tlsCertificateKeyFile=%2Fk.pem'
    )
  })
})
