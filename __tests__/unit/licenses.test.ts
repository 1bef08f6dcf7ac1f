import { readFileSync } from 'node:fs'

/** The packages a dist/ licence file names, in its `name@version` header lines. */
function named(entry: string): string[] {
  return readFileSync(`dist/${entry}/licenses.txt`, 'utf8')
    .split('\n')
    .filter(line => /^(@[a-z0-9-]+\/)?[a-z0-9.-]+@\d+\.\d+\.\d+/.test(line))
    .map(line => line.slice(0, line.lastIndexOf('@')))
}

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
  packages: Record<string, { dev?: boolean; devOptional?: boolean }>
}

describe.each(['main', 'post'])('dist/%s/licenses.txt', entry => {
  it('names the bundled packages, their own dependencies included', () => {
    expect(named(entry)).toEqual(
      expect.arrayContaining(['@actions/core', '@actions/http-client', 'undici'])
    )
  })
  it('names only production dependencies', () => {
    for (const name of named(entry)) {
      const record = lock.packages[`node_modules/${name}`]
      expect(record).toBeDefined()
      expect(record!.dev ?? false).toBe(false)
    }
  })
})
