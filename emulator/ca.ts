import 'reflect-metadata'
import { readFileSync } from 'node:fs'
import {
  createPrivateKey,
  createPublicKey,
  randomBytes,
  webcrypto,
  X509Certificate as NodeX509
} from 'node:crypto'
import * as x509 from '@peculiar/x509'
import type { KeyAlgorithm } from './types.js'

type CryptoKey = webcrypto.CryptoKey
type CryptoKeyPair = webcrypto.CryptoKeyPair

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0])
const subtle = webcrypto.subtle

const rsaKeyParams = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048
}
const ecKeyParams = { name: 'ECDSA', namedCurve: 'P-256' }

function signingAlgorithm(keys: CryptoKeyPair): webcrypto.Algorithm | webcrypto.EcdsaParams {
  return keys.privateKey.algorithm.name === 'ECDSA'
    ? { name: 'ECDSA', hash: 'SHA-256' }
    : { name: 'RSASSA-PKCS1-v1_5' }
}

/** Environment variable naming a file of RSA-2048 PKCS#8 keys (PEM) to use before generating. */
export const RSA_KEY_SUPPLY_VARIABLE = 'ATLAS_EMULATOR_RSA_KEYS'

// Test suites start hundreds of emulators and RSA-2048 generation costs about 130 ms of CPU a key,
// so a suite may hand every process the same file of keys made once; each is used once.
let rsaKeySupply: string[] | undefined

/** The keys of a supply file, each checked to be RSA-2048; none without a path. */
export function readRsaKeySupply(path: string | undefined): string[] {
  if (!path) return []
  const keys = pemBlocks(readFileSync(path, 'utf8')).map(block => block.text)
  for (const pem of keys) {
    const details = createPrivateKey(pem).asymmetricKeyDetails
    if (details?.modulusLength !== 2048)
      throw new Error(`${RSA_KEY_SUPPLY_VARIABLE}: ${path} must hold only RSA-2048 PKCS#8 keys`)
  }
  return keys
}

async function importRsaKeys(pem: string): Promise<CryptoKeyPair> {
  const key = createPrivateKey(pem)
  const params = { name: rsaKeyParams.name, hash: rsaKeyParams.hash }
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' })
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' })
  return {
    privateKey: await subtle.importKey('pkcs8', pkcs8, params, true, ['sign']),
    publicKey: await subtle.importKey('spki', spki, params, true, ['verify'])
  }
}

/** A key pair no other caller in this process has: from the supply while it lasts, else new. */
export async function generateKeys(algorithm: KeyAlgorithm): Promise<CryptoKeyPair> {
  rsaKeySupply ??= readRsaKeySupply(process.env[RSA_KEY_SUPPLY_VARIABLE])
  const supplied = algorithm === 'RSA' ? rsaKeySupply.shift() : undefined
  if (supplied) return importRsaKeys(supplied)
  const params = algorithm === 'EC' ? ecKeyParams : rsaKeyParams
  return await subtle.generateKey(params, true, ['sign', 'verify'])
}

// CA and TLS keys are reused by every emulator in one process: RSA generation is the slow part.
const sharedKeys = new Map<string, Promise<CryptoKeyPair>>()
function sharedKeyPair(role: string): Promise<CryptoKeyPair> {
  let keys = sharedKeys.get(role)
  if (!keys) {
    keys = generateKeys('RSA')
    sharedKeys.set(role, keys)
  }
  return keys
}

// Client keys reused round-robin from a small pool (EmulatorOptions.clientKeyPool), per algorithm.
const clientKeyPools = new Map<KeyAlgorithm, Array<Promise<CryptoKeyPair>>>()
let clientKeyTurn = 0
function pooledClientKeys(algorithm: KeyAlgorithm, size: number): Promise<CryptoKeyPair> {
  const pool = clientKeyPools.get(algorithm) ?? []
  clientKeyPools.set(algorithm, pool)
  const slot = clientKeyTurn++ % size
  pool[slot] ??= generateKeys(algorithm)
  return pool[slot]
}

/** A positive serial of 16 random bytes, as hex. */
export function randomSerial(): string {
  const bytes = randomBytes(16)
  bytes[0] = ((bytes[0] ?? 1) & 0x7f) | 0x10
  return bytes.toString('hex')
}

export async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await subtle.exportKey('pkcs8', key)
  return x509.PemConverter.encode(der, 'PRIVATE KEY') + '\n'
}

export function certificatePem(cert: x509.X509Certificate): string {
  return cert.toString('pem') + '\n'
}

export interface CertificateAuthority {
  cert: x509.X509Certificate
  keys: CryptoKeyPair
  pem: string
}

export async function createCertificateAuthority(
  role: string,
  commonName: string,
  notBefore: Date,
  notAfter: Date
): Promise<CertificateAuthority> {
  const keys = await sharedKeyPair(role)
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [commonName] }, { O: ['Atlas Emulator'] }],
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: signingAlgorithm(keys),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)
    ]
  })
  return { cert, keys, pem: certificatePem(cert) }
}

export interface IssuedClientCert {
  certPem: string
  keyPem: string
  serialNumber: string
}

/** An Atlas-managed client cert: subject CN=<username>, clientAuth, signed by the managed CA. */
export async function issueClientCertificate(
  ca: CertificateAuthority,
  username: string,
  notBefore: Date,
  notAfter: Date,
  keyAlgorithm: KeyAlgorithm,
  keyPool = 0
): Promise<IssuedClientCert> {
  const keys = await (keyPool > 0
    ? pooledClientKeys(keyAlgorithm, keyPool)
    : generateKeys(keyAlgorithm))
  const serialNumber = randomSerial()
  const usage =
    keyAlgorithm === 'EC'
      ? x509.KeyUsageFlags.digitalSignature
      : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber,
    subject: [{ CN: [username] }],
    issuer: ca.cert.subjectName,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: signingAlgorithm(ca.keys),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(usage, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey)
    ]
  })
  return {
    certPem: certificatePem(cert),
    keyPem: await privateKeyPem(keys.privateKey),
    serialNumber
  }
}

export interface TlsMaterial {
  caPem: string
  certPem: string
  keyPem: string
}

/** A server cert for 127.0.0.1, ::1 and localhost, issued by a fresh CA. */
export async function createTlsMaterial(now: Date): Promise<TlsMaterial> {
  const notBefore = new Date(now.getTime() - 60_000)
  const notAfter = new Date(now.getTime() + 365 * 86_400_000)
  const ca = await createCertificateAuthority(
    'tls-ca',
    'Atlas Emulator TLS CA',
    notBefore,
    notAfter
  )
  const keys = await sharedKeyPair('tls-server')
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: [{ CN: ['localhost'] }],
    issuer: ca.cert.subjectName,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: signingAlgorithm(ca.keys),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
        { type: 'dns', value: 'localhost' }
      ])
    ]
  })
  return {
    caPem: ca.pem,
    certPem: certificatePem(cert),
    keyPem: await privateKeyPem(keys.privateKey)
  }
}

const pemBlockPattern = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g

export interface PemBlock {
  label: string
  text: string
}

export function pemBlocks(text: string): PemBlock[] {
  return [...text.matchAll(pemBlockPattern)].map(m => ({ label: m[1] ?? '', text: m[0] }))
}

/** Parses every block of a CA bundle; throws with a readable message on the first bad one. */
export function parseCertificateBundle(text: string): NodeX509[] {
  const blocks = pemBlocks(text)
  if (blocks.length === 0) throw new Error('no PEM certificate found')
  return blocks.map((block, index) => {
    if (block.label !== 'CERTIFICATE') {
      throw new Error(`PEM block ${index + 1} is a ${block.label}, not a CERTIFICATE`)
    }
    try {
      return new NodeX509(block.text)
    } catch {
      throw new Error(`PEM block ${index + 1} is not a valid X.509 certificate`)
    }
  })
}
