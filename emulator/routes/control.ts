import { sendEmpty, sendJson, type Exchange } from '../exchange.js'
import { faultFromJson } from '../faults.js'
import { atlasDate } from '../json.js'
import type { ClusterOptions, Emulator } from '../types.js'

/**
 * /__emulator/* lets another process (tests driving `npm run emulator`) read the request log,
 * script faults, read a project's state and add or tune clusters. No auth, not recorded in the
 * request log.
 */
export async function handleControl(ex: Exchange, emulator: Emulator): Promise<void> {
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
  const clusters = /^\/__emulator\/groups\/([a-f0-9]{24})\/clusters(?:\/([^/]+))?$/.exec(
    ex.pathname
  )
  if (clusters?.[1] && (ex.method === 'POST' || ex.method === 'PATCH')) {
    try {
      const body = jsonObject(ex.body)
      const groupId = clusters[1]
      const name = clusters[2]
        ? decodeURIComponent(clusters[2])
        : typeof body.name === 'string'
          ? body.name
          : ''
      if (ex.method === 'POST' && !clusters[2]) {
        emulator.addCluster(groupId, name, clusterOptions(body))
        if (body.mongod === true) await emulator.startMongod(groupId, name)
      } else if (ex.method === 'PATCH' && clusters[2]) {
        if (body.mongod === true) await emulator.startMongod(groupId, name)
        if (typeof body.applies === 'boolean')
          emulator.setClusterApplies(groupId, name, body.applies)
        if ('applyDelayMs' in body) {
          emulator.setClusterApplyDelay(groupId, name, optionalNumber(body.applyDelayMs))
        }
      } else {
        return sendJson(ex, 404, { error: `no control route ${route}` })
      }
      const summary = emulator.clusters(groupId).find(c => c.name === name)
      return sendJson(ex, ex.method === 'POST' ? 201 : 200, summary)
    } catch (error) {
      return sendJson(ex, 400, { error: (error as Error).message })
    }
  }
  sendJson(ex, 404, { error: `no control route ${route}` })
}

function jsonObject(text: string): Record<string, unknown> {
  const value = JSON.parse(text === '' ? '{}' : text) as unknown
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('body must be a JSON object')
  }
  return value as Record<string, unknown>
}

function optionalNumber(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !(value >= 0)) throw new Error('applyDelayMs must be >= 0')
  return value
}

/** POST body: {name, flex?, applyDelayMs?, neverApplies?, mongod?} (mongod: start its endpoint). */
function clusterOptions(body: Record<string, unknown>): ClusterOptions {
  if (typeof body.name !== 'string' || !/^[a-zA-Z0-9][a-zA-Z0-9-]*$/.test(body.name)) {
    throw new Error('name must match ^[a-zA-Z0-9][a-zA-Z0-9-]*$')
  }
  const applyDelayMs = optionalNumber(body.applyDelayMs)
  return {
    flex: body.flex === true,
    neverApplies: body.neverApplies === true,
    ...(applyDelayMs !== undefined ? { applyDelayMs } : {})
  }
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
    restarts: emulator.restarts(groupId),
    clusters: emulator.clusters(groupId)
  }
}
