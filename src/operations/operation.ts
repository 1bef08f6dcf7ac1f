import type { AtlasApi } from '../atlas/api.js'
import type { FileSystem } from '../certificate/file.js'
import type { Clock } from '../clock.js'
import type { GitHubSecretStoreFactory } from '../github/secret-store.js'
import type { Environment, InputReader } from '../inputs/inputs.js'
import type { ActionIO } from '../io.js'

/** What an operation is given: the project, the Atlas API and the runner, nothing global. */
export interface OperationContext {
  groupId: string
  api: AtlasApi
  io: ActionIO
  env: Environment
  fs: FileSystem
  cwd: string
  clock: Clock
  /** Opens the GitHub secret store (`github-secret`); Octokit when not given. */
  githubSecretStore?: GitHubSecretStoreFactory
}

/**
 * One value of the `operation` input: its own inputs, parsed before any request (throwing
 * InputError), and what it does with them.
 */
export interface Operation<Config> {
  readonly name: string
  /** Requests this operation sends in parallel at most (default 1: one keep-alive connection). */
  readonly parallelRequests?: number
  parse(read: InputReader): Config
  run(config: Config, ctx: OperationContext): Promise<void>
}

/** State saved by the main step for the post step. */
export const STATE = {
  certificateFile: 'certificate-file',
  ephemeralUser: 'ephemeral-user',
  /** The service account's access token, masked, for the post step to reuse and revoke. */
  accessToken: 'atlas-access-token'
} as const
