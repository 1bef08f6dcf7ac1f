import { readFileSync } from 'node:fs'
import { parse } from 'yaml'

/** Every workflow example in README.md must parse and use only inputs and outputs action.yml has. */
const action = parse(readFileSync('action.yml', 'utf8')) as {
  inputs: Record<string, unknown>
  outputs: Record<string, unknown>
}
const INPUTS = new Set(Object.keys(action.inputs))
const OUTPUTS = new Set(Object.keys(action.outputs))

export function yamlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map(match => match[1]!)
}

interface Step {
  id?: string
  uses?: string
  with?: Record<string, unknown>
}

/** Every mapping with a `uses` key, however deep (jobs → steps, or a bare list of steps). */
function stepsIn(value: unknown, found: Step[] = []): Step[] {
  if (Array.isArray(value)) for (const item of value) stepsIn(item, found)
  else if (value && typeof value === 'object') {
    if (typeof (value as Step).uses === 'string') found.push(value as Step)
    for (const child of Object.values(value)) stepsIn(child, found)
  }
  return found
}

const isThisAction = (uses: string) => /(^|\/)atlas-x509-action@/.test(uses) || uses === './'

/** What is wrong with one block: with: keys that are no input, outputs that do not exist. */
export function problemsIn(block: string): string[] {
  const problems: string[] = []
  const steps = stepsIn(parse(block))
  const otherIds = new Set(
    steps.filter(step => !isThisAction(step.uses!) && step.id).map(step => step.id!)
  )
  for (const step of steps.filter(step => isThisAction(step.uses!))) {
    for (const key of Object.keys(step.with ?? {}))
      if (!INPUTS.has(key)) problems.push(`with: ${key} is not an input of action.yml`)
  }
  // A reference to a step of this block that uses another action is not ours to check; any
  // other id is this action's step, here or in the example the block continues.
  for (const [, id, output] of block.matchAll(
    /steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)/g
  ))
    if (!otherIds.has(id!) && !OUTPUTS.has(output!))
      problems.push(`steps.${id}.outputs.${output} is not an output of action.yml`)
  return problems
}

describe('README.md workflow examples', () => {
  const blocks = yamlBlocks(readFileSync('README.md', 'utf8'))

  it('has examples that use this action', () => {
    expect(blocks.length).toBeGreaterThan(5)
    expect(
      blocks.filter(block => stepsIn(parse(block)).some(s => isThisAction(s.uses!))).length
    ).toBeGreaterThan(5)
  })

  it.each(blocks.map((block, i) => [i + 1, block]))(
    'block %i parses and names only real inputs and outputs',
    (_, block) => {
      expect(() => parse(block as string)).not.toThrow()
      expect(problemsIn(block as string)).toEqual([])
    }
  )

  it('catches an input or output that does not exist', () => {
    const block = [
      '- id: db',
      '  uses: your-org/atlas-x509-action@v1',
      '  with:',
      '    operation: create-ephemeral-user',
      '    wait-for-it: true',
      '- id: other',
      '  uses: actions/cache@v4',
      '- run: echo ${{ steps.db.outputs.ready-in }} ${{ steps.other.outputs.cache-hit }}'
    ].join('\n')
    expect(problemsIn(block)).toEqual([
      'with: wait-for-it is not an input of action.yml',
      'steps.db.outputs.ready-in is not an output of action.yml'
    ])
    expect(problemsIn(block.replace('your-org/atlas-x509-action@v1', './'))).toHaveLength(2)
  })
})
