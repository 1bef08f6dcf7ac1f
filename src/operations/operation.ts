import type { AtlasApi } from '../atlas/api.js'
import type { HttpResponse } from '../atlas/http.js'
import type { FileSystem } from '../certificate/file.js'
import type { Clock } from '../clock.js'
import type { GitHubConnection, GitHubSecretStoreFactory } from '../github/secret-store.js'
import type { Environment, InputReader } from '../inputs/inputs.js'
import type { ActionIO } from '../io.js'

/** What an operation is given: the project, the Atlas API and the runner, nothing global. */
export interface StepContext {
  /** The project; '' when the step covers every project of an organisation (orgId). */
  groupId: string
  /** Set when `org-id` was given instead of `group-id` (operations with `orgWide` only). */
  orgId?: string
  api: AtlasApi
  io: ActionIO
  env: Environment
  fs: FileSystem
  cwd: string
  clock: Clock
  /** Opens the GitHub secret store (`github-secret`); Octokit when not given. */
  githubSecretStore?: GitHubSecretStoreFactory
  /** How GitHub is reached at `baseUrl` with `token`: on the step's budget, clock, dispatcher and retries. */
  githubConnection(token: string, baseUrl: string): GitHubConnection
  /**
   * The step summary under `heading`: the runner writes the rows every operation's summary starts
   * with (Operation, Project), then the operation's own `rows`.
   */
  summary(heading: string, rows: SummaryRows): Promise<void>
  /** One GET of a URL outside Atlas (`runner-ip-url`), within the step's budget, no credentials. */
  getPlainText?(url: string): Promise<HttpResponse>
}

/** Rows of a step summary table: a name and its value. */
export type SummaryRows = ReadonlyArray<readonly [string, string]>

/**
 * One value of the `operation` input: its own inputs, parsed before any request (throwing
 * InputError), and what it does with them.
 */
export interface Operation<Config> {
  readonly name: string
  /** Requests this operation sends in parallel at most (default 1: one keep-alive connection). */
  readonly parallelRequests?: number
  /** Whether, so configured, it may cover every project of an organisation (`org-id`). */
  orgWide?(read: InputReader): boolean
  parse(read: InputReader): Config
  /** What the summary's Operation row says when it is more than the name (a dry run). */
  summaryName?(config: Config): string
  run(config: Config, ctx: StepContext): Promise<void>
}

/**
 * State saved by the main step for the post step: every key, empty, as the main step's first act
 * (the runner then overwrites any `STATE_*` line a later step appended to $GITHUB_ENV), and the
 * only thing the post step acts on.
 */
export const STATE = {
  /** The Atlas origin the main step used: the post step sends requests there and nowhere else. */
  atlasOrigin: 'atlas-origin',
  project: 'group-id',
  /** The credential's kind and non-secret identifier (`{kind, id}`), never its secret. */
  credential: 'credential',
  /** `{path, dev, ino}` of the file the main step created. */
  certificateFile: 'certificate-file',
  ephemeralUser: 'ephemeral-user',
  /** The service account's access token, masked, for the post step to reuse and revoke. */
  accessToken: 'atlas-access-token',
  /** `[{entry, comment}]`: access-list entries this step added (or was adding), for the post step. */
  accessListEntries: 'access-list-entries'
} as const
