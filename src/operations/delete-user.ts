import { parseUsername } from '../inputs/inputs.js'
import type { Operation } from './operation.js'

/** DELETE …/databaseUsers/$external/{username}; a user already gone is a notice, not a failure. */
export const deleteUser: Operation<{ username: string }> = {
  name: 'delete-user',
  parse: read => ({ username: parseUsername(read) }),
  async run({ username }, ctx) {
    const { groupId, io } = ctx
    const deleted = await ctx.api.deleteUser(groupId, username)
    if (deleted)
      io.info(`Deleted the database user ${username} ($external) from project ${groupId}.`)
    else
      io.notice(
        `The database user ${username} ($external) does not exist in project ${groupId}; nothing to delete.`,
        'User already absent'
      )
    io.setOutput('deleted', String(deleted))
    await ctx.summary('Atlas database user', [
      ['User', `${username} ($external)`],
      ['Result', deleted ? 'deleted' : 'already absent']
    ])
  }
}
