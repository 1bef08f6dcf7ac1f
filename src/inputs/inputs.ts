/**
 * Reading inputs: the reader type, the error every bad input becomes, and the parsers that more
 * than one operation uses. Pure: nothing here performs I/O.
 */

import { InputError } from '../errors.js'
import type { InputReader } from '../environment.js'

export type { Environment, InputReader } from '../environment.js'
export { InputError }

/**
 * Every input default that does not depend on the operation, in one place (action.yml states the
 * same ones; a test compares them).
 */
export const DEFAULTS = {
  operation: 'create-certificate',
  'base-url': 'https://cloud.mongodb.com',
  'timeout-seconds': 60,
  'max-retries': 4,
  'output-certificate': false,
  cleanup: true,
  'ephemeral-ttl-hours': 24,
  'wait-until-ready': true,
  'ready-timeout-seconds': 300,
  'verify-login': false,
  /** Where `access-list: runner` asks for the runner's public address: plain text, AWS-operated. */
  'runner-ip-url': 'https://checkip.amazonaws.com',
  'dry-run': false,
  'prune-limit': 100,
  'expiry-warning-days': 30,
  'key-type': 'ec-p256'
} as const

export function parseInteger(
  read: InputReader,
  name: string,
  fallback: number,
  min: number,
  max: number
): number {
  const raw = read(name)
  if (raw === '') return fallback
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new InputError(
      name,
      `"${raw}" is not accepted: expected a whole number from ${min} to ${max}.`
    )
  }
  return Number(raw)
}

/** YAML 1.2 core-schema booleans, as `core.getBooleanInput` accepts them. */
export function parseBoolean(read: InputReader, name: string, fallback: boolean): boolean {
  const raw = read(name)
  if (raw === '') return fallback
  if (['true', 'True', 'TRUE'].includes(raw)) return true
  if (['false', 'False', 'FALSE'].includes(raw)) return false
  throw new InputError(name, `"${raw}" is not a boolean: use true or false.`)
}

export const isControlCharacter = (c: string) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f

/** The `username` input: a database user in `$external`. */
export function parseUsername(read: InputReader): string {
  const username = read('username')
  if (!username)
    throw new InputError('username', 'Required: the name of the database user in `$external`.')
  if (username.length > 1024 || [...username].some(isControlCharacter)) {
    throw new InputError('username', 'Expected at most 1024 printable characters.')
  }
  const rewritten = pathSegmentProblem(username)
  if (rewritten) throw new InputError('username', `"${username}" ${rewritten}`)
  return username
}

/**
 * Why a value cannot be one path segment of an Atlas URL, or undefined when it can. Percent-
 * encoding keeps `/` and `?` inside the segment, but URL parsers and servers still rewrite some
 * segments after it: `.` and `..` (also as `%2E`) are resolved as relative paths, `%2F` and `%5C`
 * are decoded to separators by some proxies, and `%` itself invites a second decoding. A name
 * that could be rewritten would address another resource.
 */
export function pathSegmentProblem(value: string): string | undefined {
  if (value === '.' || value === '..')
    return 'cannot be used: URL normalisation resolves it as a relative path segment.'
  if (/[/\\%]/.test(value))
    return 'cannot be used: names with `/`, `\\` or `%` can be rewritten to another path by URL normalisation or a proxy that decodes the path.'
  return undefined
}

/** A path input (`certificate-file`, `ca-file`): printable characters only, or '' when unset. */
export function parseFileInput(read: InputReader, name: string): string {
  const value = read(name)
  if ([...value].some(isControlCharacter))
    throw new InputError(
      name,
      'The path contains a control character (a line break?); give a plain file path.'
    )
  return value
}

export function parseExpiryWarningDays(read: InputReader): number {
  return parseInteger(read, 'expiry-warning-days', DEFAULTS['expiry-warning-days'], 0, 3650)
}

/** Splits a list input on commas and newlines, dropping empty entries. */
export function splitList(value: string): string[] {
  return value
    .split(/[,\n]/)
    .map(entry => entry.trim())
    .filter(entry => entry !== '')
}
