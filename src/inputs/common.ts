import type { Credentials } from '../atlas/auth/methods.js'
import { parseCredentials } from './credentials.js'
import { DEFAULTS, InputError, parseInteger, type Environment, type InputReader } from './inputs.js'

/** The inputs every operation shares. */
export interface CommonConfig {
  /** The project; '' when the step covers an organisation (orgId). */
  groupId: string
  /** The organisation whose every project the step covers, when `org-id` was given instead. */
  orgId?: string
  credentials: Credentials
  /** Origin only, no trailing slash: `https://cloud.mongodb.com`. */
  baseUrl: string
  timeoutSeconds: number
  maxRetries: number
}

/**
 * The inputs every operation shares. `orgWide`: the operation, as configured, may cover every
 * project of an organisation (`org-id`) instead of one.
 */
export function parseCommonConfig(
  read: InputReader,
  env: Environment,
  orgWide = false
): CommonConfig {
  return {
    ...parseScope(read, env, orgWide),
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

const ORG_WIDE_OPERATIONS =
  'org-id is accepted by list-certificates without username and by prune-ephemeral-users; every other operation, and list-certificates with username, takes group-id'

/**
 * The project (`group-id`, else MONGODB_ATLAS_PROJECT_ID) or, where the operation allows it, the
 * organisation (`org-id`, else MONGODB_ATLAS_ORG_ID): exactly one. An input wins over the other's
 * environment variable; the two inputs, or the two variables alone, are ambiguous.
 */
function parseScope(
  read: InputReader,
  env: Environment,
  orgWide: boolean
): Pick<CommonConfig, 'groupId' | 'orgId'> {
  const groupInput = read('group-id')
  const orgInput = read('org-id')
  if (orgInput && !orgWide)
    throw new InputError('org-id', `Not accepted here: ${ORG_WIDE_OPERATIONS}.`)
  if (groupInput && orgInput) {
    throw new InputError(
      'org-id',
      'group-id and org-id are both given: give group-id for one project or org-id for every project of the organisation, not both.'
    )
  }
  const groupEnv = env.MONGODB_ATLAS_PROJECT_ID?.trim() ?? ''
  const orgEnv = orgWide ? (env.MONGODB_ATLAS_ORG_ID?.trim() ?? '') : ''
  if (orgInput || (!groupInput && orgEnv && !groupEnv))
    return { groupId: '', orgId: parseOrgId(orgInput || orgEnv) }
  if (!groupInput && groupEnv && orgEnv) {
    throw new InputError(
      'org-id',
      'MONGODB_ATLAS_PROJECT_ID and MONGODB_ATLAS_ORG_ID are both set and neither group-id nor org-id is given: give one of the two inputs to say whether the step covers the project or the organisation.'
    )
  }
  return { groupId: parseGroupId(groupInput || groupEnv, orgWide) }
}

function parseOrgId(value: string): string {
  if (!/^[a-f0-9]{24}$/.test(value)) {
    throw new InputError(
      'org-id',
      `"${value}" is not an organisation id: expected 24 lower-case hex digits (^[a-f0-9]{24}$), as shown in the Atlas organisation settings.`
    )
  }
  return value
}

function parseGroupId(value: string, orgWide = false): string {
  if (!value) {
    throw new InputError(
      'group-id',
      `Required: the 24-hex-digit Atlas project id, as the \`group-id\` input or the MONGODB_ATLAS_PROJECT_ID environment variable${orgWide ? '; or, for every project of an organisation, its id as the `org-id` input or the MONGODB_ATLAS_ORG_ID environment variable' : ''}.`
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
