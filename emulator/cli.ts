/**
 * `npm run emulator [-- --port N] [--tls] [--sha256] [--cluster NAME]... [--apply-delay-ms MS]
 * [--mongod]`: the Atlas emulator on 127.0.0.1 until SIGINT/SIGTERM. Port from --port, else
 * ATLAS_EMULATOR_PORT, else 8080 (0 = any free port). --cluster adds a dedicated cluster to the
 * demo project; --mongod starts a MongoDB endpoint for every cluster of the demo project.
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { SEEDED_GROUP_ID, startEmulator } from './index.js'

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    tls: { type: 'boolean', default: false },
    sha256: { type: 'boolean', default: false },
    cluster: { type: 'string', multiple: true, default: [] },
    'apply-delay-ms': { type: 'string' },
    mongod: { type: 'boolean', default: false }
  }
})

const portText = values.port ?? process.env.ATLAS_EMULATOR_PORT ?? '8080'
const port = Number(portText)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`Invalid port: ${portText}`)
  process.exit(2)
}

const applyDelayMs = Number(values['apply-delay-ms'] ?? '0')
if (!Number.isInteger(applyDelayMs) || applyDelayMs < 0) {
  console.error(`Invalid --apply-delay-ms: ${values['apply-delay-ms']}`)
  process.exit(2)
}

const emulator = await startEmulator({
  port,
  tls: values.tls,
  digestAlgorithm: values.sha256 ? 'SHA-256' : 'MD5',
  applyDelayMs
})
for (const name of values.cluster) {
  if (!emulator.clusters(SEEDED_GROUP_ID).some(c => c.name === name)) {
    emulator.addCluster(SEEDED_GROUP_ID, name)
  }
}

let caDir: string | undefined
const lines = [
  `Atlas emulator listening on ${emulator.url}`,
  `  group id:        ${emulator.groupId}`,
  `  other group id:  ${emulator.otherGroupId}`,
  `  public key:      ${emulator.credentials.publicKey}`,
  `  private key:     ${emulator.credentials.privateKey}`,
  `  client id:       ${emulator.credentials.clientId}`,
  `  client secret:   ${emulator.credentials.clientSecret}`,
  `  digest:          ${values.sha256 ? 'SHA-256' : 'MD5'}`
]
if (emulator.tlsCaPem) {
  caDir = mkdtempSync(join(tmpdir(), 'atlas-emulator-'))
  const caFile = join(caDir, 'tls-ca.pem')
  writeFileSync(caFile, emulator.tlsCaPem)
  lines.push(`  TLS CA file:     ${caFile}`)
}
const clusters = emulator.clusters(SEEDED_GROUP_ID)
lines.push(`  clusters:        ${clusters.map(c => c.name + (c.flex ? ' (Flex)' : '')).join(', ')}`)
lines.push(`  apply delay:     ${applyDelayMs} ms`)
if (values.mongod) {
  caDir ??= mkdtempSync(join(tmpdir(), 'atlas-emulator-'))
  const caFile = join(caDir, 'mongod-ca.pem')
  for (const cluster of clusters) {
    const endpoint = await emulator.startMongod(SEEDED_GROUP_ID, cluster.name)
    writeFileSync(caFile, endpoint.caPem) // one CA for every endpoint
    lines.push(`  mongod ${cluster.name}: ${endpoint.uri} (tlsCAFile ${caFile})`)
  }
}
lines.push('Control: GET/DELETE /__emulator/requests, POST/DELETE /__emulator/faults')
console.log(lines.join('\n'))

async function stop(signal: string): Promise<void> {
  console.log(`${signal}: stopping the Atlas emulator`)
  await emulator.close()
  if (caDir) rmSync(caDir, { recursive: true, force: true })
  process.exit(0)
}
process.once('SIGINT', () => void stop('SIGINT'))
process.once('SIGTERM', () => void stop('SIGTERM'))
