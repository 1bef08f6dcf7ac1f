import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, normalize, relative } from 'node:path'

/**
 * The modules of src/ import one way: from a higher layer to a lower one (or within a layer), and
 * never in a circle. Type-only imports count too: they tie modules together just the same.
 */
const SRC = 'src'

/** Lowest first. A module's layer is the first pattern its path (under src/, no extension) matches. */
const LAYERS: ReadonlyArray<{ name: string; modules: RegExp }> = [
  { name: 'leaves', modules: /^(clock|environment|errors|io|iso-date|run-identity)$/ },
  { name: 'clients', modules: /^(atlas|certificate|github)\// },
  { name: 'inputs', modules: /^inputs\// },
  { name: 'operations', modules: /^(operations\/|customer-ca$)/ },
  { name: 'step', modules: /^(runtime|report)$/ },
  { name: 'entries', modules: /^(main|post-step|index|post)$/ }
]

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : []
  )
}

const moduleName = (file: string) => relative(SRC, file).replace(/\.ts$/, '')

/** The src/ modules a file imports (static, type-only and dynamic imports alike). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const specifiers = [
    ...text.matchAll(/\bfrom\s+'(\.[^']+)'/g),
    ...text.matchAll(/\bimport\(\s*'(\.[^']+)'\s*\)/g)
  ].map(match => match[1]!)
  return specifiers.map(spec =>
    moduleName(normalize(join(dirname(file), spec.replace(/\.js$/, '.ts'))))
  )
}

const graph = new Map(sourceFiles(SRC).map(file => [moduleName(file), importsOf(file)]))

function layerOf(module: string): number {
  const index = LAYERS.findIndex(layer => layer.modules.test(module))
  if (index < 0) throw new Error(`${module} is in no layer: add it to LAYERS`)
  return index
}

/** One circle of imports, if there is any (depth-first search). */
function findCircle(): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>()
  const path: string[] = []
  const visit = (module: string): string[] | undefined => {
    if (state.get(module) === 'done') return undefined
    if (state.get(module) === 'open') return [...path.slice(path.indexOf(module)), module]
    state.set(module, 'open')
    path.push(module)
    for (const next of graph.get(module) ?? []) {
      const circle = visit(next)
      if (circle) return circle
    }
    path.pop()
    state.set(module, 'done')
    return undefined
  }
  for (const module of graph.keys()) {
    const circle = visit(module)
    if (circle) return circle
  }
  return undefined
}

describe('the layers of src/', () => {
  it('reads the imports it checks', () => {
    expect(graph.get('main')).toContain('operations/registry')
    expect(graph.get('atlas/client')).toContain('atlas/transport')
  })

  it('imports only from its own layer or lower ones', () => {
    const upward = [...graph].flatMap(([module, imports]) =>
      imports
        .filter(target => layerOf(target) > layerOf(module))
        .map(
          target =>
            `${module} (${LAYERS[layerOf(module)]!.name}) imports ${target} (${LAYERS[layerOf(target)]!.name})`
        )
    )
    expect(upward).toEqual([])
  })

  it('has no circle of imports', () => {
    expect(findCircle()).toBeUndefined()
  })
})
