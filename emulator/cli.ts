/**
 * `npm run emulator [-- --port N] [--tls] [--sha256]`: the Atlas emulator on 127.0.0.1 until
 * SIGINT/SIGTERM. Port from --port, else ATLAS_EMULATOR_PORT, else 8080 (0 = any free port).
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { startEmulator } from './index.js'

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    tls: { type: 'boolean', default: false },
    sha256: { type: 'boolean', default: false }
  }
})

const portText = values.port ?? process.env.ATLAS_EMULATOR_PORT ?? '8080'
const port = Number(portText)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`Invalid port: ${portText}`)
  process.exit(2)
}

const emulator = await startEmulator({
  port,
  tls: values.tls,
  digestAlgorithm: values.sha256 ? 'SHA-256' : 'MD5'
})

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
