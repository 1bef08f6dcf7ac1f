import type { Credentials } from '../atlas/auth/methods.js'
import { parseCredentials } from './credentials.js'
import { DEFAULTS, InputError, parseInteger, type Environment, type InputReader } from './inputs.js'

/** The inputs every operation shares. */
export interface CommonConfig {
  groupId: string
  credentials: Credentials
  /** Origin only, no trailing slash: `https://cloud.mongodb.com`. */
  baseUrl: string
  timeoutSeconds: number
  maxRetries: number
}

export function parseCommonConfig(read: InputReader, env: Environment): CommonConfig {
  return {
    groupId: parseGroupId(read('group-id') || env.MONGODB_ATLAS_PROJECT_ID?.trim() || ''),
    credentials: parseCredentials(read, env),
    baseUrl: parseBaseUrl(
      read('base-url') || env.MONGODB_ATLAS_BASE_URL?.trim() || DEFAULTS['base-url']
    ),
    ...parseRequestLimits(read)
  }
}

/** How long and how often requests may go: inputs only (the post step reads these too). */
export function parseRequestLimits(
  read: InputReader
): Pick<CommonConfig, 'timeoutSeconds' | 'maxRetries'> {
  return {
    timeoutSeconds: parseInteger(read, 'timeout-seconds', DEFAULTS['timeout-seconds'], 1, 3600),
    maxRetries: parseInteger(read, 'max-retries', DEFAULTS['max-retries'], 0, 10)
  }
}

function parseGroupId(value: string): string {
  if (!value) {
    throw new InputError(
      'group-id',
      'Required: the 24-hex-digit Atlas project id, as the `group-id` input or the MONGODB_ATLAS_PROJECT_ID environment variable.'
    )
  }
  if (!/^[a-f0-9]{24}$/.test(value)) {
    throw new InputError(
      'group-id',
      `"${value}" is not a project id: expected 24 lower-case hex digits (^[a-f0-9]{24}$).`
    )
  }
  return value
}

/** Hosts that plain http:// may address: the traffic never leaves the machine. */
export const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i

function parseBaseUrl(value: string): string {
  const accepted =
    'Accepted: an https:// origin such as https://cloud.mongodb.com or https://cloud.mongodbgov.com (http:// only for loopback hosts).'
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InputError('base-url', `"${value}" is not a URL. ${accepted}`)
  }
  if (url.username || url.password)
    throw new InputError('base-url', `The URL must not carry credentials. ${accepted}`)
  if (url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    throw new InputError(
      'base-url',
      `"${value}" has a path, query or fragment; give the origin only. ${accepted}`
    )
  }
  if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname)) {
    throw new InputError(
      'base-url',
      `Plain http:// is refused for ${url.hostname}: credentials would cross the network unencrypted. ${accepted}`
    )
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InputError('base-url', `Scheme ${url.protocol} is not supported. ${accepted}`)
  }
  return url.origin
}
