import { parseCommonConfig } from './inputs/common.js'
import type { EphemeralUserState } from './operations/create-ephemeral-user.js'
import { isFromStep } from './operations/ephemeral-labels.js'
import type { AccessToken } from './atlas/auth/oauth.js'
import type { ActionIO } from './io.js'
import { STATE, type OperationContext } from './operations/operation.js'
import { describeFailure } from './report.js'
import {
  defaultDependencies,
  maskSecretInputs,
  withOperationContext,
  type RunDependencies
} from './runtime.js'

/** Deletes exactly the certificate file the main step created, and nothing else. */
export async function removeCertificateFile(
  path: string,
  deps: Pick<RunDependencies, 'io' | 'fs'>
): Promise<void> {
  const { io } = deps
  try {
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
 * Deletes the ephemeral user the main step created. If the create was still in flight when the
 * main step ended, the user is deleted only if its labels show this run created it.
 */
export async function removeEphemeralUser(
  state: EphemeralUserState,
  ctx: OperationContext
): Promise<void> {
  const { api, io } = ctx
  if (!state.confirmed) {
    // A create in flight when the main step ended may land a moment later: 3 looks over 5 s.
    let existing = await api.getUser(state.groupId, state.username)
    for (const pauseMs of [2000, 3000]) {
      if (existing) break
      await ctx.clock.sleep(pauseMs)
      existing = await api.getUser(state.groupId, state.username)
    }
    if (!existing) {
      io.info(`The ephemeral user ${state.username} was never created; nothing to delete.`)
      return
    }
    if (!isFromStep(existing, state.githubRun, state.stepNonce)) {
      io.info(
        `${state.username} exists but was not created by this step (its labels do not carry this step's github-run and step-nonce); it is left untouched.`
      )
      return
    }
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
      // Without a nonce no user can prove it is this step's: an unconfirmed one is left alone.
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

/**
 * The Atlas side of the post step: the ephemeral user, then (last, also after a failure) the
 * revocation of the job's access token.
 */
async function cleanUpAtlas(
  user: EphemeralUserState | undefined,
  token: AccessToken | undefined,
  deps: RunDependencies
): Promise<void> {
  try {
    maskSecretInputs(deps)
    const common = parseCommonConfig(deps.readInput, deps.env)
    await withOperationContext(
      user ? { ...common, groupId: user.groupId } : common,
      deps,
      async ctx => {
        if (user) await removeEphemeralUser(user, ctx)
      },
      { accessToken: { handOver: false, handedOver: token } }
    )
  } catch (error) {
    if (user) return userNotDeleted(user, error, deps.io)
    const { title, message } = describeFailure(error)
    deps.io.warning(
      `Could not revoke the service account's access token (${title}: ${message}). It stays active until it expires.`,
      'Access token not revoked'
    )
  }
}

/** The post step: runs after the job's steps, also when the main step failed or was cancelled. */
export async function runPost(overrides: Partial<RunDependencies> = {}): Promise<void> {
  const deps = { ...defaultDependencies(), ...overrides }
  const { io } = deps
  const user = readUserState(io.getState(STATE.ephemeralUser))
  const token = readJsonState<AccessToken>(
    io.getState(STATE.accessToken),
    state => typeof state.value === 'string' && typeof state.expiresAt === 'number'
  )
  const file = io.getState(STATE.certificateFile)
  // The user first: it is the live credential. The file goes even if that fails.
  if (user || token) await cleanUpAtlas(user, token, deps)
  if (file) await removeCertificateFile(file, deps)
  if (!user && !token && !file) io.debug('Nothing to clean up.')
}

/** The name `@github/local-action` and the post entry call. */
export { runPost as run }
