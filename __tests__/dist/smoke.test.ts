/**
 * Bundle smoke tier: the committed dist/ spawned as the runner spawns it (Node 24, INPUT_*,
 * GITHUB_OUTPUT/STATE/STEP_SUMMARY files, the post step with STATE_*), every run leak-scanned.
 * Behaviour in detail is tested in-process (__tests__/operations/); these check that the bundle,
 * the runner's file commands, masking on stdout, and process-wide settings (proxies,
 * NODE_EXTRA_CA_CERTS) work end to end.
 */
import { expect } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { createProxy } from 'proxy'
import {
  atlasRequests,
  CREDENTIAL_KINDS,
  filesIn,
  startAtlas,
  type Atlas
} from '../support/atlas.js'
import { runnerNode, tempDir } from '../../scripts/lib/step.js'

let atlas: Atlas
let tlsAtlas: Atlas
let proxy: Server
let proxyPort = 0
const tunnels: string[] = []
let folder = ''
let caFile = ''

beforeAll(async () => {
  ;[atlas, tlsAtlas] = await Promise.all([startAtlas(), startAtlas({ tls: true })])
  folder = tempDir('tls-ca-')
  caFile = join(folder, 'emulator-ca.pem')
  writeFileSync(caFile, tlsAtlas.emulator.tlsCaPem!)
  proxy = createProxy(createServer())
  proxy.on('connect', (request: { url?: string }) => tunnels.push(request.url ?? ''))
  await new Promise<void>(done => proxy.listen(0, '127.0.0.1', done))
  proxyPort = (proxy.address() as AddressInfo).port
})

afterAll(async () => {
  await Promise.all([atlas.close(), tlsAtlas.close()])
  await new Promise(done => proxy.close(done))
  rmSync(folder, { recursive: true, force: true })
})

beforeEach(() => {
  for (const a of [atlas, tlsAtlas]) {
    a.emulator.clearRequests()
    a.emulator.clearFaults()
  }
  tunnels.length = 0
})

/** Runs a job in a RUNNER_TEMP of its own, checks it is left empty, and removes it. */
async function job(
  target: Atlas,
  options: Parameters<Atlas['job']>[0],
  scan?: Parameters<Atlas['job']>[1]
) {
  const runnerTemp = tempDir('runner-temp-')
  try {
    const result = await target.job({ ...options, runnerTemp }, scan)
    expect(filesIn(runnerTemp)).toEqual([])
    return result
  } finally {
    rmSync(runnerTemp, { recursive: true, force: true })
  }
}

it('spawns the bundle on Node 24, the runtime of action.yml', () => {
  expect(execFileSync(runnerNode(), ['--version'], { encoding: 'utf8' })).toMatch(/^v24\./)
})

it('keeps Octokit out of both entries: only the github-secret chunks, loaded on demand, hold it', () => {
  const chunks = filesIn('dist/main').filter(f => /^\d+\.index\.js$/.test(f))
  expect(
    chunks.filter(f => readFileSync(join('dist/main', f), 'utf8').includes('octokit-core.js'))
  ).toHaveLength(1)
  expect(readFileSync('dist/main/index.js', 'utf8')).not.toContain('octokit-core.js')
  for (const file of filesIn('dist/post').filter(f => f.endsWith('.js')))
    expect(readFileSync(join('dist/post', file), 'utf8')).not.toContain('octokit-core.js')
})

describe.each(CREDENTIAL_KINDS)('create-certificate with %s credentials', kind => {
  it('main writes the file 0600 and sets outputs, state and summary; post removes the file', async () => {
    const { main, post } = await job(atlas, { inputs: atlas.inputs(kind, { username: 'ci-user' }) })
    expect(main.exitCode).toBe(0)
    expect(main.annotations).toEqual([])
    const file = main.outputs['certificate-file']!
    expect(JSON.parse(main.state['certificate-file']!)).toMatchObject({ path: file })
    expect(main.outputs).toMatchObject({ username: 'ci-user', subject: 'CN=ci-user' })
    expect(main.outputs['serial-number']).toMatch(/^[0-9A-F]+$/)
    expect(main.summary).toContain('CN=ci-user')
    expect(main.summary).toContain(atlas.emulator.groupId)
    expect(main.stdout).toContain(`written to ${file} (mode 0600)`)
    // Main: challenge or token, then the certificate; a service account's post step revokes the token.
    expect(
      atlasRequests(atlas.emulator).map(r => `${r.path.split('/').at(-1)} ${r.status}`)
    ).toEqual(
      kind === 'api-key' ? ['certs 401', 'certs 201'] : ['token 200', 'certs 201', 'revoke 200']
    )
    expect(post.exitCode).toBe(0)
    expect(post.stdout).toContain(`Removed the certificate file ${file}.`)
    expect(existsSync(file)).toBe(false)
  })
})

it('create-ephemeral-user (wait-until-ready false): main creates the labelled user and reads no cluster, post deletes it', async () => {
  const env = {
    GITHUB_REPOSITORY: 'octo-org/app',
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_ATTEMPT: '2',
    GITHUB_JOB: 'test'
  }
  const { emulator } = atlas
  const { main, post } = await job(atlas, {
    inputs: atlas.inputs('service-account', {
      operation: 'create-ephemeral-user',
      roles: 'read@app',
      'wait-until-ready': 'false'
    }),
    env
  })
  expect(main.exitCode).toBe(0)
  const username = main.outputs.username!
  expect(username).toMatch(/^gha-4242-2-test-[a-z0-9]{10}$/)
  expect(main.outputs['ready-seconds']).toBeUndefined()
  expect(atlasRequests(emulator).filter(r => /[cC]lusters/.test(r.path))).toEqual([])
  expect(JSON.parse(main.state['ephemeral-user']!)).toMatchObject({
    username,
    githubRun: 'octo-org/app/4242/2/test',
    confirmed: true
  })
  expect(post.exitCode).toBe(0)
  expect(post.errors).toEqual([])
  expect(emulator.getUser(emulator.groupId, '$external', username)).toBeUndefined()
  expect(
    atlasRequests(emulator)
      .filter(r => r.method === 'DELETE')
      .map(r => r.status)
  ).toEqual([204])
})

it('a bad input: one ::error annotation, exit 1, the error in the summary, no request', async () => {
  const main = await atlas.step('main', {
    inputs: atlas.inputs('api-key', { username: 'ci-user', months: '25' })
  })
  expect(main.exitCode).toBe(1)
  expect(main.errors).toEqual([
    {
      level: 'error',
      title: 'Invalid input: months',
      message: expect.stringMatching(/1 to 24|1–24|between/)
    }
  ])
  expect(main.annotations).toHaveLength(1)
  expect(main.summary).toContain('Invalid input: months')
  expect(atlasRequests(atlas.emulator)).toHaveLength(0)
})

it('an Atlas error: one ::error annotation with code, status and hint; the post step is quiet', async () => {
  const { main, post } = await job(atlas, {
    inputs: atlas.inputs('api-key', { username: 'ghost' })
  })
  expect(main.exitCode).toBe(1)
  expect(main.errors).toEqual([
    {
      level: 'error',
      title: 'Atlas USERNAME_NOT_FOUND (HTTP 404)',
      message: expect.stringMatching(/x509Type `MANAGED`/)
    }
  ])
  expect(main.annotations).toHaveLength(1)
  expect(post.exitCode).toBe(0)
  expect(post.annotations).toEqual([])
})

it('masking order: the ::add-mask:: lines come before any line holding the key', async () => {
  const { main } = await job(
    atlas,
    { inputs: atlas.inputs('api-key', { username: 'ci-user', 'output-certificate': 'true' }) },
    { certificateOutputAllowed: true }
  )
  expect(main.exitCode).toBe(0)
  const lines = main.stdout.split('\n').filter(Boolean)
  expect(lines[0]).toBe(`::add-mask::${atlas.emulator.credentials.privateKey}`)
  const pem = main.outputs.certificate!
  const keyLines = pem
    .split('-----BEGIN PRIVATE KEY-----')[1]!
    .split('\n')
    .filter(l => l && !l.startsWith('-----'))
  expect(keyLines.length).toBeGreaterThan(10)
  for (const line of keyLines) {
    expect(main.masks).toContain(line)
    const masked = lines.indexOf(`::add-mask::${line}`)
    const shown = lines.findIndex(l => !l.startsWith('::add-mask::') && l.includes(line))
    expect(masked).toBeGreaterThanOrEqual(0)
    expect(masked).toBeLessThan(shown === -1 ? Infinity : shown)
  }
  // Every key line is masked before the first line that is not a mask or debug command.
  const firstOther = lines.findIndex(
    l => !l.startsWith('::add-mask::') && !l.startsWith('::debug::')
  )
  const lastMask = lines.map(l => l.startsWith('::add-mask::')).lastIndexOf(true)
  expect(lastMask).toBeLessThan(firstOther)
})

it('HTTPS through a forward proxy (HTTPS_PROXY), trusting a private CA with NODE_EXTRA_CA_CERTS', async () => {
  const { main } = await job(tlsAtlas, {
    inputs: tlsAtlas.inputs('service-account', { username: 'ci-user' }),
    env: { HTTPS_PROXY: `http://127.0.0.1:${proxyPort}`, NODE_EXTRA_CA_CERTS: caFile }
  })
  expect(main.exitCode).toBe(0)
  expect(tlsAtlas.emulator.url.startsWith('https://')).toBe(true)
  expect(tunnels.length).toBeGreaterThanOrEqual(1)
  expect(new Set(tunnels)).toEqual(new Set([new URL(tlsAtlas.emulator.url).host]))
})

it('TLS with NODE_EXTRA_CA_CERTS, NO_PROXY bypassing the proxy, and no GITHUB_STEP_SUMMARY', async () => {
  const { main } = await job(tlsAtlas, {
    inputs: tlsAtlas.inputs('api-key', { username: 'ci-user' }),
    env: {
      https_proxy: `http://127.0.0.1:${proxyPort}`,
      no_proxy: '127.0.0.1',
      NODE_EXTRA_CA_CERTS: caFile
    },
    noSummary: true
  })
  expect(main.exitCode).toBe(0)
  expect(tunnels).toEqual([])
  expect(main.stdout).toContain('GITHUB_STEP_SUMMARY is not set')
  expect(statSync(caFile).isFile()).toBe(true)
})

describe('the bundle', () => {
  it('ships every chunk minified, not only the entries (ncc leaves the chunks import() loads as written)', () => {
    for (const entry of ['main', 'post']) {
      const dir = join('dist', entry)
      for (const name of readdirSync(dir).filter(file => file.endsWith('.js'))) {
        const code = readFileSync(join(dir, name), 'utf8')
        // webpack's module markers and line-per-statement layout survive only unminified code.
        expect({ name, unminified: code.includes('/***/') }).toEqual({ name, unminified: false })
        expect({ name, lines: code.split('\n').length < code.length / 200 }).toEqual({
          name,
          lines: true
        })
      }
    }
  })
})
