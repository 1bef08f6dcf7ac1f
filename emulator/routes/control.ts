import { sendEmpty, sendJson, type Exchange } from '../exchange.js'
import { faultFromJson } from '../faults.js'
import { atlasDate } from '../json.js'
import type { Emulator } from '../types.js'

/**
 * /__emulator/* lets another process (tests driving `npm run emulator`) read the request log,
 * script faults and read a project's state. No auth, not recorded in the request log.
 */
export function handleControl(ex: Exchange, emulator: Emulator): void {
  const route = `${ex.method} ${ex.pathname}`
  if (route === 'GET /__emulator/requests') return sendJson(ex, 200, emulator.requests)
  if (route === 'DELETE /__emulator/requests') {
    emulator.clearRequests()
    return sendEmpty(ex, 204)
  }
  if (route === 'POST /__emulator/faults') {
    try {
      emulator.fault(faultFromJson(JSON.parse(ex.body)))
    } catch (error) {
      return sendJson(ex, 400, { error: (error as Error).message })
    }
    return sendJson(ex, 201, { ok: true })
  }
  if (route === 'DELETE /__emulator/faults') {
    emulator.clearFaults()
    return sendEmpty(ex, 204)
  }
  const group = /^\/__emulator\/groups\/([a-f0-9]{24})$/.exec(ex.pathname)
  if (ex.method === 'GET' && group?.[1]) {
    try {
      return sendJson(ex, 200, groupSnapshot(emulator, group[1]))
    } catch (error) {
      return sendJson(ex, 404, { error: (error as Error).message })
    }
  }
  sendJson(ex, 404, { error: `no control route ${route}` })
}

function groupSnapshot(emulator: Emulator, groupId: string): unknown {
  const users = emulator.users(groupId)
  const certificates = Object.fromEntries(
    users
      .filter(u => u.databaseName === '$external')
      .map(u => [
        u.username,
        emulator.issuedCertificates(groupId, u.username).map(c => ({
          ...c,
          createdAt: atlasDate(c.createdAt),
          notAfter: atlasDate(c.notAfter)
        }))
      ])
  )
  return {
    groupId,
    users,
    certificates,
    customerX509: emulator.customerX509(groupId),
    restarts: emulator.restarts(groupId)
  }
}
