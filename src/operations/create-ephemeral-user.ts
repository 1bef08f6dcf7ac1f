import { randomBytes } from 'node:crypto'
import { atlasPath } from '../atlas/client.js'
import { AtlasApiError } from '../atlas/errors.js'
import type { EphemeralUserConfig } from '../config.js'
import { currentRun, runLabel, type GitHubRun } from '../github-run.js'
import { STATE, type OperationContext } from './context.js'
import { issueCertificate, prepareCertificatePath } from './create-certificate.js'
import { EXTERNAL_DATABASE, isFromRun, LABELS, MANAGED_BY, type DatabaseUser } from './users.js'

/** What the post step needs to delete the user, kept in state (no secret in it). */
export interface EphemeralUserState {
  groupId: string
  username: string
  githubRun: string
  /** False while the create request is in flight: the post step then checks ownership first. */
  confirmed: boolean
}

function slug(value: string, max: number): string {
  return (
    value
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, max)
      .replace(/-+$/, '') || 'job'
  )
}

/**
 * `gha-<run id>-<attempt>-<job>-<random>`: unique across jobs, matrix legs (which share a job id)
 * and re-runs, within 64 characters, and free of `.` (which broke Atlas's certs path once).
 */
export function deriveUsername(
  run: GitHubRun,
  random: string = randomBytes(3).toString('hex')
): string {
  return `gha-${slug(run.runId, 20)}-${slug(run.runAttempt, 4)}-${slug(run.job, 24)}-${random}`
}

export function ephemeralUserBody(
  groupId: string,
  username: string,
  config: EphemeralUserConfig,
  run: GitHubRun,
  expiresAt: string
): Record<string, unknown> {
  const description = `Ephemeral X.509 user for ${run.repository} run ${run.runId} (atlas-x509-action)`
  return {
    databaseName: EXTERNAL_DATABASE,
    groupId,
    username,
    x509Type: 'MANAGED',
    roles: config.roles,
    ...(config.scopes.length > 0
      ? { scopes: config.scopes.map(name => ({ name, type: 'CLUSTER' })) }
      : {}),
    description: description.length > 100 ? `${description.slice(0, 99)}…` : description,
    labels: [
      { key: LABELS.managedBy, value: MANAGED_BY },
      { key: LABELS.expiresAt, value: expiresAt },
      { key: LABELS.githubRun, value: runLabel(run) }
    ]
  }
}

/**
 * A database user that lives for one job: created with this action's labels, given a certificate,
 * and deleted by the post step (or, if no post step ran, by prune-ephemeral-users once expired).
 */
export async function createEphemeralUser(
  groupId: string,
  config: EphemeralUserConfig,
  ctx: OperationContext
): Promise<void> {
  const { client, io } = ctx
  const run = await currentRun()
  const username = config.username ?? deriveUsername(run)
  const certificate = { ...config.certificate, username }
  const path = await prepareCertificatePath(certificate, ctx)
  const expiresAt = new Date(ctx.clock.now() + config.ttlHours * 3600_000).toISOString()
  const githubRun = runLabel(run)

  const remember = (confirmed: boolean) => {
    if (!config.certificate.cleanup) return
    const state: EphemeralUserState = { groupId, username, githubRun, confirmed }
    io.saveState(STATE.ephemeralUser, JSON.stringify(state))
  }
  // The post step reads the last value saved: an empty one tells it there is nothing to delete.
  const forget = () => {
    if (config.certificate.cleanup) io.saveState(STATE.ephemeralUser, '')
  }
  // Saved before the request: if the step is cancelled mid-request, the post step still looks.
  remember(false)
  try {
    await client.call('POST', atlasPath`/groups/${groupId}/databaseUsers`, {
      body: ephemeralUserBody(groupId, username, config, run, expiresAt)
    })
  } catch (error) {
    const alreadyExists =
      error instanceof AtlasApiError &&
      error.status === 409 &&
      error.errorCode === 'USER_ALREADY_EXISTS'
    if (!alreadyExists) {
      // Refused outright (4xx): no user was created. A 5xx or no answer leaves it unknown, and
      // the post step then checks the labels before deleting.
      if (error instanceof AtlasApiError && error.status < 500) forget()
      throw error
    }
    // A retried create whose first attempt got through answers 409: ours only if the labels say so.
    const existing = await client.json<DatabaseUser>(
      'GET',
      atlasPath`/groups/${groupId}/databaseUsers/${EXTERNAL_DATABASE}/${username}`
    )
    if (!isFromRun(existing, githubRun)) {
      forget()
      throw new AtlasApiError(
        409,
        'USER_ALREADY_EXISTS',
        `A database user named ${username} already exists and was not created by this run (its github-run label is not ${githubRun}); it is left untouched.`
      )
    }
    io.info(`${username} was already created by this run (a retried request); using it.`)
  }
  remember(true)
  io.info(
    `Created the ephemeral X.509 user ${username} ($external) in project ${groupId}, labelled to expire at ${expiresAt}.`
  )

  const rows = await issueCertificate(groupId, certificate, path, ctx)
  await io.summary('Atlas ephemeral X.509 user', [
    ['Operation', 'create-ephemeral-user'],
    ['Project', groupId],
    ...rows,
    [
      'Roles',
      config.roles
        .map(
          r => `${r.roleName}@${r.databaseName}${r.collectionName ? `.${r.collectionName}` : ''}`
        )
        .join(', ')
    ],
    ['Scopes', config.scopes.length > 0 ? config.scopes.join(', ') : 'all clusters of the project'],
    [
      'User expires',
      `${expiresAt} (${config.certificate.cleanup ? 'deleted by the post step' : 'left for prune-ephemeral-users'})`
    ]
  ])
}
