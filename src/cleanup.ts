import * as core from '@actions/core'
import { unlink } from 'node:fs/promises'
import { STATE } from './operations/context.js'

/** Deletes exactly the certificate file the main step created, and nothing else. */
export async function removeCertificateFile(
  path: string,
  remove: (path: string) => Promise<void> = unlink
): Promise<void> {
  try {
    await remove(path)
    core.info(`Removed the certificate file ${path}.`)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      core.info(`The certificate file ${path} was already gone.`)
      return
    }
    core.warning(
      `Could not remove the certificate file ${path}: ${(error as Error).message}. Delete it by hand; it holds a private key.`,
      {
        title: 'Certificate file left behind'
      }
    )
  }
}

/** The post step: runs after the job's steps, also when the main step failed or was cancelled. */
export async function runPost(): Promise<void> {
  const file = core.getState(STATE.certificateFile)
  if (file) await removeCertificateFile(file)
  else core.debug('No certificate file to remove.')
}
