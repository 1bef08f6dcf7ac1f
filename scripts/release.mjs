/**
 * Release steps for a pushed tag vX.Y.Z, run by .github/workflows/release.yml and testable locally:
 *
 *   node scripts/release.mjs vX.Y.Z [--notes-file FILE] [--push]
 *
 * In the current git repository: checks the tag's name, takes the `## [X.Y.Z]` section of
 * CHANGELOG.md as the tagged commit holds it (the release notes: to FILE, else stdout), and
 * force-moves the major tag vX to the tagged commit, locally, unless that would move it back (a
 * release on an older line). Only with --push does it run `git push --force origin vX`, so the
 * rest works without a network. Any refusal is one line on stderr and exit code 1.
 */
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

const RELEASE_TAG = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/

class ReleaseError extends Error {}

function git(...args) {
  return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()
}

function tryGit(...args) {
  try {
    return git(...args)
  } catch {
    return undefined
  }
}

/** `[major, minor, patch]` of a release tag, or undefined for any other name. */
function parseReleaseTag(tag) {
  const match = RELEASE_TAG.exec(tag)
  return match ? match.slice(1, 4).map(Number) : undefined
}

/**
 * The body of the `## [version]` section of a Keep a Changelog file: from its heading to the next
 * `## ` heading or the link definitions at the end, without surrounding blank lines.
 */
function changelogSection(changelog, version) {
  const lines = changelog.split(/\r?\n/)
  const heading = new RegExp(`^## \\[${version.replaceAll('.', '\\.')}\\](\\s|$)`)
  const start = lines.findIndex(line => heading.test(line))
  if (start === -1) return undefined
  let end = start + 1
  while (end < lines.length && !/^## /.test(lines[end]) && !/^\[[^\]]+\]:\s/.test(lines[end])) end++
  const body = lines
    .slice(start + 1, end)
    .join('\n')
    .trim()
  return body === '' ? undefined : body
}

function isAncestor(ancestor, commit) {
  try {
    execFileSync('git', ['merge-base', '--is-ancestor', ancestor, commit], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

function release(tag, { notesFile, push = false } = {}) {
  const version = parseReleaseTag(tag)
  if (!version)
    throw new ReleaseError(
      `"${tag}" is not a release tag: expected vMAJOR.MINOR.PATCH, e.g. v1.2.3 (no leading zeros, no suffix)`
    )
  const commit = tryGit('rev-parse', '--verify', '--quiet', `refs/tags/${tag}^{commit}`)
  if (!commit) throw new ReleaseError(`tag ${tag} does not exist in this repository`)

  const changelog = tryGit('show', `${commit}:CHANGELOG.md`)
  if (changelog === undefined) throw new ReleaseError(`${tag} has no CHANGELOG.md`)
  const versionText = version.join('.')
  const notes = changelogSection(changelog, versionText)
  if (!notes)
    throw new ReleaseError(
      `CHANGELOG.md at ${tag} has no "## [${versionText}]" section with content; add one before tagging`
    )

  if (notesFile) writeFileSync(notesFile, `${notes}\n`)
  else process.stdout.write(`${notes}\n`)

  // The major tag only moves forward: a fix released on an older line (v1.1.1 after v1.2.0)
  // gets its notes but leaves v1 on the newer release.
  const major = `v${version[0]}`
  const current = tryGit('rev-parse', '--verify', '--quiet', `refs/tags/${major}^{commit}`)
  if (current && !isAncestor(current, commit)) {
    console.error(`${major} stays at ${current}: ${tag} (${commit}) does not descend from it`)
    return
  }
  git('tag', '--force', major, commit)
  console.error(`${major} now points at ${commit} (${tag})`)
  if (push) {
    git('push', '--force', 'origin', `refs/tags/${major}`)
    console.error(`pushed ${major} to origin`)
  }
}

function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { 'notes-file': { type: 'string' }, push: { type: 'boolean', default: false } }
  })
  if (positionals.length !== 1)
    throw new ReleaseError('usage: node scripts/release.mjs vX.Y.Z [--notes-file FILE] [--push]')
  release(positionals[0], { notesFile: values['notes-file'], push: values.push })
}

try {
  main()
} catch (error) {
  const message = error instanceof ReleaseError ? error.message : String(error.message ?? error)
  console.error(`release: ${message.split('\n')[0]}`)
  process.exit(1)
}
