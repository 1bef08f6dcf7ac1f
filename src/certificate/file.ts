import { randomUUID } from 'node:crypto'
import { constants as fsConstants } from 'node:fs'
import { lstat, open, readFile, stat, unlink, type FileHandle } from 'node:fs/promises'
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
  /** lstat with 64-bit device and inode numbers (a double cannot hold every inode). */
  lstatIdentity(path: string): Promise<FileStatus>
}

export interface FileStatus {
  dev: bigint
  ino: bigint
  isFile(): boolean
  isSymbolicLink(): boolean
}

/** Which file a path named when the main step created it: the post step removes only that one. */
export interface CertificateFileRecord {
  path: string
  /** Decimal strings: JSON has no 64-bit integers. */
  dev: string
  ino: string
}

export const nodeFileSystem: FileSystem = {
  open,
  unlink,
  stat,
  readFile: path => readFile(path, 'utf8'),
  lstat,
  lstatIdentity: path => lstat(path, { bigint: true })
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
 * that is a symbolic link, or one where this process cannot create a file.
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
  return probeFolder(folderPath, fs)
}

const EXCLUSIVE_CREATE = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL

/**
 * Creates and removes a probe file the way the certificate file will be created: permission bits
 * alone miss read-only mounts, ACLs, quotas and root-owned folders seen by root.
 */
async function probeFolder(folderPath: string, fs: FileSystem): Promise<string | undefined> {
  const probe = join(folderPath, `.atlas-x509-probe-${randomUUID()}`)
  const code = (error: unknown) => (error as NodeJS.ErrnoException).code ?? String(error)
  try {
    await (await fs.open(probe, EXCLUSIVE_CREATE, 0o600)).close()
  } catch (error) {
    return `The folder ${folderPath} is not writable by the runner's user (creating a file there failed: ${code(error)}); give a folder it can write to.`
  }
  try {
    await fs.unlink(probe)
  } catch (error) {
    return `The folder ${folderPath} lets the runner's user create files but not remove them (removing ${probe} failed: ${code(error)}); give a folder it can write to.`
  }
  return undefined
}

/**
 * Exclusive create, mode 0600: the file is new, and only the runner's user can read it. Returns
 * the created file's device and inode, read from the open handle (not from the path).
 */
export async function writeCertificateFile(
  path: string,
  pem: string,
  fs: FileSystem
): Promise<CertificateFileRecord> {
  const handle = await fs.open(path, EXCLUSIVE_CREATE, 0o600)
  let record: CertificateFileRecord
  try {
    const created = await handle.stat({ bigint: true })
    record = { path, dev: String(created.dev), ino: String(created.ino) }
    await handle.writeFile(pem, 'utf8')
  } catch (error) {
    await handle.close()
    await fs.unlink(path).catch(() => undefined)
    throw error
  }
  await handle.close()
  return record
}

/** Why the path is no longer the file the record describes, or undefined when it still is. */
export async function differsFromRecord(
  record: CertificateFileRecord,
  fs: FileSystem
): Promise<string | undefined> {
  const now = await fs.lstatIdentity(record.path)
  if (now.isSymbolicLink()) return 'it is now a symbolic link'
  if (!now.isFile()) return 'it is no longer a regular file'
  if (String(now.dev) !== record.dev || String(now.ino) !== record.ino)
    return 'it is another file than the one the main step created (device or inode differ)'
  return undefined
}
