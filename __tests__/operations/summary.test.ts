/**
 * The runner starts every operation's summary with the same two rows, once: the operation (as the
 * run names it, a dry run included) and the project.
 */
import { startAtlasForFile, type InProcessAtlas as Atlas } from '../support/inprocess.js'

let atlas: Atlas
startAtlasForFile(started => (atlas = started))

it.each([
  [{ operation: 'delete-user', username: 'nobody-here' }, 'delete-user'],
  [{ operation: 'get-customer-x509' }, 'get-customer-x509'],
  [{ operation: 'disable-customer-x509' }, 'disable-customer-x509'],
  [{ operation: 'list-certificates', username: 'ci-user' }, 'list-certificates'],
  [{ operation: 'prune-ephemeral-users' }, 'prune-ephemeral-users'],
  [{ operation: 'prune-ephemeral-users', 'dry-run': 'true' }, 'prune-ephemeral-users (dry run)']
])('%o: the Operation and Project rows first, once', async (inputs, operationRow) => {
  const { emulator } = atlas
  emulator.setCustomerX509(emulator.groupId, null)
  const main = await atlas.step('main', { inputs: atlas.inputs('api-key', inputs) })
  expect(main.errors).toEqual([])
  const rows = main.summaries[0]!.rows
  expect(rows.slice(0, 2)).toEqual([
    ['Operation', operationRow],
    ['Project', emulator.groupId]
  ])
  expect(rows.filter(([name]) => name === 'Operation' || name === 'Project')).toHaveLength(2)
})

it('create-certificate: the certificate rows follow the common ones', async () => {
  atlas.emulator.addUser(atlas.emulator.groupId, { username: 'summary-user' })
  const main = await atlas.step('main', {
    inputs: atlas.inputs('api-key', { username: 'summary-user' })
  })
  expect(main.summaries[0]!.rows.slice(0, 4).map(([name]) => name)).toEqual([
    'Operation',
    'Project',
    'Issued',
    'User'
  ])
})
