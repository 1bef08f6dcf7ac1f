import { readFileSync } from 'node:fs'
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
