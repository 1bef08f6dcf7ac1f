import { X509Certificate } from 'node:crypto'
import type { UserSecurity } from './atlas/api.js'
import { distinguishedName } from './certificate/pem.js'
import { InputError, parseFileInput, type InputReader } from './inputs/inputs.js'

/** Customer-managed X.509: the CA bundle, its checks, and what Atlas holds. */

/** A CA bundle that failed the local checks; the message names the block, never its content. */
export class CaBundleError extends Error {}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g

/** Every certificate of a PEM bundle, in order. Anything that is not a certificate is refused. */
export function parseCertificates(pem: string): X509Certificate[] {
  const text = pem.replace(/\r\n/g, '\n')
  const blocks = [...text.matchAll(PEM_BLOCK)]
  if (blocks.length === 0)
    throw new CaBundleError('No PEM certificate block (-----BEGIN CERTIFICATE-----) was found.')
  if (text.replace(PEM_BLOCK, '').trim() !== '') {
    throw new CaBundleError(
      'There is text outside the PEM blocks; give only -----BEGIN CERTIFICATE----- blocks.'
    )
  }
  return blocks.map((block, i) => {
    if (block[1] !== 'CERTIFICATE') {
      throw new CaBundleError(
        `Block ${i + 1} is a ${block[1]}, not a CERTIFICATE${block[1]!.includes('PRIVATE') ? ' (never upload a private key)' : ''}.`
      )
    }
    try {
      return new X509Certificate(block[0])
    } catch {
      throw new CaBundleError(`Block ${i + 1} does not parse as an X.509 certificate.`)
    }
  })
}

/** Checks a bundle before it is uploaded: each certificate is a CA and none has expired. */
export function checkCaBundle(pem: string, now: number): X509Certificate[] {
  const certificates = parseCertificates(pem)
  certificates.forEach((certificate, i) => {
    const name = `Certificate ${i + 1} (${distinguishedName(certificate.subject)})`
    if (!certificate.ca)
      throw new CaBundleError(
        `${name} is not a CA certificate (its basic constraints do not say CA:TRUE).`
      )
    if (Date.parse(certificate.validTo) <= now) {
      throw new CaBundleError(`${name} expired on ${new Date(certificate.validTo).toISOString()}.`)
    }
  })
  return certificates
}

/** The bundle as sent to Atlas: the blocks whole and in the order given, `\n` line ends. */
export function normalisedPem(certificates: X509Certificate[]): string {
  return certificates.map(c => c.toString().trim()).join('\n') + '\n'
}

/** The same certificates, whatever the text around them and their order. */
export function sameCertificates(a: X509Certificate[], b: X509Certificate[]): boolean {
  const prints = (list: X509Certificate[]) =>
    list
      .map(c => c.fingerprint256)
      .sort()
      .join('|')
  return prints(a) === prints(b)
}

export function earliestExpiry(certificates: X509Certificate[]): string {
  const earliest = Math.min(...certificates.map(c => Date.parse(c.validTo)))
  return new Date(earliest).toISOString()
}

/** The customer CA PEM, or undefined when customer X.509 is off (absent, null, or empty `cas`). */
export function customerCas(security: UserSecurity): string | undefined {
  const cas = security.customerX509?.cas
  return typeof cas === 'string' && cas.trim() !== '' ? cas : undefined
}

/** The certificates Atlas holds, or undefined when none or when they do not parse. */
export function heldCertificates(pem: string | undefined): X509Certificate[] | undefined {
  try {
    return pem ? parseCertificates(pem) : undefined
  } catch {
    return undefined // what Atlas holds does not parse: replace it
  }
}

/** Where the CA certificates come from: text given inline, or a file to read. */
export type CaSource = { kind: 'text'; pem: string } | { kind: 'file'; path: string }

export function parseCaSource(read: InputReader): CaSource {
  const text = read('ca-certificates')
  const path = parseFileInput(read, 'ca-file')
  const accepted =
    'Give exactly one of `ca-certificates` (PEM text) and `ca-file` (a path to a PEM file).'
  if (text && path)
    throw new InputError(
      'ca-certificates',
      `Both ca-certificates and ca-file were given. ${accepted}`
    )
  if (!text && !path) throw new InputError('ca-certificates', `No CA was given. ${accepted}`)
  return text ? { kind: 'text', pem: text } : { kind: 'file', path }
}
