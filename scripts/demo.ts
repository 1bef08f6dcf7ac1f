/**
 * `npm run demo`: starts the local Atlas emulator, runs the bundled action's create-certificate
 * step against it exactly as a runner would (INPUT_* variables, GITHUB_OUTPUT/STATE files),
 * prints the outputs, then runs the post step, which removes the certificate file. Then the
 * ephemeral flow: a user for one job, its certificate, the wait until the cluster has applied the
 * user, a ping with the official MongoDB driver as the next step would, and the post step.
 */
import 'reflect-metadata'
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { MongoClient } from 'mongodb'
import { SEEDED_CLUSTER, startEmulator } from '../emulator/index.js'
import { runStep, tempDir, type StepResult } from './lib/step.js'

/** What the runner would show: masks and debug lines are hidden in a real log too. */
function printLog(step: StepResult): void {
  for (const line of step.stdout.split('\n'))
    if (line && !line.startsWith('::add-mask::') && !line.startsWith('::debug::'))
      console.log(`  ${line}`)
}

/** The cluster's apply delay in the demo: long enough to see the wait, short enough to keep it quick. */
const APPLY_DELAY_MS = 2000

const emulator = await startEmulator()
// RUNNER_TEMP of the demo's steps; the post steps empty it, the demo removes it.
const runnerTemp = tempDir('demo-runner-temp-')
try {
  const inputs = {
    operation: 'create-certificate',
    'base-url': emulator.url,
    'group-id': emulator.groupId,
    'client-id': emulator.credentials.clientId,
    'client-secret': emulator.credentials.clientSecret,
    username: 'ci-user',
    months: '3',
    'connection-string': 'mongodb+srv://cluster0.example.mongodb.net/app'
  }
  console.log(`Atlas emulator at ${emulator.url} (project ${emulator.groupId})\n`)
  console.log(
    '$ node dist/main/index.js   # operation: create-certificate, username: ci-user, service account'
  )
  const main = await runStep('main', { inputs, runnerTemp })
  printLog(main)
  console.log(
    `\nexit code ${main.exitCode} after ${main.durationMs} ms; ${emulator.requests.length} HTTP requests:`
  )
  for (const r of emulator.requests) console.log(`  ${r.method} ${r.path} → ${r.status}`)
  console.log('\nOutputs:')
  for (const [name, value] of Object.entries(main.outputs)) console.log(`  ${name} = ${value}`)
  const file = main.outputs['certificate-file']
  if (file && existsSync(file)) {
    const pem = readFileSync(file, 'utf8')
    console.log(`\n${file}: mode ${(statSync(file).mode & 0o777).toString(8)}, ${pem.length} bytes`)
    console.log(`  ${pem.split('\n')[0]} … (certificate)`)
    console.log('  -----BEGIN PRIVATE KEY----- … (private key, not shown)')
  }
  console.log('\n$ node dist/post/index.js   # post step, with the STATE_* the main step saved')
  const post = await runStep('post', { inputs, runnerTemp, state: main.state })
  printLog(post)
  console.log(
    `\nexit code ${post.exitCode}; certificate file present afterwards: ${file ? existsSync(file) : false}`
  )
  const ephemeralOk = await ephemeralDemo(runnerTemp)
  process.exitCode = main.exitCode === 0 && post.exitCode === 0 && ephemeralOk ? 0 : 1
  // One line pointing past the demo: the same emulator with any other operation.
  console.log(
    '\nNext: try another operation, e.g. INPUT_OPERATION=list-certificates in a .env copied from .env.example (CONTRIBUTING.md: "Running the source with @github/local-action").'
  )
} finally {
  await emulator.close()
  rmSync(runnerTemp, { recursive: true, force: true })
}

/** create-ephemeral-user, the wait, a driver ping with the issued file, and the post step. */
async function ephemeralDemo(runnerTemp: string): Promise<boolean> {
  emulator.setClusterApplyDelay(emulator.groupId, SEEDED_CLUSTER, APPLY_DELAY_MS)
  const endpoint = await emulator.startMongod(emulator.groupId, SEEDED_CLUSTER)
  const caFolder = tempDir('demo-mongod-ca-')
  const caFile = join(caFolder, 'ca.pem')
  writeFileSync(caFile, endpoint.caPem)
  const inputs = {
    operation: 'create-ephemeral-user',
    'base-url': emulator.url,
    'group-id': emulator.groupId,
    'client-id': emulator.credentials.clientId,
    'client-secret': emulator.credentials.clientSecret,
    roles: 'readWrite@app',
    scopes: SEEDED_CLUSTER,
    'connection-string': `${endpoint.uri}&tlsCAFile=${encodeURIComponent(caFile)}`
  }
  emulator.clearRequests()
  console.log(
    `\n--- Ephemeral user: ${SEEDED_CLUSTER} applies new users ${APPLY_DELAY_MS / 1000} s after they are created ---`
  )
  console.log(
    `\n$ node dist/main/index.js   # operation: create-ephemeral-user, roles: readWrite@app, scopes: ${SEEDED_CLUSTER}`
  )
  // The run as a runner names it: the user's name starts gha-<run id>-<attempt>-<job>.
  const env = {
    GITHUB_REPOSITORY: 'octo-org/app',
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'integration'
  }
  const main = await runStep('main', { inputs, env, runnerTemp })
  printLog(main)
  console.log(
    `\nexit code ${main.exitCode} after ${main.durationMs} ms; ${emulator.requests.length} HTTP requests:`
  )
  for (const r of emulator.requests) console.log(`  ${r.method} ${r.path} → ${r.status}`)
  console.log('\nOutputs:')
  for (const name of ['username', 'ready-seconds', 'certificate-file', 'connection-string'])
    console.log(`  ${name} = ${main.outputs[name]}`)

  console.log('\nThe next step, with the official MongoDB driver: connect and ping')
  const pingResult = await ping(main.outputs['connection-string'] ?? '')
  console.log(`  ${pingResult}`)

  console.log('\n$ node dist/post/index.js   # post step: deletes the user, then the file')
  const post = await runStep('post', { inputs, env, runnerTemp, state: main.state })
  printLog(post)
  rmSync(caFolder, { recursive: true, force: true })
  const gone = !emulator.users(emulator.groupId).some(u => u.username === main.outputs.username)
  console.log(`\nexit code ${post.exitCode}; user present in Atlas afterwards: ${!gone}`)
  return main.exitCode === 0 && post.exitCode === 0 && pingResult.startsWith('ping →') && gone
}

async function ping(connectionString: string): Promise<string> {
  const client = new MongoClient(connectionString, { serverSelectionTimeoutMS: 3000 })
  try {
    await client.connect()
    return `ping → ${JSON.stringify(await client.db('admin').command({ ping: 1 }))}`
  } catch (error) {
    return `failed: ${(error as Error).message}`
  } finally {
    await client.close()
  }
}
