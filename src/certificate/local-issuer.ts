/**
 * Signing client certificates on the runner with the project's own CA (self-managed X.509).
 * Loaded lazily (a chunk of its own): only a step given `issuer-certificate` loads the X.509
 * library. The certificate is built by @peculiar/x509 over node:crypto's WebCrypto; keys are made
 * by node:crypto and never leave the runner.
 */
import 'reflect-metadata'
import {
  createPrivateKey,
  generateKeyPair,
  randomBytes,
  webcrypto,
  X509Certificate,
  type KeyObject
} from 'node:crypto'
import { promisify } from 'node:util'
import * as x509 from '@peculiar/x509'
import { ATTRIBUTE_OIDS, type NameAttribute } from './distinguished-name.js'
import { blockText, isPrivateKeyLabel, parsePem } from './pem.js'

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0])
const subtle = webcrypto.subtle
const generate = promisify(generateKeyPair)

export type KeyType = 'ec-p256' | 'rsa-2048' | 'rsa-4096'

/** An issuer input that fails a check; the message names certificates by subject, never a key. */
export class IssuerError extends Error {
  constructor(
    readonly input: 'issuer-certificate' | 'issuer-key',
    message: string
  ) {
    super(message)
    this.name = 'IssuerError'
  }
}

export interface ClientCertificateRequest {
  /** The subject, most specific part first (RFC 2253 order). */
  subject: readonly NameAttribute[]
  keyType: KeyType
  notBefore: Date
  notAfter: Date
}

export interface SignedCertificate {
  /** The client certificate, the issuer chain, then the client's PKCS#8 key: the file's content. */
  pem: string
  /** The lines of the client's private key, to be masked before anything else happens. */
  keyLines: string[]
  certificate: X509Certificate
}

export interface LocalIssuer {
  /** The signing CA first, then the intermediates given after it. */
  readonly chain: readonly X509Certificate[]
  /** The signing CA's subject, RFC 2253. */
  readonly subject: string
  /** The earliest notAfter of the chain: no certificate signed here may outlive it. */
  readonly expiresAtMs: number
  /** Whether the chain reaches one of `trusted`: one of its certificates, or issued by one. */
  reaches(trusted: readonly X509Certificate[]): boolean
  sign(request: ClientCertificateRequest): Promise<SignedCertificate>
}

/** Node prints a subject one attribute per line in certificate order; RFC 2253 reverses it. */
export function rfc2253(certificate: X509Certificate): string {
  return certificate.subject.split('\n').filter(Boolean).reverse().join(',')
}

const issued = (child: X509Certificate, parent: X509Certificate) =>
  child.checkIssued(parent) && child.verify(parent.publicKey)

const describe = (certificate: X509Certificate) => rfc2253(certificate) || '(empty subject)'

/** Reads and checks the issuer: a CA chain valid now, and the private key of its first certificate. */
export async function loadIssuer(
  certificatePem: string,
  keyPem: string,
  nowMs: number
): Promise<LocalIssuer> {
  const chain = readChain(certificatePem, nowMs)
  const key = readKey(keyPem)
  const signer = chain[0]!
  if (!signer.checkPrivateKey(key)) {
    throw new IssuerError(
      'issuer-key',
      `The key does not belong to ${describe(signer)}, the first certificate of issuer-certificate: give that CA's private key.`
    )
  }
  const signing = await signingKey(key)
  const expiresAtMs = Math.min(...chain.map(c => Date.parse(c.validTo)))
  return {
    chain,
    subject: describe(signer),
    expiresAtMs,
    reaches: trusted =>
      chain.some(link =>
        trusted.some(ca => ca.fingerprint256 === link.fingerprint256 || issued(link, ca))
      ),
    sign: request => signClient(signer, chain, signing, request)
  }
}

function readChain(pem: string, nowMs: number): X509Certificate[] {
  const chain = readCertificates(pem)
  chain.forEach((certificate, i) => {
    const name = `${i === 0 ? 'The signing CA' : `Certificate ${i + 1}`} (${describe(certificate)})`
    const usage = new x509.X509Certificate(certificate.raw).getExtension(x509.KeyUsagesExtension)
    if (usage && !(usage.usages & x509.KeyUsageFlags.keyCertSign))
      throw new IssuerError(
        'issuer-certificate',
        `${name} has a key usage without keyCertSign: it may not sign certificates.`
      )
    // Node's `ca` also requires keyCertSign where a key usage is present: that is checked first,
    // to say which is missing.
    if (!certificate.ca)
      throw new IssuerError(
        'issuer-certificate',
        `${name} is not a CA certificate (its basic constraints do not say CA:TRUE): a CA must sign client certificates.`
      )
    const from = Date.parse(certificate.validFrom)
    const to = Date.parse(certificate.validTo)
    if (to <= nowMs)
      throw new IssuerError(
        'issuer-certificate',
        `${name} expired at ${new Date(to).toISOString()}.`
      )
    if (from > nowMs)
      throw new IssuerError(
        'issuer-certificate',
        `${name} is not valid before ${new Date(from).toISOString()}.`
      )
    const parent = chain[i + 1]
    if (parent && !issued(certificate, parent))
      throw new IssuerError(
        'issuer-certificate',
        `${name} was not issued by the certificate after it (${describe(parent)}): give the signing CA first, then each intermediate up to the CA the project trusts, in order.`
      )
  })
  return chain
}

/** Every certificate of the PEM text, in order; anything else in it is refused. */
function readCertificates(pem: string): X509Certificate[] {
  const parsed = parsePem(pem)
  const accepted =
    'Give the signing CA certificate, then each intermediate up to a CA the project trusts, as PEM (-----BEGIN CERTIFICATE----- blocks only).'
  if (parsed.blocks.length === 0 || parsed.strayText)
    throw new IssuerError(
      'issuer-certificate',
      `No certificate, or text outside the PEM blocks. ${accepted}`
    )
  return parsed.blocks.map((block, i) => {
    if (block.label !== 'CERTIFICATE' || !block.complete)
      throw new IssuerError(
        'issuer-certificate',
        `Block ${i + 1} is ${block.complete ? `a ${block.label}` : 'cut short'}, not a CERTIFICATE${isPrivateKeyLabel(block.label) ? ' (the key goes in issuer-key, from a secret)' : ''}. ${accepted}`
      )
    try {
      return new X509Certificate(blockText(block))
    } catch {
      throw new IssuerError(
        'issuer-certificate',
        `Block ${i + 1} does not parse as an X.509 certificate.`
      )
    }
  })
}

function readKey(pem: string): KeyObject {
  const parsed = parsePem(pem)
  const keys = parsed.blocks.filter(b => b.complete && isPrivateKeyLabel(b.label))
  const accepted =
    'Give the unencrypted private key of the signing CA as PEM: PKCS#8 (BEGIN PRIVATE KEY), PKCS#1 (BEGIN RSA PRIVATE KEY) or SEC1 (BEGIN EC PRIVATE KEY), RSA or EC.'
  if (keys.length !== 1 || parsed.blocks.length !== 1)
    throw new IssuerError('issuer-key', `Expected exactly one private-key block. ${accepted}`)
  let key: KeyObject
  try {
    key = createPrivateKey(pem)
  } catch {
    // Node's message may quote the input: it is not repeated.
    throw new IssuerError(
      'issuer-key',
      `The key does not parse (an encrypted key needs its passphrase, which this action does not take). ${accepted}`
    )
  }
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'ec')
    throw new IssuerError(
      'issuer-key',
      `A ${key.asymmetricKeyType ?? 'unknown'} key is not supported. ${accepted}`
    )
  return key
}

const CURVES: Record<string, { namedCurve: string; hash: string }> = {
  prime256v1: { namedCurve: 'P-256', hash: 'SHA-256' },
  secp384r1: { namedCurve: 'P-384', hash: 'SHA-384' },
  secp521r1: { namedCurve: 'P-521', hash: 'SHA-512' }
}

/** The issuer key as a WebCrypto signing key, with the signature algorithm it signs with. */
async function signingKey(
  key: KeyObject
): Promise<{ key: webcrypto.CryptoKey; algorithm: webcrypto.EcdsaParams | webcrypto.Algorithm }> {
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' })
  if (key.asymmetricKeyType === 'rsa') {
    const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
    return { key: await subtle.importKey('pkcs8', pkcs8, algorithm, false, ['sign']), algorithm }
  }
  const curve = CURVES[key.asymmetricKeyDetails?.namedCurve ?? '']
  if (!curve)
    throw new IssuerError(
      'issuer-key',
      `The EC curve ${key.asymmetricKeyDetails?.namedCurve ?? '(unknown)'} is not supported: use P-256, P-384 or P-521.`
    )
  const imported = await subtle.importKey(
    'pkcs8',
    pkcs8,
    { name: 'ECDSA', namedCurve: curve.namedCurve },
    false,
    ['sign']
  )
  return { key: imported, algorithm: { name: 'ECDSA', hash: curve.hash } }
}

/** A new client key pair, made on the runner. */
export async function generateClientKey(
  keyType: KeyType
): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  if (keyType === 'ec-p256') return generate('ec', { namedCurve: 'P-256' })
  return generate('rsa', { modulusLength: keyType === 'rsa-4096' ? 4096 : 2048 })
}

/** A positive serial of 16 random bytes (at least 64 bits of randomness), hex. */
function randomSerial(): string {
  const bytes = randomBytes(16)
  bytes[0] = (bytes[0]! & 0x7f) | 0x10
  return bytes.toString('hex')
}

async function signClient(
  signer: X509Certificate,
  chain: readonly X509Certificate[],
  signing: Awaited<ReturnType<typeof signingKey>>,
  request: ClientCertificateRequest
): Promise<SignedCertificate> {
  const keys = await generateClientKey(request.keyType)
  const spki = keys.publicKey.export({ type: 'spki', format: 'der' })
  const issuerCertificate = new x509.X509Certificate(signer.raw)
  const issuerKeyId = issuerCertificate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId
  const publicKey = new x509.PublicKey(spki)
  const built = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    // The issuer's subject as encoded in its certificate, so the chain links byte for byte.
    issuer: issuerCertificate.subjectName,
    // DER lists the least specific part first: RFC 2253 text reversed.
    subject: [...request.subject].reverse().map(({ type, value }) => ({
      [ATTRIBUTE_OIDS[type]]: [value]
    })),
    notBefore: request.notBefore,
    notAfter: request.notAfter,
    publicKey,
    signingKey: signing.key,
    signingAlgorithm: signing.algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
      issuerKeyId
        ? new x509.AuthorityKeyIdentifierExtension(issuerKeyId)
        : await x509.AuthorityKeyIdentifierExtension.create(
            signer.publicKey.export({ type: 'spki', format: 'der' })
          )
    ]
  })
  const certificatePem = built.toString('pem').trim() + '\n'
  const keyPem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const keyLines = keyPem
    .split('\n')
    .map(line => line.trim())
    .filter(line => line && !line.startsWith('-----'))
  const chainPem = chain.map(c => c.toString().trim() + '\n').join('')
  const certificate = new X509Certificate(certificatePem)
  // Node's own reading of what the library built: a certificate its issuer did not sign is a defect.
  const subject = request.subject.map(({ type, value }) => `${type}=${value}`).join(',')
  if (!issued(certificate, signer) || rfc2253(certificate) !== subject)
    throw new Error(
      'The signed certificate does not verify against its issuer or names another subject.'
    )
  return { pem: certificatePem + chainPem + keyPem, keyLines, certificate }
}
