import { randomBytes } from 'node:crypto'
import { isIP } from 'node:net'
import { AtlasApiError, AtlasUnreachableError } from '../atlas/errors.js'
import { TitledError } from '../errors.js'
import { LOOPBACK } from '../inputs/common.js'
import { DEFAULTS, InputError, splitList, type InputReader } from '../inputs/inputs.js'
import { runIdentity } from '../run-identity.js'
import { list, READY_POLL, seconds } from './ephemeral-readiness.js'
import { STATE, type StepContext } from './operation.js'

/**
 * A temporary entry on the project's IP access list for this job (a GitHub-hosted runner has a
 * new public address every job): added only where the list lacks it, with a comment naming the
 * run and a deleteAfterDate so Atlas removes it even if no post step runs, and deleted by the
 * post step. An entry already listed is never written (a POST would overwrite its comment and
 * make a permanent entry temporary) and never deleted.
 */

/** Where `runner` asks for the runner's public address by default (one address, plain text). */
export const DEFAULT_RUNNER_IP_URL = DEFAULTS['runner-ip-url']

/** Atlas keeps a temporary entry at most a week; a margin for clock skew between runner and Atlas. */
const MAX_ENTRY_LIFETIME_MS = 7 * 86_400_000 - 10 * 60_000
/** Atlas's limit on an entry's comment. */
const MAX_COMMENT = 80
/** An address service's answer longer than this is no single address. */
const MAX_ADDRESS_ANSWER = 100

export interface AccessListConfig {
  /** IP addresses and CIDR blocks, as given. */
  entries: string[]
  /** Whether `runner` was given: this runner's public address is added too. */
  runner: boolean
  runnerIpUrl: string
}

/** What the post step is given: the entries and the comment each was added with. */
export interface AddedEntry {
  entry: string
  comment: string
}

/**
 * An IP address, or a CIDR block with no host bits set (Atlas would list another block than the
 * one written, and the post step could not find it again); undefined when it is neither.
 */
export function entryProblem(value: string): string | undefined {
  const [address = '', prefix, extra] = value.split('/')
  const family = isIP(address)
  if (family === 0 || extra !== undefined) return 'is not an IP address or CIDR block'
  if (prefix === undefined) return undefined
  const bits = family === 4 ? 32 : 128
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > bits)
    return `has a prefix length that is not 0 to ${bits}`
  const value128 = addressBits(address)
  const hostBits = BigInt(bits - Number(prefix))
  if (hostBits > 0n && value128 % (1n << hostBits) !== 0n)
    return 'has host bits set: write the network address of the block'
  return undefined
}

/** An address as an integer (IPv4 in 32 bits, IPv6 in 128). */
function addressBits(address: string): bigint {
  if (isIP(address) === 4)
    return address.split('.').reduce((sum, part) => (sum << 8n) + BigInt(Number(part)), 0n)
  const [head = '', tail = ''] = address.split('::')
  const groups = (text: string) =>
    text === ''
      ? []
      : text.split(':').flatMap(group => {
          // An embedded IPv4 tail (::ffff:192.0.2.1) is two groups.
          if (!group.includes('.')) return [BigInt(`0x${group}`)]
          const v4 = addressBits(group)
          return [v4 >> 16n, v4 & 0xffffn]
        })
  const left = groups(head)
  const right = groups(tail)
  const all = address.includes('::')
    ? [...left, ...Array<bigint>(8 - left.length - right.length).fill(0n), ...right]
    : left
  return all.reduce((sum, group) => (sum << 16n) + group, 0n)
}

function parseRunnerIpUrl(read: InputReader): string {
  const value = read('runner-ip-url') || DEFAULT_RUNNER_IP_URL
  const accepted = `Accepted: an https:// URL that answers this runner's public address as plain text (default ${DEFAULT_RUNNER_IP_URL}; http:// only for loopback hosts).`
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InputError('runner-ip-url', `"${value}" is not a URL. ${accepted}`)
  }
  if (url.username || url.password)
    throw new InputError('runner-ip-url', `The URL must not carry credentials. ${accepted}`)
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.test(url.hostname)))
    throw new InputError('runner-ip-url', `${url.protocol}//${url.host} is refused. ${accepted}`)
  return url.href
}

/** `access-list`: empty, `runner`, and/or IP addresses and CIDR blocks (commas or newlines). */
export function parseAccessList(read: InputReader): AccessListConfig {
  const items = splitList(read('access-list'))
  const accepted =
    "Accepted: `runner` (this runner's public address) and/or IP addresses and CIDR blocks, separated by commas or newlines, e.g. `203.0.113.7, 198.51.100.0/24`."
  const entries: string[] = []
  let runner = false
  for (const item of items) {
    if (item === 'runner') {
      runner = true
      continue
    }
    const problem = entryProblem(item)
    if (problem) throw new InputError('access-list', `"${item}" ${problem}. ${accepted}`)
    if (!entries.includes(item)) entries.push(item)
  }
  return { entries, runner, runnerIpUrl: runner ? parseRunnerIpUrl(read) : DEFAULT_RUNNER_IP_URL }
}

export const wantsAccessList = (config: AccessListConfig) =>
  config.runner || config.entries.length > 0

/**
 * The entries to make sure of: those given, plus this runner's public address for `runner`,
 * asked of `runner-ip-url` before anything is created. The answer must be one address.
 */
export async function resolveEntries(
  config: AccessListConfig,
  ctx: StepContext
): Promise<string[]> {
  if (!config.runner) return config.entries
  const address = await runnerAddress(config.runnerIpUrl, ctx)
  ctx.io.info(`This runner's public address is ${address} (from ${config.runnerIpUrl}).`)
  return config.entries.includes(address) ? config.entries : [...config.entries, address]
}

async function runnerAddress(url: string, ctx: StepContext): Promise<string> {
  const unknown = (what: string) =>
    new TitledError(
      'Runner address unknown',
      `${url} ${what}, so access-list: runner has no address to add. Nothing was created. Set runner-ip-url to a service that answers the runner's public address as plain text, or list the address or block in access-list.`
    )
  if (!ctx.getPlainText) throw unknown('cannot be asked from here')
  let answer
  try {
    answer = await ctx.getPlainText(url)
  } catch (error) {
    if (!(error instanceof AtlasUnreachableError)) throw error
    throw unknown(`did not answer (${error.message})`)
  }
  if (answer.status < 200 || answer.status >= 300) throw unknown(`answered HTTP ${answer.status}`)
  const text = answer.text.trim()
  if (text.length > MAX_ADDRESS_ANSWER || isIP(text) === 0)
    throw unknown(
      `answered something that is not one IPv4 or IPv6 address (${text.length > MAX_ADDRESS_ANSWER ? `${text.length} characters` : JSON.stringify(text)})`
    )
  return text
}

/** `atlas-x509-action <owner/repo> run <id>/<attempt> <nonce>`, the repository cut to fit 80. */
export function entryComment(ctx: StepContext, nonce: string): string {
  const run = runIdentity(ctx.env)
  const head = 'atlas-x509-action '
  const tail = ` run ${run.runId}/${run.runAttempt} ${nonce}`
  const room = MAX_COMMENT - head.length - tail.length
  const repository =
    run.repository.length > room ? `…${run.repository.slice(-(room - 1))}` : run.repository
  return `${head}${repository}${tail}`.slice(0, MAX_COMMENT)
}

/** The entry's deleteAfterDate: `ttlHours` from now, at most Atlas's one week (less a margin). */
export function deleteAfterDate(nowMs: number, ttlHours: number): string {
  return new Date(nowMs + Math.min(ttlHours * 3600_000, MAX_ENTRY_LIFETIME_MS)).toISOString()
}

/**
 * Adds each entry the list lacks, one POST at a time (Atlas refuses concurrent POSTs to a list).
 * The record for the post step is saved before each POST, so a step cancelled mid-request still
 * has the entry looked for; an entry Atlas refused outright is taken off the record again.
 * Returns the entries added.
 */
export async function addEntries(
  entries: string[],
  ttlHours: number,
  record: boolean,
  ctx: StepContext
): Promise<string[]> {
  const { api, groupId, io } = ctx
  const comment = entryComment(ctx, randomBytes(4).toString('hex'))
  const added: AddedEntry[] = []
  const save = () => {
    if (record) io.saveState(STATE.accessListEntries, added.length ? JSON.stringify(added) : '')
  }
  for (const entry of entries) {
    const existing = await api.getAccessListEntry(groupId, entry)
    if (existing) {
      io.info(`${entry} is already on the IP access list of project ${groupId}: left as it is.`)
      continue
    }
    const expires = deleteAfterDate(ctx.clock.now(), ttlHours)
    added.push({ entry, comment })
    save()
    try {
      await api.addAccessListEntry(groupId, entry, comment, expires)
    } catch (error) {
      if (error instanceof AtlasApiError && error.status < 500) {
        added.pop()
        save()
      }
      throw error
    }
    io.info(
      `Added ${entry} to the IP access list of project ${groupId} until ${expires} ("${comment}").`
    )
  }
  return added.map(item => item.entry)
}

/** The entries did not become ACTIVE within the wait. */
export class AccessListNotActiveError extends TitledError {
  constructor(pending: string[], waitedMs: number, timeoutSeconds: number) {
    super(
      'Access-list entry not active',
      `After ${seconds(waitedMs)} s (ready-timeout-seconds: ${timeoutSeconds}), ${list(pending)} ${pending.length === 1 ? 'is' : 'are'} still PENDING on the project's IP access list: connections from ${pending.length === 1 ? 'it' : 'them'} may still be refused. Raise ready-timeout-seconds, or check Network Access in the Atlas UI.`
    )
  }
}

/**
 * Polls `…/accessList/{entry}/status` of each added entry until it reports ACTIVE, by
 * `deadlineMs`; FAILED is an error at once.
 */
export async function waitUntilActive(
  entries: string[],
  deadlineMs: number,
  timeoutSeconds: number,
  ctx: StepContext
): Promise<void> {
  if (entries.length === 0) return
  const { api, clock, groupId, io } = ctx
  const started = clock.now()
  await api.withinBudget(deadlineMs, timeoutSeconds, 'ready-timeout-seconds', async () => {
    let pending = [...entries]
    let intervalMs: number = READY_POLL.firstIntervalMs
    for (;;) {
      const still: string[] = []
      for (const entry of pending) {
        let status
        try {
          status = await api.getAccessListStatus(groupId, entry)
        } catch (error) {
          if (error instanceof AtlasUnreachableError && clock.now() >= deadlineMs)
            throw new AccessListNotActiveError(pending, clock.now() - started, timeoutSeconds)
          throw error
        }
        if (status === 'FAILED')
          throw new TitledError(
            'Access-list entry failed',
            `Atlas reports FAILED for ${entry} on the IP access list of project ${groupId}: it did not apply the entry. The post step deletes it; run the step again, or check Network Access in the Atlas UI.`
          )
        if (status === 'PENDING') still.push(entry)
      }
      pending = still
      if (pending.length === 0) break
      const remaining = deadlineMs - clock.now()
      if (remaining <= 0)
        throw new AccessListNotActiveError(pending, clock.now() - started, timeoutSeconds)
      await clock.sleep(Math.min(intervalMs, remaining))
      intervalMs = Math.min(Math.round(intervalMs * READY_POLL.factor), READY_POLL.maxIntervalMs)
    }
  })
  io.info(`${list(entries)} ${entries.length === 1 ? 'is' : 'are'} ACTIVE on the IP access list.`)
}

/** The post step's record of added entries; entries that are not text are dropped. */
export function readAddedEntries(text: string): AddedEntry[] {
  try {
    const value = JSON.parse(text) as unknown
    if (!Array.isArray(value)) return []
    return value.flatMap(item =>
      typeof item === 'object' &&
      item !== null &&
      typeof (item as AddedEntry).entry === 'string' &&
      typeof (item as AddedEntry).comment === 'string' &&
      entryProblem((item as AddedEntry).entry) === undefined
        ? [{ entry: (item as AddedEntry).entry, comment: (item as AddedEntry).comment }]
        : []
    )
  } catch {
    return []
  }
}

/**
 * The post step: deletes each entry the main step added, after reading it. An entry whose comment
 * is no longer the one this step wrote was written again by someone else since: left alone.
 */
export async function removeAddedEntries(added: AddedEntry[], ctx: StepContext): Promise<void> {
  const { api, groupId, io } = ctx
  for (const { entry, comment } of added) {
    try {
      const existing = await api.getAccessListEntry(groupId, entry)
      if (!existing) {
        io.info(`${entry} was already off the IP access list of project ${groupId}.`)
        continue
      }
      if (existing.comment !== comment) {
        io.info(
          `${entry} on the IP access list of project ${groupId} no longer carries this step's comment (it was written again since): left as it is.`
        )
        continue
      }
      const deleted = await api.deleteAccessListEntry(groupId, entry)
      io.info(
        deleted
          ? `Deleted ${entry} from the IP access list of project ${groupId}.`
          : `${entry} was already off the IP access list of project ${groupId}.`
      )
    } catch (error) {
      if (!(error instanceof TitledError)) throw error
      io.warning(
        `${entry} could not be deleted from the IP access list of project ${groupId} (${error.title}: ${error.annotation}). Atlas deletes it at its deleteAfterDate; delete it sooner under Network Access in the Atlas UI.`,
        'Access-list entry not deleted'
      )
    }
  }
}
