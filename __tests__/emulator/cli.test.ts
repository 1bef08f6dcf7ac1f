/** `npm run emulator` as a separate process, as the GitHub workflow's `uses: ./` job starts it. */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EMULATOR_CREDENTIALS, SEEDED_GROUP_ID } from '../../emulator/index.js'
import { ACCEPT_V2, curl } from './helpers.js'

let cli: ChildProcess
let url = ''
let output = ''
/**
 * A clean environment (no npm_config_* from `npm test`), with the run's RSA keys for the CAs and
 * a temp folder of this file's own for what tsx caches there.
 */
const childTmp = mkdtempSync(join(tmpdir(), 'cli-test-'))
const cleanEnv = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  TMPDIR: childTmp,
  ATLAS_EMULATOR_RSA_KEYS: process.env.ATLAS_EMULATOR_RSA_KEYS
}

beforeAll(async () => {
  cli = spawn(process.execPath, ['--import', 'tsx', 'emulator/cli.ts', '--port', '0'], {
    env: cleanEnv,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  cli.stdout!.on('data', chunk => (output += chunk))
  cli.stderr!.on('data', chunk => (output += chunk))
  for (let i = 0; i < 300 && !url; i++) {
    url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] ?? ''
    await new Promise(done => setTimeout(done, 50))
  }
  if (!url) throw new Error(`The emulator CLI did not start:\n${output}`)
})

afterAll(() => {
  if (cli.exitCode === null) cli.kill('SIGKILL')
  rmSync(childTmp, { recursive: true, force: true })
})

it('prints its address and the fixed credentials the workflow uses, and serves Atlas on loopback', async () => {
  expect(output).toContain(SEEDED_GROUP_ID)
  expect(output).toContain(EMULATOR_CREDENTIALS.publicKey)
  const response = await curl([
    '--digest',
    '--user',
    `${EMULATOR_CREDENTIALS.publicKey}:${EMULATOR_CREDENTIALS.privateKey}`,
    '-H',
    ACCEPT_V2,
    `${url}/api/atlas/v2/groups/${SEEDED_GROUP_ID}/userSecurity`
  ])
  expect(response.statuses).toEqual([401, 200])
  const log = await curl([`${url}/__emulator/requests`])
  expect(JSON.parse(log.body)).toHaveLength(2)
})

interface CliResult {
  status: number | null
  stdout: string
  stderr: string
}

/**
 * The CLI run to completion with the clean environment.
 * Asynchronous, so that the mistakes below, each its own process, run side by side.
 */
function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'emulator/cli.ts', ...args], {
    env: { ...cleanEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30000
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', chunk => (stdout += chunk))
  child.stderr.on('data', chunk => (stderr += chunk))
  return new Promise(done => child.on('close', status => done({ status, stdout, stderr })))
}

/** Exit code 2, nothing on stdout, and exactly one line on stderr that is not a stack trace. */
function expectOneLineError(result: CliResult, text: string | RegExp) {
  expect(result.status).toBe(2)
  expect(result.stdout).toBe('')
  const lines = result.stderr.split('\n').filter(line => line !== '')
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatch(text)
  expect(result.stderr).not.toMatch(/^\s+at |Error \[|node:internal/m)
}

describe('command-line mistakes', () => {
  it.concurrent('an unknown flag', async () => {
    expectOneLineError(await runCli(['--bogus']), /Unknown option '--bogus'.*npm run emulator -- /)
  })

  it.concurrent(
    "a flag's value without its flag, as npm passes `npm run emulator --port 8080`",
    async () => {
      expectOneLineError(await runCli(['8080']), /Unexpected argument '8080'/)
    }
  )

  it.concurrent('a flag npm kept for itself (npm_config_tls)', async () => {
    expectOneLineError(
      await runCli([], { npm_config_tls: 'true' }),
      /npm took --tls .*put -- before/
    )
  })

  it.concurrent.each([['abc'], ['70000'], ['1.5'], ['']])('a bad port: --port %p', async port => {
    expectOneLineError(
      await runCli(['--port', port]),
      `invalid --port ${JSON.stringify(port)}: a whole number from 0 to 65535`
    )
  })

  it.concurrent('a bad ATLAS_EMULATOR_PORT', async () => {
    expectOneLineError(
      await runCli([], { ATLAS_EMULATOR_PORT: 'http' }),
      'invalid ATLAS_EMULATOR_PORT'
    )
  })

  it.concurrent('a port already in use', async () => {
    const taken = createServer()
    await new Promise<void>(done => taken.listen(0, '127.0.0.1', done))
    try {
      const port = String((taken.address() as AddressInfo).port)
      expectOneLineError(
        await runCli(['--port', port]),
        `cannot listen on 127.0.0.1:${port}: port ${port} is already in use`
      )
    } finally {
      await new Promise(done => taken.close(done))
    }
  })
})

it('stops cleanly on SIGTERM', async () => {
  const exited = new Promise<number | null>(done => cli.once('exit', code => done(code)))
  cli.kill('SIGTERM')
  expect(await exited).toBe(0)
})
