/** `npm run emulator` as a separate process, as the GitHub workflow's `uses: ./` job starts it. */
import { spawn, type ChildProcess } from 'node:child_process'
import { EMULATOR_CREDENTIALS, SEEDED_GROUP_ID } from '../../emulator/index.js'
import { ACCEPT_V2, curl } from './helpers.js'

let cli: ChildProcess
let url = ''
let output = ''

beforeAll(async () => {
  cli = spawn(process.execPath, ['--import', 'tsx', 'emulator/cli.ts', '--port', '0'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
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

it('stops cleanly on SIGTERM', async () => {
  const exited = new Promise<number | null>(done => cli.once('exit', code => done(code)))
  cli.kill('SIGTERM')
  expect(await exited).toBe(0)
})
