import { randomUUID } from 'node:crypto'
import { constants as fsConstants } from 'node:fs'
import { access, lstat, open, readFile, stat, unlink, type FileHandle } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import type { Environment } from '../environment.js'
import { TitledError } from '../errors.js'

/** The file system calls the action needs, injectable for tests. */
export interface FileSystem {
  open(path: string, flags: number, mode: number): Promise<FileHandle>
  unlink(path: string): Promise<void>
  stat(path: string): Promise<{ isDirectory(): boolean }>
  readFile(path: string): Promise<string>
  /** Like stat, for the link itself: a symbolic link is not followed. */
  lstat(path: string): Promise<{ isDirectory(): boolean; isSymbolicLink(): boolean }>
  /** Rejects when the calling process lacks the access `mode` (fs.constants.W_OK, …) asks for. */
  access(path: string, mode: number): Promise<void>
}

export const nodeFileSystem: FileSystem = {
  open,
  unlink,
  stat,
  readFile: path => readFile(path, 'utf8'),
  lstat,
  access
}

/** The certificate was issued but could not be stored; it cannot be fetched from Atlas again. */
export class CertificateFileError extends TitledError {
  constructor(message: string, options?: ErrorOptions) {
    super('Certificate file not written', message, options)
    this.name = 'CertificateFileError'
  }
}

/** Where the certificate goes: the given path, or a new random name under RUNNER_TEMP. */
export function certificatePath(given: string | undefined, env: Environment, cwd: string): string {
  if (given) return resolve(cwd, given)
  return join(env.RUNNER_TEMP || tmpdir(), `atlas-x509-${randomUUID()}.pem`)
}

/**
 * Refuses, before any request: an existing target (never overwritten), a symbolic link at the
 * target (even a dangling one: the key would land wherever it points), a missing folder, a folder
 * that is a symbolic link, or one this process cannot write to.
 */
export async function checkCertificatePath(
  path: string,
  fs: FileSystem
): Promise<string | undefined> {
  const target = await fs.lstat(path).then(
    s => s,
    () => undefined
  )
  if (target?.isSymbolicLink())
    return `${path} is a symbolic link; the private key is never written through one. Give the real path of a new file.`
  if (target)
    return `${path} already exists; it is never overwritten. Give a new path, or leave certificate-file empty for a fresh file under RUNNER_TEMP.`
  const folderPath = dirname(path)
  const folder = await fs.lstat(folderPath).then(
    s => s,
    () => undefined
  )
  if (folder?.isSymbolicLink())
    return `The folder ${folderPath} is a symbolic link; give the real path of the folder.`
  if (!folder?.isDirectory()) return `The folder ${folderPath} does not exist.`
  const writable = await fs.access(folderPath, fsConstants.W_OK).then(
    () => true,
    () => false
  )
  if (!writable)
    return `The folder ${folderPath} is not writable by the runner's user; give a folder it can write to.`
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
