/**
 * scripts/release.mjs, the logic of the release workflow, run as the workflow runs it, inside a
 * scratch clone whose origin is a local bare repository (so even --push needs no network).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const SCRIPT = resolve('scripts/release.mjs')

const SECTION_1_2_3 = `### Fixed

- Retries honour \`Retry-After\` given as an HTTP date.

### Added

- \`list-certificates\` warns about certificates expiring soon.`

const CHANGELOG_1_1 = `# Changelog

## [Unreleased]

- Work in progress, not in any release.

## [1.1.0] - 2026-10-01

### Added

- \`delete-user\`.

## [1.0.0] - 2026-09-01

First release.

[Unreleased]: https://example.test/compare/v1.1.0...HEAD
[1.1.0]: https://example.test/releases/tag/v1.1.0
`

const CHANGELOG_1_2 = CHANGELOG_1_1.replace(
  '## [1.1.0]',
  `## [1.2.3] - 2026-11-01\n\n${SECTION_1_2_3}\n\n## [1.1.0]`
)

const CHANGELOG_1_1_1 = CHANGELOG_1_1.replace(
  '## [1.1.0]',
  '## [1.1.1] - 2026-11-02\n\n### Fixed\n\n- A backported fix.\n\n## [1.1.0]'
)

let scratch: string
let origin: string
let clone: string
const commits: Record<string, string> = {}

// A git that reads no user or system configuration (no signing, no hooks, fixed identity).
const gitEnv = (): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: scratch,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: join(scratch, 'no-gitconfig'),
  GIT_AUTHOR_NAME: 'Release Test',
  GIT_AUTHOR_EMAIL: 'release-test@example.test',
  GIT_COMMITTER_NAME: 'Release Test',
  GIT_COMMITTER_EMAIL: 'release-test@example.test'
})

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: gitEnv(), encoding: 'utf8' }).trim()
}

function commitChangelog(cwd: string, text: string, message: string): string {
  writeFileSync(join(cwd, 'CHANGELOG.md'), text)
  git(cwd, 'add', 'CHANGELOG.md')
  git(cwd, 'commit', '--quiet', '-m', message)
  return git(cwd, 'rev-parse', 'HEAD')
}

function runRelease(...args: string[]) {
  const result = spawnSync(process.execPath, [SCRIPT, ...args], {
    cwd: clone,
    env: gitEnv(),
    encoding: 'utf8'
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

const tagCommit = (cwd: string, tag: string) => git(cwd, 'rev-parse', `refs/tags/${tag}^{commit}`)

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'release-test-'))
  const work = join(scratch, 'work')
  origin = join(scratch, 'origin.git')
  clone = join(scratch, 'clone')
  git(scratch, 'init', '--quiet', '--initial-branch=main', work)
  commits.v1_1_0 = commitChangelog(work, CHANGELOG_1_1, 'Release 1.1.0')
  git(work, 'tag', 'v1.1.0')
  git(work, 'tag', 'v1')
  commits.v1_2_3 = commitChangelog(work, CHANGELOG_1_2, 'Release 1.2.3')
  git(work, 'tag', '-a', 'v1.2.3', '-m', 'v1.2.3')
  // Tagged without adding its changelog section.
  writeFileSync(join(work, 'README.md'), 'later work\n')
  git(work, 'add', 'README.md')
  git(work, 'commit', '--quiet', '-m', 'Later work')
  git(work, 'tag', 'v1.2.4')
  // A fix for the older minor, released after 1.2.3.
  git(work, 'checkout', '--quiet', '-b', 'release-1.1', 'v1.1.0')
  commits.v1_1_1 = commitChangelog(work, CHANGELOG_1_1_1, 'Release 1.1.1')
  git(work, 'tag', 'v1.1.1')
  git(scratch, 'clone', '--quiet', '--bare', work, origin)
  git(scratch, 'clone', '--quiet', origin, clone)
})

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true })
})

describe('node scripts/release.mjs', () => {
  it('refuses malformed tags, one line on stderr, and moves nothing', () => {
    for (const tag of ['v1.2', '1.2.3', 'v1.2.3-rc.1', 'v01.2.3', 'v1.2.3.4', 'latest']) {
      const result = runRelease(tag)
      expect(result.status).toBe(1)
      expect(result.stdout).toBe('')
      expect(result.stderr).toBe(
        `release: "${tag}" is not a release tag: expected vMAJOR.MINOR.PATCH, e.g. v1.2.3 (no leading zeros, no suffix)\n`
      )
    }
    expect(tagCommit(clone, 'v1')).toBe(commits.v1_1_0)
  })

  it('refuses a tag whose CHANGELOG.md has no section for its version', () => {
    const result = runRelease('v1.2.4')
    expect(result.status).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toBe(
      'release: CHANGELOG.md at v1.2.4 has no "## [1.2.4]" section with content; add one before tagging\n'
    )
    expect(tagCommit(clone, 'v1')).toBe(commits.v1_1_0)
  })

  it('refuses a tag that does not exist', () => {
    const result = runRelease('v1.9.9')
    expect(result.status).toBe(1)
    expect(result.stderr).toBe('release: tag v1.9.9 does not exist in this repository\n')
  })

  it('for v1.2.3 prints exactly the 1.2.3 section and moves v1 to the tagged commit, locally', () => {
    const result = runRelease('v1.2.3')
    expect(result.stderr).toContain(`v1 now points at ${commits.v1_2_3} (v1.2.3)`)
    expect(result.status).toBe(0)
    expect(result.stdout).toBe(`${SECTION_1_2_3}\n`)
    expect(tagCommit(clone, 'v1')).toBe(commits.v1_2_3)
    // Without --push, origin still has the old v1.
    expect(tagCommit(origin, 'v1')).toBe(commits.v1_1_0)
  })

  it('writes the notes to --notes-file instead of stdout', () => {
    const notesFile = join(scratch, 'notes.md')
    const result = runRelease('v1.2.3', '--notes-file', notesFile)
    expect(result.status).toBe(0)
    expect(result.stdout).toBe('')
    expect(readFileSync(notesFile, 'utf8')).toBe(`${SECTION_1_2_3}\n`)
  })

  it('gives the notes of a fix on an older line (v1.1.1 after v1.2.3) but leaves v1 where it is', () => {
    const result = runRelease('v1.1.1')
    expect(result.status).toBe(0)
    expect(result.stdout).toBe('### Fixed\n\n- A backported fix.\n')
    expect(result.stderr).toBe(
      `v1 stays at ${commits.v1_2_3}: v1.1.1 (${commits.v1_1_1}) does not descend from it\n`
    )
    expect(tagCommit(clone, 'v1')).toBe(commits.v1_2_3)
  })

  it('with --push, force-pushes v1 to origin', () => {
    const result = runRelease('v1.2.3', '--push')
    expect(result.status).toBe(0)
    expect(tagCommit(origin, 'v1')).toBe(commits.v1_2_3)
  })
})

describe('CHANGELOG.md', () => {
  it('has a section with content for the version in package.json', () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }
    const changelog = readFileSync('CHANGELOG.md', 'utf8')
    const heading = `## [${version}]`
    const start = changelog.indexOf(`\n${heading}`)
    expect(start).toBeGreaterThan(-1)
    const body = changelog.slice(start + heading.length + 1).split(/\n## |\n\[/)[0]!
    expect(body.replace(/^[^\n]*\n/, '').trim()).not.toBe('')
  })
})
