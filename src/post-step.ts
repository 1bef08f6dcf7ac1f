import { differsFromRecord, type CertificateFileRecord } from './certificate/file.js'
import { parseRequestLimits } from './inputs/common.js'
import {
  credentialIdentity,
  parseCredentials,
  type CredentialIdentity
} from './inputs/credentials.js'
import { readAddedEntries, removeAddedEntries, type AddedEntry } from './operations/access-list.js'
import type { EphemeralUserState } from './operations/create-ephemeral-user.js'
import { isFromStep } from './operations/ephemeral-labels.js'
import type { AccessToken } from './atlas/auth/oauth.js'
import type { ActionIO } from './io.js'
import { STATE, type StepContext } from './operations/operation.js'
import { TitledError } from './errors.js'
import { describeFailure } from './report.js'
import {
  defaultDependencies,
  maskSecretInputs,
  withStepContext,
  type RunDependencies
} from './runtime.js'

/**
 * Deletes exactly the certificate file the main step created, and nothing else: a path that now
 * names another file (same name, other inode), a symbolic link or no regular file is left alone.
 */
export async function removeCertificateFile(
  record: CertificateFileRecord,
  deps: Pick<RunDependencies, 'io' | 'fs'>
): Promise<void> {
  const { io } = deps
  const { path } = record
  try {
    const changed = await differsFromRecord(record, deps.fs)
    if (changed) {
      io.warning(
        `The certificate file ${path} was left in place: ${changed}. Something replaced the file after the main step wrote it; check what did, and delete the original's private key if it still exists elsewhere.`,
        'Certificate file not removed'
      )
      return
    }
    await deps.fs.unlink(path)
    io.info(`Removed the certificate file ${path}.`)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      io.info(`The certificate file ${path} was already gone.`)
      return
    }
    io.warning(
      `Could not remove the certificate file ${path}: ${(error as Error).message}. Delete it by hand; it holds a private key.`,
      'Certificate file left behind'
    )
  }
}

/**
 * Deletes the ephemeral user the main step created, after reading it: only a user whose labels
 * show this step created it is deleted. If the create was still in flight when the main step
 * ended, the post step looks a few times before concluding it was never created.
 */
export async function removeEphemeralUser(
  state: EphemeralUserState,
  ctx: StepContext
): Promise<void> {
  const { api, io } = ctx
  let existing = await api.getUser(state.groupId, state.username)
  if (!state.confirmed) {
    // A create in flight when the main step ended may land a moment later: 3 looks over 5 s.
    for (const pauseMs of [2000, 3000]) {
      if (existing) break
      await ctx.clock.sleep(pauseMs)
      existing = await api.getUser(state.groupId, state.username)
    }
  }
  if (!existing) {
    io.info(
      state.confirmed
        ? `The ephemeral user ${state.username} was already gone.`
        : `The ephemeral user ${state.username} was never created; nothing to delete.`
    )
    return
  }
  if (!isFromStep(existing, state.githubRun, state.stepNonce)) {
    const untouched = `${state.username} exists but was not created by this step (its labels do not carry this step's github-run and step-nonce); it is left untouched.`
    // The main step saw its create succeed: a user without its labels now is worth a look.
    if (state.confirmed) io.warning(untouched, 'Ephemeral user not deleted')
    else io.info(untouched)
    return
  }
  const deleted = await api.deleteUser(state.groupId, state.username)
  io.info(
    deleted
      ? `Deleted the ephemeral user ${state.username} ($external) from project ${state.groupId}.`
      : `The ephemeral user ${state.username} was already gone.`
  )
}

function userNotDeleted(state: EphemeralUserState, error: unknown, io: ActionIO): void {
  const { title, message } = describeFailure(error)
  io.fail(
    `The ephemeral database user ${state.username} in project ${state.groupId} could not be deleted and still holds a live credential (${title}: ${message}). Delete it with operation delete-user, or let prune-ephemeral-users remove it after its expires-at label.`,
    `Ephemeral user not deleted: ${state.username}`
  )
}

function readUserState(text: string): EphemeralUserState | undefined {
  try {
    const state = JSON.parse(text) as Partial<EphemeralUserState>
    if (typeof state.username !== 'string' || typeof state.groupId !== 'string') return undefined
    return {
      groupId: state.groupId,
      username: state.username,
      githubRun: typeof state.githubRun === 'string' ? state.githubRun : '',
      // Without a nonce no user can prove it is this step's: it is left alone.
      stepNonce: typeof state.stepNonce === 'string' && state.stepNonce ? state.stepNonce : '',
      confirmed: state.confirmed === true
    }
  } catch {
    return undefined
  }
}

function readJsonState<T>(text: string, valid: (value: T) => boolean): T | undefined {
  try {
    const value = JSON.parse(text) as T
    return value && valid(value) ? value : undefined
  } catch {
    return undefined
  }
}

/** What the main step recorded: the only thing the post step acts on. */
interface MainStepRecord {
  /** '' when the main step never got as far as a request: then there is no Atlas work. */
  origin: string
  groupId: string
  credential: CredentialIdentity | undefined
  user: EphemeralUserState | undefined
  /** Access-list entries the main step added (or was adding when it ended). */
  accessList: AddedEntry[]
  token: AccessToken | undefined
  file: CertificateFileRecord | undefined
}

function readMainStepRecord(io: ActionIO): MainStepRecord {
  const isText = (value: unknown) => typeof value === 'string' && value !== ''
  return {
    origin: io.getState(STATE.atlasOrigin),
    groupId: io.getState(STATE.project),
    credential: readJsonState<CredentialIdentity>(
      io.getState(STATE.credential),
      state => isText(state.kind) && isText(state.id)
    ),
    user: readUserState(io.getState(STATE.ephemeralUser)),
    accessList: readAddedEntries(io.getState(STATE.accessListEntries)),
    token: readJsonState<AccessToken>(
      io.getState(STATE.accessToken),
      state => typeof state.value === 'string' && typeof state.expiresAt === 'number'
    ),
    file: readJsonState<CertificateFileRecord>(
      io.getState(STATE.certificateFile),
      state => isText(state.path) && isText(state.dev) && isText(state.ino)
    )
  }
}

/**
 * The secret still comes from inputs or the environment (state never holds it), so it is used
 * only for the credential the main step used: the same kind and client id or public key.
 */
function checkSameCredential(found: CredentialIdentity, recorded: CredentialIdentity | undefined) {
  if (recorded && found.kind === recorded.kind && found.id === recorded.id) return
  const idName = found.kind === 'service-account' ? 'client id' : 'public key'
  throw new TitledError(
    'Atlas credentials changed after the main step',
    recorded && found.kind === recorded.kind
      ? `The ${idName} found now is not the one the main step used (a later step of the job changed the environment). Nothing was sent to Atlas.`
      : `The credentials found now are a ${found.kind}, not the ${recorded?.kind ?? 'unrecorded'} credential the main step used (a later step of the job changed the environment). Nothing was sent to Atlas.`
  )
}

/**
 * The Atlas side of the post step, at the main step's origin and project only: the ephemeral user,
 * then (last, also after a failure) the revocation of the job's access token.
 */
async function cleanUpAtlas(record: MainStepRecord, deps: RunDependencies): Promise<void> {
  const { user, token } = record
  try {
    maskSecretInputs(deps)
    const credentials = parseCredentials(deps.readInput, deps.env)
    checkSameCredential(credentialIdentity(credentials), record.credential)
    await withStepContext(
      {
        groupId: record.groupId,
        credentials,
        baseUrl: record.origin,
        ...parseRequestLimits(deps.readInput)
      },
      deps,
      async ctx => {
        try {
          if (user) await removeEphemeralUser(user, ctx)
        } finally {
          // The entries go whatever became of the user: each failure is a warning of its own.
          if (record.accessList.length > 0) await removeAddedEntries(record.accessList, ctx)
        }
      },
      { accessToken: { handOver: false, handedOver: token } }
    )
  } catch (error) {
    if (user) return userNotDeleted(user, error, deps.io)
    const { title, message } = describeFailure(error)
    if (record.accessList.length > 0)
      return deps.io.warning(
        `${record.accessList.map(added => added.entry).join(', ')} could not be deleted from the IP access list of project ${record.groupId} (${title}: ${message}). Atlas deletes each at its deleteAfterDate; delete them sooner under Network Access in the Atlas UI.`,
        'Access-list entry not deleted'
      )
    deps.io.warning(
      `Could not revoke the service account's access token (${title}: ${message}). It stays active until it expires.`,
      'Access token not revoked'
    )
  }
}

/** The post step: runs after the job's steps, also when the main step failed or was cancelled. */
export async function runPost(overrides: Partial<RunDependencies> = {}): Promise<void> {
  const deps = { ...defaultDependencies(), ...overrides }
  const record = readMainStepRecord(deps.io)
  const atlasWork =
    record.origin !== '' &&
    (record.user !== undefined || record.accessList.length > 0 || record.token !== undefined)
  // The user first: it is the live credential. The file goes even if that fails.
  if (atlasWork) await cleanUpAtlas(record, deps)
  if (record.file) await removeCertificateFile(record.file, deps)
  if (!atlasWork && !record.file) deps.io.debug('Nothing to clean up.')
}

/** The name `@github/local-action` and the post entry call. */
export { runPost as run }
