/**
 * Release pipelines through dist/: the scenarios both tiers run (../scenarios/release-pipelines.ts),
 * then what only the bundle shows: Octokit's own log on stdout, and the github-secret and issuer
 * chunks loaded only on demand. Input errors, the other refusals and list-certificates over the
 * whole project run in-process (__tests__/operations/release-pipelines.test.ts).
 */
import { expect } from '@jest/globals'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { atlasForFile, githubEnvOf, githubForFile } from '../support/atlas.js'
import { rootCa } from '../support/pki.js'
import { issueWithSecret, releasePipelineScenarios } from '../scenarios/release-pipelines.js'

const atlas = atlasForFile()
const github = githubForFile()

releasePipelineScenarios(atlas, github)

describe('Octokit on stdout', () => {
  it("a Deprecation header from GitHub never becomes a runner command (Octokit's log is escaped)", async () => {
    github.fail({ fault: { kind: 'deprecation', sunset: '::error::forged ##[error]forged' } })
    try {
      const { main } = await issueWithSecret(atlas, github, {
        'github-token': github.tokens.write
      })
      expect(main.exitCode).toBe(0)
      const lines = `${main.stdout}\n${main.stderr}`.split('\n')
      expect(lines.filter(line => /^\s*::error::/.test(line) || line.includes('##['))).toEqual([])
      expect(main.errors).toEqual([])
    } finally {
      github.clearFaults()
    }
  })
})

describe('lazy loading', () => {
  /** Runs a main step with a module hook that records every file Node loads. */
  async function loadedFiles(extra: Record<string, string>): Promise<string[]> {
    const dir = mkdtempSync(join(tmpdir(), 'loads-'))
    const log = join(dir, 'loaded.txt')
    writeFileSync(log, '')
    writeFileSync(
      join(dir, 'hooks.mjs'),
      `import { appendFileSync } from 'node:fs'\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context) }\n`
    )
    writeFileSync(
      join(dir, 'register.mjs'),
      `import { register } from 'node:module'\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)})\n`
    )
    const main = await atlas.step('main', {
      inputs: atlas.inputs('api-key', { username: 'release-bot', ...extra }),
      env: {
        ...githubEnvOf(github),
        NODE_OPTIONS: `--import=${pathToFileURL(join(dir, 'register.mjs')).href}`
      }
    })
    expect(main.exitCode).toBe(0)
    const loaded = readFileSync(log, 'utf8')
    rmSync(dir, { recursive: true, force: true })
    return loaded
      .split('\n')
      .filter(url => url.includes('/dist/main/'))
      .map(url => url.slice(url.lastIndexOf('/') + 1))
  }

  /** What every step loads: the entry (index.js), then the action's own chunks, after starting the handshake. */
  const core = async () => {
    const loaded = await loadedFiles({})
    expect(loaded[0]).toBe('index.js')
    return loaded.slice(1)
  }

  it('dist/main has separate chunk files; a step without github-secret loads none of the GitHub ones', async () => {
    const always = await core()
    // The MongoDB driver's chunk is verify-login's, not github-secret's.
    const chunks = readdirSync('dist/main').filter(
      name =>
        /^\d+\.index\.js$/.test(name) &&
        (always.includes(name) ||
          !readFileSync(join('dist/main', name), 'utf8').includes('MongoClient'))
    )
    expect(chunks.length).toBeGreaterThanOrEqual(2)
    // The action's own chunks may name the issuer's errors; the signing code and its library are apart.
    const issuerChunks = chunks.filter(name => isIssuerChunk(name) && !always.includes(name))
    expect(
      always.filter(name => readFileSync(join('dist/main', name), 'utf8').includes('tsyringe'))
    ).toEqual([])
    const withSecret = await loadedFiles({
      'github-secret': 'LAZY_CERT',
      'github-token': github.tokens.write
    })
    expect(withSecret[0]).toBe('index.js')
    expect(withSecret.slice(1).sort()).toEqual(
      chunks.filter(name => !issuerChunks.includes(name)).sort()
    )
    expect(
      withSecret.slice(1).filter(name => !always.includes(name)).length
    ).toBeGreaterThanOrEqual(2)
  })

  it('the X.509 library loads only for a step with an issuer, and only its own chunks', async () => {
    const always = await core()
    const issuerChunks = readdirSync('dist/main').filter(
      name => /^\d+\.index\.js$/.test(name) && isIssuerChunk(name) && !always.includes(name)
    )
    expect(issuerChunks.length).toBeGreaterThanOrEqual(1)
    const root = rootCa('Lazy Root CA')
    atlas.emulator.setCustomerX509(atlas.emulator.groupId, root.pem)
    atlas.emulator.recordSecret(root.keyPem.trim())
    try {
      const withIssuer = await loadedFiles({
        operation: 'create-ephemeral-user',
        roles: 'read@app',
        'wait-until-ready': 'false',
        'issuer-certificate': root.pem,
        'issuer-key': root.keyPem
      })
      expect(withIssuer[0]).toBe('index.js')
      expect(
        withIssuer
          .slice(1)
          .filter(name => !always.includes(name))
          .sort()
      ).toEqual(issuerChunks.sort())
    } finally {
      atlas.emulator.setCustomerX509(atlas.emulator.groupId, null)
    }
  })
})

/** A chunk of the self-managed X.509 signing code or of its X.509 library. */
function isIssuerChunk(name: string): boolean {
  const code = readFileSync(join('dist/main', name), 'utf8')
  return code.includes('tsyringe') || code.includes('IssuerError')
}
