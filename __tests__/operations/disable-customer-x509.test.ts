import { expect } from '@jest/globals'
import {
  atlasRequests,
  CREDENTIAL_KINDS,
  startAtlas,
  type InProcessAtlas as Atlas
} from '../support/inprocess.js'

let atlas: Atlas
let caPem: string
beforeAll(async () => {
  atlas = await startAtlas()
  caPem = atlas.emulator.customerX509(atlas.emulator.otherGroupId)!
})
afterAll(() => atlas.close())

describe.each(CREDENTIAL_KINDS)('disable-customer-x509 with %s credentials', kind => {
  it('reads userSecurity, sends the DELETE, warns of the restart', async () => {
    const { emulator } = atlas
    emulator.setCustomerX509(emulator.otherGroupId, caPem)
    emulator.clearRequests()
    const restarts = emulator.restarts(emulator.otherGroupId)
    const { main, post } = await atlas.job({
      inputs: atlas.inputs(kind, {
        operation: 'disable-customer-x509',
        'group-id': emulator.otherGroupId
      })
    })
    expect(main.exitCode).toBe(0)
    expect(main.outputs).toEqual({ 'customer-x509-enabled': 'false' })
    expect(main.warnings).toHaveLength(1)
    expect(main.warnings[0]!.message).toMatch(/rolling restart/)
    expect(main.errors).toEqual([])
    expect(emulator.customerX509(emulator.otherGroupId)).toBeNull()
    expect(emulator.restarts(emulator.otherGroupId)).toBe(restarts + 1)
    const requests = atlasRequests(emulator)
    // auth + GET + DELETE; a service account's post step then revokes the token.
    expect(requests.map(r => r.path.split('/').at(-1))).toEqual(
      kind === 'api-key'
        ? ['userSecurity', 'userSecurity', 'customerX509']
        : ['token', 'userSecurity', 'customerX509', 'revoke']
    )
    const api = requests.filter(r => r.path.startsWith('/api/atlas'))
    expect(api.at(-2)).toMatchObject({
      method: 'GET',
      path: `/api/atlas/v2/groups/${emulator.otherGroupId}/userSecurity`,
      status: 200
    })
    expect(api.at(-1)).toMatchObject({
      method: 'DELETE',
      path: `/api/atlas/v2/groups/${emulator.otherGroupId}/userSecurity/customerX509`,
      status: 202
    })
    expect(main.summary).toContain('disable-customer-x509')
    expect(post.exitCode).toBe(0)
  })

  it('a 503 to DELETE customerX509: no second DELETE, and the error says what Atlas holds', async () => {
    const { emulator } = atlas
    emulator.setCustomerX509(emulator.otherGroupId, caPem)
    emulator.clearRequests()
    emulator.fault({ method: 'DELETE', path: /\/customerX509$/, kind: 'status', status: 503 })
    try {
      const main = await atlas.step('main', {
        inputs: atlas.inputs(kind, {
          operation: 'disable-customer-x509',
          'group-id': emulator.otherGroupId
        })
      })
      expect(atlasRequests(emulator).filter(r => r.method === 'DELETE')).toHaveLength(1)
      expect(main.errors).toEqual([
        {
          level: 'error',
          title: 'Atlas outcome unknown',
          message: expect.stringMatching(
            /not sent again.*Atlas still holds a customer CA .*Run the step again/
          )
        }
      ])
    } finally {
      emulator.clearFaults()
    }
  })

  it('sends nothing and restarts nothing when no customer CA is set', async () => {
    const { emulator } = atlas
    emulator.setCustomerX509(emulator.groupId, null)
    emulator.clearRequests()
    const restarts = emulator.restarts(emulator.groupId)
    const main = await atlas.step('main', {
      inputs: atlas.inputs(kind, { operation: 'disable-customer-x509' })
    })
    expect(main.exitCode).toBe(0)
    expect(main.outputs['customer-x509-enabled']).toBe('false')
    expect(main.warnings).toEqual([])
    expect(main.log).toContain('already off')
    expect(emulator.restarts(emulator.groupId)).toBe(restarts)
    expect(atlasRequests(emulator).filter(r => r.method === 'DELETE')).toHaveLength(0)
    expect(atlasRequests(emulator)).toHaveLength(2)
  })
})

it('a project the credentials cannot see: GROUP_NOT_FOUND with its hint', async () => {
  const main = await atlas.main('api-key', {
    operation: 'disable-customer-x509',
    'group-id': 'bbbbbbbbbbbbbbbbbbbbbbbb'
  })
  expect(main.errors).toEqual([
    {
      level: 'error',
      title: 'Atlas GROUP_NOT_FOUND (HTTP 404)',
      message: expect.stringMatching(/group-id/)
    }
  ])
})
