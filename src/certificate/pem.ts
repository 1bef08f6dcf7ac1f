import { createPrivateKey, X509Certificate } from 'node:crypto'
import { TitledError } from '../errors.js'

/** The certificate response failed its check; the message never contains any of the body. */
export class CertificateResponseError extends TitledError {
  constructor(message: string) {
    super('Unusable certificate response', message)
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
  /** The subject's common name when the subject is exactly one CN attribute. */
  commonName: string | undefined
  serialNumber: string
  fingerprintSha256: string
  /** notBefore, ISO 8601 UTC. */
  validFrom: string
  /** notAfter, ISO 8601 UTC. */
  expiresAt: string
}

/**
 * A certificate response, read once: `masks` are the values to register with the log masking
 * before anything else happens (the lines of every private key in it, and the whole body when it
 * is a certificate and its key); `check()` then answers the same parse's verdict.
 */
export interface CertificateResponse {
  masks: string[]
  check(): IssuedCertificate
}

/** A certificate and its key are a few KB: a larger answer is refused unread. */
export const MAX_CERTIFICATE_RESPONSE_BYTES = 64 * 1024
/**
 * No shorter string from a server's answer is ever registered as a mask: the runner would blank it
 * wherever it appears in the rest of the log. A key line that short cannot be masked, so a key
 * with one is refused.
 */
export const MIN_MASKED_LINE = 8
const BASE64_LINE = /^[A-Za-z0-9+/]+={0,2}$/
const PRIVATE_KEY_BEGIN = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----/g

const isMaskable = (value: string) => value.length >= MIN_MASKED_LINE

/** A private-key block the check can accept: complete, and every line base64 and maskable. */
function isMaskableKeyBlock(block: PemBlock): boolean {
  return (
    block.complete &&
    block.lines.length > 0 &&
    block.lines.every(line => BASE64_LINE.test(line) && isMaskable(line))
  )
}

function parsesAsKey(block: PemBlock): boolean {
  try {
    createPrivateKey(blockText(block))
    return true
  } catch {
    return false
  }
}

/**
 * Key blocks wherever a private-key BEGIN marker appears, on its own line or not: the
 * whitespace-separated pieces up to the next armour (or the end of the body). This covers bodies
 * the strict parse refuses (armour joined to other text).
 */
function looseKeyBlocks(text: string): PemBlock[] {
  const found: PemBlock[] = []
  for (const match of text.matchAll(PRIVATE_KEY_BEGIN)) {
    const from = match.index + match[0].length
    const next = text.indexOf('-----', from)
    const material = text.slice(from, next === -1 ? undefined : next)
    const lines = material.split(/\s+/).filter(Boolean)
    if (lines.every(line => BASE64_LINE.test(line)))
      found.push({ label: match[1]!, lines, complete: true })
  }
  return found
}

/**
 * Whether the runner may mask `value` whole: it masks each line of a multi-line mask too, so
 * every line must be empty or maskable.
 */
function maskableWhole(value: string): boolean {
  return value.split(/\r\n|\r|\n/).every(line => line === '' || isMaskable(line))
}

export function readCertificateResponse(body: string): CertificateResponse {
  const size = Buffer.byteLength(body, 'utf8')
  if (size > MAX_CERTIFICATE_RESPONSE_BYTES) {
    // Nothing of it is parsed or registered: a body this size is not a certificate and a key.
    return {
      masks: [],
      check: () => {
        throw new CertificateResponseError(
          `Atlas's certificate response is ${size} bytes, more than the ${MAX_CERTIFICATE_RESPONSE_BYTES / 1024} KiB a certificate and key can take; refused unread. Nothing was written.`
        )
      }
    }
  }
  const text = unquote(body)
  const parsed = parsePem(text)
  const masks = new Set<string>()
  // Only lines of what is really a key: text in key armour that is not one is no secret, and its
  // lines could be any words of the log.
  const keyBlocks = [
    ...parsed.blocks.filter(block => isPrivateKeyLabel(block.label)),
    ...looseKeyBlocks(text.replace(/\r/g, '\n'))
  ]
  for (const block of keyBlocks) {
    if (block.complete && parsesAsKey(block))
      for (const line of block.lines) if (isMaskable(line)) masks.add(line)
  }
  let verdict: { issued: IssuedCertificate } | { error: unknown }
  try {
    verdict = { issued: checkIssued(parsed) }
  } catch (error) {
    verdict = { error }
  }
  // The whole body only when it is a certificate and its key: any other body is no secret. The
  // PEM as written (the `certificate` output) too, where blanks or line ends made it differ.
  if ('issued' in verdict) {
    for (const value of [body.trim(), text.trim(), verdict.issued.pem.trim()])
      if (maskableWhole(value)) masks.add(value)
  }
  return {
    masks: [...masks],
    check: () => {
      if ('error' in verdict) throw verdict.error
      return verdict.issued
    }
  }
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
  if (!certs[0]!.lines.every(line => BASE64_LINE.test(line)) || !isMaskableKeyBlock(keys[0]!)) {
    throw new CertificateResponseError(
      `Atlas's certificate response has lines inside its PEM blocks that are not base64 (or a key line shorter than ${MIN_MASKED_LINE} characters, which could not be masked). Nothing was written.`
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
  const validFrom = Date.parse(certificate.validFrom)
  const validTo = Date.parse(certificate.validTo)
  if (!Number.isFinite(validFrom) || !Number.isFinite(validTo)) {
    throw new CertificateResponseError(
      "Atlas's certificate has a validity period Node cannot read. Nothing was written."
    )
  }
  return {
    pem: certPem + keyPem,
    subject: distinguishedName(certificate.subject),
    commonName: soleCommonName(certificate),
    serialNumber: certificate.serialNumber.toUpperCase(),
    fingerprintSha256: certificate.fingerprint256,
    validFrom: new Date(validFrom).toISOString(),
    expiresAt: new Date(validTo).toISOString()
  }
}

/** The CN of a subject that is exactly one CN attribute (unescaped), else undefined. */
function soleCommonName(certificate: X509Certificate): string | undefined {
  const subject: Record<string, unknown> = certificate.toLegacyObject().subject ?? {}
  const names = Object.keys(subject)
  return names.length === 1 && typeof subject.CN === 'string' ? subject.CN : undefined
}

const DAY_MS = 86_400_000
/** Clock skew allowed between the runner and Atlas for a notBefore in the future. */
const MAX_NOT_BEFORE_SKEW_MS = 3600_000
/** How far the expiry may be from now + months before it is worth a warning. */
const EXPIRY_TOLERANCE_MS = 3 * DAY_MS

/** `now` plus whole calendar months, as Atlas counts monthsUntilExpiration. */
export function addMonths(now: number, months: number): number {
  const date = new Date(now)
  date.setUTCMonth(date.getUTCMonth() + months)
  return date.getTime()
}

/**
 * Checks an issued certificate against what was asked: refuses (CertificateResponseError) one
 * for another user, already expired or not valid for a long while yet; returns a warning when its
 * expiry is more than a few days off now + months.
 */
export function checkAgainstRequest(
  issued: IssuedCertificate,
  request: { username: string; months: number; now: number }
): string | undefined {
  const { username, months, now } = request
  if (issued.commonName !== username) {
    throw new CertificateResponseError(
      `Atlas returned a certificate for the subject ${JSON.stringify(issued.subject.slice(0, 200))}, not CN=${username} as asked. It cannot authenticate ${username}; nothing was written.`
    )
  }
  const expiresAt = Date.parse(issued.expiresAt)
  if (expiresAt <= now) {
    throw new CertificateResponseError(
      `Atlas returned a certificate that expired at ${issued.expiresAt}, before now (${new Date(now).toISOString()}). Nothing was written: check the runner's clock, then run again.`
    )
  }
  if (Date.parse(issued.validFrom) > now + MAX_NOT_BEFORE_SKEW_MS) {
    throw new CertificateResponseError(
      `Atlas returned a certificate that is not valid before ${issued.validFrom}, more than an hour from now (${new Date(now).toISOString()}). Nothing was written: check the runner's clock, then run again.`
    )
  }
  const expected = addMonths(now, months)
  if (Math.abs(expiresAt - expected) > EXPIRY_TOLERANCE_MS) {
    const days = Math.round((expiresAt - expected) / DAY_MS)
    return `The certificate for ${username} expires at ${issued.expiresAt}, ${Math.abs(days)} day(s) ${days < 0 ? 'earlier' : 'later'} than the ${months} month(s) asked for (${new Date(expected).toISOString()}).`
  }
  return undefined
}

/** Node prints a DN one attribute per line; outputs use the one-line `CN=a,OU=b` form. */
export function distinguishedName(multiline: string): string {
  return multiline.split('\n').filter(Boolean).join(',')
}
