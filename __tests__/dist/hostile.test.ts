/**
 * Hostile answers and odd inputs through dist/, as the runner runs the action: every step passes
 * the leak scan (and, for PEM bodies made here, a scan for their key lines too).
 */
import { expect } from '@jest/globals'
import { rmSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { atlasRequests, filesIn, atlasForFile } from '../support/atlas.js'
import { selfSigned } from '../support/pki.js'
import { findLeaks, tempDir, type StepResult } from '../../scripts/lib/step.js'
import { keyLines } from '../support/inprocess.js'

const atlas = atlasForFile()

const certsPath = /\/databaseUsers\/ci-user\/certs$/
const usersPath = /\/groups\/[0-9a-f]{24}\/databaseUsers$/
const inputs = (extra: Record<string, string>) =>
  atlas.inputs('api-key', { 'max-retries': '0', ...extra })

/** Lines that start a workflow command, other than the masks and debug lines the action writes. */
const annotationLines = (result: StepResult) =>
  result.stdout
    .split(/\r?\n|\r/)
    .filter(line => /^\s*::/.test(line) && !/^::(add-mask|debug)::/.test(line))

/** Atlas answers the certificate request with this PEM text. */
const answerCertificateWith = (body: string) =>
  atlas.emulator.fault({
    method: 'POST',
    path: certsPath,
    kind: 'body',
    status: 201,
    contentType: 'application/x-pem-file',
    body
  })

describe('hostile text through dist/', () => {
  it('1: joined PEM armour is refused; every key line was masked and none leaked', async () => {
    const pair = selfSigned('ci-user', { ca: false, days: 91 })
    answerCertificateWith(pair.pem.trim() + pair.keyPem)
    const { main, runnerTemp } = await atlas.job({ inputs: inputs({ username: 'ci-user' }) })
    expect(main.exitCode).toBe(1)
    expect(main.errors).toEqual([
      expect.objectContaining({ title: 'Unusable certificate response' })
    ])
    for (const line of keyLines(pair.keyPem).filter(l => l.length >= 16))
      expect(main.masks).toContain(line)
    expect(findLeaks(main, keyLines(pair.keyPem))).toEqual([])
    expect(filesIn(runnerTemp)).toEqual([])
  })

  it('2: server text with line breaks and commands stays plain text; one error annotation', async () => {
    atlas.emulator.addUser(atlas.emulator.groupId, {
      username: 'gha-evil\n::set-output name=owned::yes\n##[error]legacy',
      databaseName: '$external',
      x509Type: 'MANAGED',
      labels: [
        { key: 'managed-by', value: 'atlas-x509-action' },
        { key: 'expires-at', value: '2020-01-01T00:00:00.000Z' }
      ]
    })
    const prune = await atlas.step('main', {
      inputs: inputs({ operation: 'prune-ephemeral-users' })
    })
    expect(prune.exitCode).toBe(0)
    expect(annotationLines(prune)).toEqual([])
    expect(prune.stdout).toContain('gha-evil\\n::set-output name=owned::yes\\n# #[error]legacy')
    expect(prune.stdout).not.toContain('##[error]')
    expect(prune.outputs.owned).toBeUndefined()
    expect(prune.summary).not.toMatch(/\n\s*\n[^]*\n\s*\n/)

    atlas.emulator.fault({
      path: certsPath,
      kind: 'status',
      status: 400,
      errorCode: 'INVALID_ATTRIBUTE',
      detail: 'bad\n::error title=pwned::owned\n::add-mask::x'
    })
    const failed = await atlas.step('main', { inputs: inputs({ username: 'ci-user' }) })
    expect(failed.exitCode).toBe(1)
    expect(annotationLines(failed)).toHaveLength(1)
    expect(failed.errors).toEqual([
      expect.objectContaining({ title: 'Atlas INVALID_ATTRIBUTE (HTTP 400)' })
    ])
    expect(failed.summary).not.toContain('<b>')
  })

  it('3: a certificate for another subject is refused and nothing is written', async () => {
    const other = selfSigned('someone-else', { ca: false, days: 91 })
    answerCertificateWith(other.pem + other.keyPem)
    const { main, runnerTemp } = await atlas.job({ inputs: inputs({ username: 'ci-user' }) })
    expect(main.errors).toEqual([
      {
        level: 'error',
        title: 'Unusable certificate response',
        message: expect.stringMatching(/not CN=ci-user/)
      }
    ])
    expect(main.outputs['certificate-file']).toBeUndefined()
    expect(filesIn(runnerTemp)).toEqual([])
    expect(findLeaks(main, keyLines(other.keyPem))).toEqual([])
  })

  it('4: a dot-segment username and a symlinked certificate-file are refused before any request', async () => {
    const dots = await atlas.step('main', { inputs: inputs({ username: '..' }) })
    expect(dots.errors).toEqual([expect.objectContaining({ title: 'Invalid input: username' })])
    const folder = tempDir('hostile-dist-link-')
    symlinkSync(join(folder, 'elsewhere.pem'), join(folder, 'ci.pem'))
    const linked = await atlas.step('main', {
      inputs: inputs({ username: 'ci-user', 'certificate-file': join(folder, 'ci.pem') })
    })
    rmSync(folder, { recursive: true, force: true })
    expect(linked.errors).toEqual([
      expect.objectContaining({
        title: 'Invalid input: certificate-file',
        message: expect.stringMatching(/symbolic link/)
      })
    ])
    expect(atlasRequests(atlas.emulator)).toEqual([])
  })

  it('5: a server that repeats its page ends the list; results that is not an array is an error', async () => {
    atlas.emulator.fault({
      method: 'GET',
      path: usersPath,
      kind: 'body',
      times: Infinity,
      body: JSON.stringify({
        results: [{ username: 'app', databaseName: 'admin' }],
        totalCount: 100_000
      })
    })
    const repeated = await atlas.step('main', {
      inputs: inputs({ operation: 'prune-ephemeral-users' })
    })
    expect(repeated.exitCode).toBe(0)
    expect(
      atlasRequests(atlas.emulator).filter(r => r.method === 'GET' && r.status === 200)
    ).toHaveLength(2)

    atlas.emulator.clearFaults()
    atlas.emulator.fault({
      method: 'GET',
      path: usersPath,
      kind: 'body',
      body: '{"results":"none","totalCount":0}'
    })
    const notArray = await atlas.step('main', {
      inputs: inputs({ operation: 'prune-ephemeral-users' })
    })
    expect(notArray.errors).toEqual([
      expect.objectContaining({ title: 'Unexpected answer from Atlas' })
    ])
  })

  it('6: duplicate roles are an input error before any request', async () => {
    const main = await atlas.step('main', {
      inputs: inputs({ operation: 'create-ephemeral-user', roles: 'read@app\nread@app' })
    })
    expect(main.errors).toEqual([expect.objectContaining({ title: 'Invalid input: roles' })])
    expect(atlasRequests(atlas.emulator)).toEqual([])
  })

  it('7: a list nested 100,000 deep or a million items long ends with exactly one error', async () => {
    for (const body of [
      '['.repeat(100_000) + ']'.repeat(100_000),
      `{"results":[${'0,'.repeat(999_999)}0]}`
    ]) {
      atlas.emulator.clearFaults()
      atlas.emulator.fault({ method: 'GET', path: usersPath, kind: 'body', body })
      const main = await atlas.step('main', {
        inputs: inputs({ operation: 'prune-ephemeral-users' })
      })
      expect(main.exitCode).toBe(1)
      expect(main.errors).toEqual([
        expect.objectContaining({ title: 'Unexpected answer from Atlas' })
      ])
      expect(annotationLines(main)).toHaveLength(1)
      expect(main.stderr).toBe('')
    }
  })
})
