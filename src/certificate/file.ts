import { randomUUID } from 'node:crypto'
import { constants as fsConstants } from 'node:fs'
import { open, readFile, stat, unlink, type FileHandle } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import type { Environment } from '../inputs/inputs.js'

/** The file system calls the action needs, injectable for tests. */
export interface FileSystem {
  open(path: string, flags: number, mode: number): Promise<FileHandle>
  unlink(path: string): Promise<void>
  stat(path: string): Promise<{ isDirectory(): boolean }>
  readFile(path: string): Promise<string>
}

export const nodeFileSystem: FileSystem = {
  open,
  unlink,
  stat,
  readFile: path => readFile(path, 'utf8')
}

/** Where the certificate goes: the given path, or a new random name under RUNNER_TEMP. */
export function certificatePath(given: string | undefined, env: Environment, cwd: string): string {
  if (given) return resolve(cwd, given)
  return join(env.RUNNER_TEMP || tmpdir(), `atlas-x509-${randomUUID()}.pem`)
}

/** Refuses an existing target (never overwritten) or a missing folder, before any request. */
export async function checkCertificatePath(
  path: string,
  fs: FileSystem
): Promise<string | undefined> {
  const exists = await fs.stat(path).then(
    () => true,
    () => false
  )
  if (exists)
    return `${path} already exists; it is never overwritten. Give a new path, or leave certificate-file empty for a fresh file under RUNNER_TEMP.`
  const folder = await fs.stat(dirname(path)).then(
    s => s.isDirectory(),
    () => false
  )
  if (!folder) return `The folder ${dirname(path)} does not exist.`
  return undefined
}

/** Exclusive create, mode 0600: the file is new, and only the runner's user can read it. */
export async function writeCertificateFile(
  path: string,
  pem: string,
  fs: FileSystem
): Promise<void> {
  const flags = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL
  const handle = await fs.open(path, flags, 0o600)
  try {
    await handle.writeFile(pem, 'utf8')
  } catch (error) {
    await handle.close()
    await fs.unlink(path).catch(() => undefined)
    throw error
  }
  await handle.close()
}
