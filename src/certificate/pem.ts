import { createPrivateKey, X509Certificate } from 'node:crypto'

/** The certificate response failed its check; the message never contains any of the body. */
export class CertificateResponseError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CertificateResponseError'
  }
}

export interface PemBlock {
  label: string
  /** The base64 lines between the armour lines, trimmed, without `\r`. */
  lines: string[]
  /** False when the body ended before the END line. */
  complete: boolean
}

export interface ParsedPem {
  blocks: PemBlock[]
  /** Non-empty text outside any block (or armour that does not pair up). */
  strayText: boolean
}

const BEGIN = /^-----BEGIN ([A-Z0-9 ]+)-----$/
const END = /^-----END ([A-Z0-9 ]+)-----$/

/** Reads PEM text line by line: armour lines must stand alone on their line. */
export function parsePem(text: string): ParsedPem {
  const blocks: PemBlock[] = []
  let strayText = false
  let open: PemBlock | undefined
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r/g, '').trim()
    const begin = BEGIN.exec(line)
    const end = END.exec(line)
    if (begin) {
      if (open) strayText = true
      open = { label: begin[1]!, lines: [], complete: false }
      blocks.push(open)
    } else if (end) {
      if (open && end[1] === open.label) open.complete = true
      else strayText = true
      open = undefined
    } else if (open) {
      if (line) open.lines.push(line)
    } else if (line) {
      strayText = true
    }
  }
  return { blocks, strayText }
}

export function isPrivateKeyLabel(label: string): boolean {
  return label.endsWith('PRIVATE KEY')
}

/** A block as PEM text with `\n` line ends. */
export function blockText(block: PemBlock): string {
  return `-----BEGIN ${block.label}-----\n${block.lines.join('\n')}\n-----END ${block.label}-----\n`
}

/** Atlas sends raw PEM text; accept a JSON-quoted string too, as a client that read it as JSON would. */
function unquote(body: string): string {
  const trimmed = body.trim()
  if (trimmed.startsWith('"')) {
    try {
      const value: unknown = JSON.parse(trimmed)
      if (typeof value === 'string') return value
    } catch {
      // not JSON: checked as PEM, and refused there
    }
  }
  return body
}

export interface IssuedCertificate {
  /** Certificate block then private-key block, `\n` line ends. */
  pem: string
  subject: string
  serialNumber: string
  fingerprintSha256: string
  expiresAt: string
}

/**
 * A certificate response, read once: `masks` are the values to register with the log masking
 * before anything else happens (the whole body and every line of every private-key block, complete
 * or cut short); `check()` then validates the same parse.
 */
export interface CertificateResponse {
  masks: string[]
  check(): IssuedCertificate
}

export function readCertificateResponse(body: string): CertificateResponse {
  const text = unquote(body)
  const parsed = parsePem(text)
  const masks = new Set<string>()
  for (const value of [body.trim(), text.trim()]) if (value) masks.add(value)
  // From a private-key BEGIN line to its END: a key block cut short masks what follows it too.
  let inKey = false
  for (const block of parsed.blocks) {
    if (isPrivateKeyLabel(block.label)) inKey = true
    if (inKey) for (const line of block.lines) masks.add(line)
    if (block.complete && isPrivateKeyLabel(block.label)) inKey = false
  }
  return { masks: [...masks], check: () => checkIssued(parsed) }
}

function checkIssued(parsed: ParsedPem): IssuedCertificate {
  // A block cut short is no block: it counts as stray text.
  const complete = parsed.blocks.filter(b => b.complete)
  const certs = complete.filter(b => b.label === 'CERTIFICATE')
  const keys = complete.filter(b => isPrivateKeyLabel(b.label))
  const others = complete.length - certs.length - keys.length
  const incomplete = complete.length < parsed.blocks.length
  if (certs.length !== 1 || keys.length !== 1 || others > 0 || parsed.strayText || incomplete) {
    throw new CertificateResponseError(
      `Atlas's certificate response is not one certificate and one private key (found ${certs.length} certificate block(s), ${keys.length} key block(s), ${others} other block(s)${parsed.strayText || incomplete ? ' and stray text' : ''}). Nothing was written.`
    )
  }
  const certPem = blockText(certs[0]!)
  const keyPem = blockText(keys[0]!)
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
