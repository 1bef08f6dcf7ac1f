import { expect } from '@jest/globals'
// @ts-expect-error -- a plain ES module script without type declarations
import { stableChunkIds } from '../../scripts/bundle.mjs'

type Files = Record<string, string>
const renumber = stableChunkIds as (files: Files) => Files

/** An entry that loads chunk `a`, which loads chunk `b`, under the numbers webpack gave them. */
function build(a: number, b: number): Files {
  return {
    'index.js': `const t={};t.e(${a}).then(()=>0)`,
    [`${a}.index.js`]: `export const id=${a};export const ids=[${a}];export const modules={1:(e,t,n)=>n.e(${b})};`,
    [`${b}.index.js`]: `export const id=${b};export const ids=[${b}];export const modules={2:()=>"driver"};`,
    'licenses.txt': 'x.e(245) stays as it is'
  }
}

describe('the chunk numbers of the bundle', () => {
  it('depend on the chunks’ code, not on the numbers webpack happened to give them', () => {
    const first = renumber(build(245, 413))
    expect(renumber(build(328, 413))).toEqual(first)
    expect(renumber(build(413, 245))).toEqual(first)
  })

  it('rewrites every reference, the chunk headers and the file names together', () => {
    const files = renumber(build(245, 413))
    const chunks = Object.keys(files).filter(name => /^\d+\.index\.js$/.test(name))
    expect(chunks).toHaveLength(2)
    for (const name of chunks) {
      const id = name.split('.')[0]
      expect(files[name]).toMatch(
        new RegExp(`^export const id=${id};export const ids=\\[${id}\\];`)
      )
    }
    const loaded = /t\.e\((\d+)\)/.exec(files['index.js']!)![1]
    expect(files[`${loaded}.index.js`]).toContain('n.e(')
    expect(files['licenses.txt']).toBe('x.e(245) stays as it is')
    const code = Object.entries(files).filter(([name]) => name.endsWith('.js'))
    expect(code.map(([, text]) => text).join('\n')).not.toMatch(/\.e\((245|413)\)/)
  })
})
