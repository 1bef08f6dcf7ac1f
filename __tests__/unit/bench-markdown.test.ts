import { readFileSync } from 'node:fs'
import { latencyTarget, type LatencyRow } from '../../scripts/bench/latency.js'
import { replaceSection, sectionMarkers } from '../../scripts/bench/markdown.js'

/** `npm run bench` rewrites only its own regions of docs/benchmark.md. */
describe('replaceSection', () => {
  const { start, end } = sectionMarkers('main')
  const document = ['# Benchmark', 'Prose.', start, 'old figures', end, 'More prose.', ''].join(
    '\n\n'
  )

  it('replaces the region between the markers and keeps the prose around it', () => {
    const updated = replaceSection(document, 'main', '### Sizes\n\nnew figures\n')
    expect(updated).toBe(
      ['# Benchmark', 'Prose.', start, '### Sizes\n\nnew figures', end, 'More prose.', ''].join(
        '\n\n'
      )
    )
    expect(replaceSection(updated, 'main', 'newer')).toContain(`${start}\n\nnewer\n\n${end}`)
  })

  it('refuses a document whose markers are missing, repeated or out of order', () => {
    expect(() => replaceSection(document, 'latency', 'x')).toThrow('bench:latency:start')
    expect(() => replaceSection(`${document}${start}\n`, 'main', 'x')).toThrow()
    expect(() => replaceSection(`${end}\n${start}\n`, 'main', 'x')).toThrow()
  })

  it('finds both regions in docs/benchmark.md', () => {
    const doc = readFileSync('docs/benchmark.md', 'utf8')
    for (const section of ['main', 'latency'])
      expect(() => replaceSection(doc, section, 'figures')).not.toThrow()
  })
})

/** The slow-network table marks each target the run met or missed. */
describe('latencyTarget', () => {
  const row = (step: string, credentials: string, ms: number): LatencyRow => ({
    step,
    credentials,
    requests: 2,
    connections: 1,
    handshakes: 1,
    wallMs: [ms]
  })
  const curlDigest = row('seed POST, `curl --digest`', 'API key', 500)
  const curlBearer = row('seed POST, `curl` token then Bearer', 'service account', 700)

  it('compares create-certificate with curl of the same credentials', () => {
    const rows = [curlDigest, curlBearer]
    const step = '`create-certificate` main step'
    expect(latencyTarget(row(step, 'API key', 540), rows)).toBe('≤ x1.10 of curl: x1.08 ✅')
    expect(latencyTarget(row(step, 'API key', 560), rows)).toBe('≤ x1.10 of curl: x1.12 ❌')
    expect(latencyTarget(row(step, 'service account', 560), rows)).toBe('≤ x1.10 of curl: x0.80 ✅')
    expect(latencyTarget(row(step, 'API key', 540), [curlBearer])).toBe('')
  })

  it('holds organisation-wide steps and the large prune to 3 s, and nothing else', () => {
    const org = '`list-certificates` org-id, 20 projects × 5 users'
    expect(latencyTarget(row(org, 'API key', 2999), [])).toBe('≤ 3 s ✅')
    expect(latencyTarget(row(org, 'API key', 3001), [])).toBe('≤ 3 s ❌')
    expect(
      latencyTarget(row('`prune-ephemeral-users`, 100 expired users in one project', 'x', 3500), [])
    ).toBe('≤ 3 s ❌')
    expect(latencyTarget(row('`create-ephemeral-user` main step', 'x', 9000), [])).toBe('')
    expect(latencyTarget({ ...row(org, 'x', 1), failure: 'exit 1' }, [])).toBe('')
  })
})
