import { atlasPath } from '../atlas/client.js'
import { AtlasApiError } from '../atlas/errors.js'
import type { OperationContext } from './context.js'
import { EXTERNAL_DATABASE } from './users.js'

/** DELETE …/databaseUsers/$external/{username}: true when deleted, false when it was already gone. */
export async function deleteExternalUser(
  groupId: string,
  username: string,
  ctx: OperationContext
): Promise<boolean> {
  try {
    await ctx.client.call(
      'DELETE',
      atlasPath`/groups/${groupId}/databaseUsers/${EXTERNAL_DATABASE}/${username}`
    )
    return true
  } catch (error) {
    if (
      error instanceof AtlasApiError &&
      error.status === 404 &&
      error.errorCode !== 'GROUP_NOT_FOUND'
    )
      return false
    throw error
  }
}

export async function deleteUser(
  groupId: string,
  username: string,
  ctx: OperationContext
): Promise<void> {
  const deleted = await deleteExternalUser(groupId, username, ctx)
  if (deleted)
    ctx.io.info(`Deleted the database user ${username} ($external) from project ${groupId}.`)
  else
    ctx.io.notice(
      `The database user ${username} ($external) does not exist in project ${groupId}; nothing to delete.`,
      'User already absent'
    )
  ctx.io.setOutput('deleted', String(deleted))
  await ctx.io.summary('Atlas database user', [
    ['Operation', 'delete-user'],
    ['Project', groupId],
    ['User', `${username} ($external)`],
    ['Result', deleted ? 'deleted' : 'already absent']
  ])
}
