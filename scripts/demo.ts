/**
 * `npm run demo`: starts the local Atlas emulator, runs the bundled action's create-certificate
 * step against it exactly as a runner would (INPUT_* variables, GITHUB_OUTPUT/STATE files),
 * prints the outputs, then runs the post step, which removes the certificate file.
 */
import 'reflect-metadata'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { startEmulator } from '../emulator/index.js'
import { runStep, tempDir } from './lib/step.js'

const emulator = await startEmulator()
try {
  const runnerTemp = tempDir('demo-runner-temp-')
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
  for (const line of main.stdout.split('\n')) {
    // What the runner would show: masks and debug lines are hidden in a real log too.
    if (line && !line.startsWith('::add-mask::') && !line.startsWith('::debug::'))
      console.log(`  ${line}`)
  }
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
  console.log('\n$ node dist/post/index.js   # post step, STATE_certificate-file set')
  const post = await runStep('post', { inputs, runnerTemp, state: main.state })
  for (const line of post.stdout.split('\n'))
    if (line && !line.startsWith('::debug::')) console.log(`  ${line}`)
  console.log(
    `\nexit code ${post.exitCode}; certificate file present afterwards: ${file ? existsSync(file) : false}`
  )
  process.exitCode = main.exitCode === 0 && post.exitCode === 0 ? 0 : 1
  // One line pointing past the demo: the same emulator with any other operation.
  console.log(
    '\nNext: try another operation, e.g. INPUT_OPERATION=list-certificates in a .env copied from .env.example (README: "Running the source with @github/local-action").'
  )
} finally {
  await emulator.close()
}
