import type { AtlasClient, Clock } from '../atlas/client.js'
import type { FileSystem } from '../certificate.js'
import type { ActionIO } from '../io.js'

/** What an operation is given: the Atlas client and the runner, nothing global. */
export interface OperationContext {
  client: AtlasClient
  io: ActionIO
  env: Readonly<Record<string, string | undefined>>
  fs: FileSystem
  cwd: string
  clock: Clock
}

/** State saved by the main step for the post step. */
export const STATE = {
  certificateFile: 'certificate-file',
  ephemeralUser: 'ephemeral-user'
} as const
