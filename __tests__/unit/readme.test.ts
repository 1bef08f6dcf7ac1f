import { readdirSync, readFileSync } from 'node:fs'
import { parse } from 'yaml'

/**
 * The documentation users copy from: every workflow example in README.md, CONTRIBUTING.md and
 * docs/*.md must be a complete workflow that uses only inputs and outputs action.yml has, and the
 * README must stay a page for the action's users.
 */
const action = parse(readFileSync('action.yml', 'utf8')) as {
  inputs: Record<string, unknown>
  outputs: Record<string, unknown>
}
const INPUTS = new Set(Object.keys(action.inputs))
const OUTPUTS = new Set(Object.keys(action.outputs))

const DOCUMENTS = [
  'README.md',
  'CONTRIBUTING.md',
  ...readdirSync('docs')
    .filter(name => name.endsWith('.md'))
    .map(name => `docs/${name}`)
]
const README_MAX_LINES = 500

function fencedBlocks(markdown: string, language: string): string[] {
  const fence = new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\`$`, 'gm')
  return [...markdown.matchAll(fence)].map(match => match[1]!)
}

interface Step {
  id?: string
  uses?: string
  run?: string
  with?: Record<string, unknown>
}

/** Every mapping with a `uses` key, however deep. */
function stepsIn(value: unknown, found: Step[] = []): Step[] {
  if (Array.isArray(value)) for (const item of value) stepsIn(item, found)
  else if (value && typeof value === 'object') {
    if (typeof (value as Step).uses === 'string') found.push(value)
    for (const child of Object.values(value)) stepsIn(child, found)
  }
  return found
}

const isThisAction = (uses: string) => /(^|\/)atlas-x509-action@/.test(uses) || uses === './'

const isMapping = (value: unknown): value is Record<string, unknown> =>
  !!value && typeof value === 'object' && !Array.isArray(value)

/** What keeps a block from being a workflow a user can save and run as it is. */
function workflowProblems(block: string): string[] {
  const workflow: unknown = parse(block)
  if (!isMapping(workflow)) return ['not a workflow: no mapping at the top']
  const problems = ['name', 'on', 'permissions', 'jobs']
    .filter(key => !(key in workflow))
    .map(key => `no \`${key}:\``)
  if (!isMapping(workflow.jobs)) return problems
  for (const [id, job] of Object.entries(workflow.jobs)) {
    if (!isMapping(job)) {
      problems.push(`job ${id} is not a mapping`)
      continue
    }
    if (!job['runs-on']) problems.push(`job ${id} has no \`runs-on:\``)
    const steps = job.steps
    if (!Array.isArray(steps) || steps.length === 0) problems.push(`job ${id} has no steps`)
    else
      steps.forEach((step: unknown, i) => {
        if (!isMapping(step) || (typeof step.uses !== 'string' && typeof step.run !== 'string'))
          problems.push(`job ${id} step ${i + 1} has neither \`uses:\` nor \`run:\``)
      })
  }
  return problems
}

/** Inputs and outputs the block names that action.yml does not have, and steps it never defines. */
function problemsIn(block: string): string[] {
  const problems: string[] = []
  const steps = stepsIn(parse(block))
  const ours = new Set(steps.filter(step => isThisAction(step.uses!) && step.id).map(s => s.id!))
  const others = new Set(steps.filter(step => !isThisAction(step.uses!) && step.id).map(s => s.id!))
  for (const step of steps.filter(step => isThisAction(step.uses!))) {
    for (const key of Object.keys(step.with ?? {}))
      if (!INPUTS.has(key)) problems.push(`with: ${key} is not an input of action.yml`)
  }
  for (const [, id, output] of block.matchAll(
    /steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)/g
  )) {
    if (others.has(id!)) continue
    if (!ours.has(id!)) problems.push(`steps.${id} is no step of this workflow`)
    else if (!OUTPUTS.has(output!))
      problems.push(`steps.${id}.outputs.${output} is not an output of action.yml`)
  }
  return problems
}

/** A snippet that opens a MongoClient and never closes it keeps the step's process alive. */
function leavesClientOpen(snippet: string): boolean {
  return /new MongoClient\(/.test(snippet) && !/\.close\(\)/.test(snippet)
}

describe.each(DOCUMENTS)('%s workflow examples', document => {
  const blocks = fencedBlocks(readFileSync(document, 'utf8'), 'yaml')

  // A document without workflow examples has nothing to check here (jest refuses an empty table).
  if (blocks.length)
    it.each(blocks.map((block, i) => [i + 1, block]))(
      'block %i is a complete workflow naming only real inputs and outputs',
      (_, block) => {
        expect(workflowProblems(block)).toEqual([])
        expect(problemsIn(block)).toEqual([])
      }
    )

  it('closes every MongoClient it opens', () => {
    const snippets = ['js', 'javascript', 'ts', 'typescript'].flatMap(language =>
      fencedBlocks(readFileSync(document, 'utf8'), language)
    )
    expect(snippets.filter(leavesClientOpen)).toEqual([])
  })
})

describe('the documentation as a whole', () => {
  const readme = readFileSync('README.md', 'utf8')
  const usesThisAction = (block: string) =>
    stepsIn(parse(block)).some(step => isThisAction(step.uses!))

  it('shows this action in the README and in docs/', () => {
    expect(fencedBlocks(readme, 'yaml').filter(usesThisAction).length).toBeGreaterThanOrEqual(4)
    const inDocs = DOCUMENTS.filter(d => d.startsWith('docs/')).flatMap(d =>
      fencedBlocks(readFileSync(d, 'utf8'), 'yaml')
    )
    expect(inDocs.filter(usesThisAction).length).toBeGreaterThan(2)
  })

  it('names every input and output of action.yml in the README', () => {
    const unnamed = [...INPUTS, ...OUTPUTS].filter(name => !readme.includes(`\`${name}\``))
    expect(unnamed).toEqual([])
  })

  it(`keeps the README for users: at most ${README_MAX_LINES} lines, no benchmark figures`, () => {
    expect(readme.trimEnd().split('\n').length).toBeLessThanOrEqual(README_MAX_LINES)
    // Timings and sizes depend on the machine: docs/benchmark.md holds them, with its date.
    expect(readme).not.toMatch(/^Machine: /m)
    expect(readme.match(/\b\d+(\.\d+)? ?(ms|KB|MB)\b/g) ?? []).toEqual([])
  })
})

describe('the checks themselves', () => {
  const complete = [
    'name: Example',
    'on: workflow_dispatch',
    'permissions:',
    '  contents: read',
    'jobs:',
    '  example:',
    '    runs-on: ubuntu-latest',
    '    steps:',
    '      - id: db',
    '        uses: your-org/atlas-x509-action@v1',
    '        with:',
    '          operation: create-ephemeral-user',
    '      - id: other',
    '        uses: actions/cache@v4',
    '      - run: echo ${{ steps.db.outputs.ready-seconds }} ${{ steps.other.outputs.cache-hit }}'
  ].join('\n')

  it('accept a complete workflow', () => {
    expect(workflowProblems(complete)).toEqual([])
    expect(problemsIn(complete)).toEqual([])
  })

  it('catch an input or output that does not exist, and a step that is not there', () => {
    const wrong = complete
      .replace('operation: create-ephemeral-user', 'wait-for-it: true')
      .replace('steps.db.outputs.ready-seconds', 'steps.db.outputs.ready-in')
      .replace('steps.other.outputs.cache-hit', 'steps.gone.outputs.count')
    expect(problemsIn(wrong)).toEqual([
      'with: wait-for-it is not an input of action.yml',
      'steps.db.outputs.ready-in is not an output of action.yml',
      'steps.gone is no step of this workflow'
    ])
    expect(problemsIn(wrong.replace('your-org/atlas-x509-action@v1', './'))).toHaveLength(3)
  })

  it('catch a fragment: steps alone, no trigger, a job without a runner', () => {
    expect(workflowProblems('- uses: your-org/atlas-x509-action@v1')).toEqual([
      'not a workflow: no mapping at the top'
    ])
    expect(workflowProblems(complete.replace('on: workflow_dispatch\n', ''))).toEqual(['no `on:`'])
    expect(workflowProblems(complete.replace('    runs-on: ubuntu-latest\n', ''))).toEqual([
      'job example has no `runs-on:`'
    ])
    expect(workflowProblems(complete.replace(/permissions:\n {2}contents: read\n/, ''))).toEqual([
      'no `permissions:`'
    ])
  })

  it('catch a MongoClient left open', () => {
    const open =
      "const client = new MongoClient(uri)\nawait client.db('admin').command({ ping: 1 })"
    expect(leavesClientOpen(open)).toBe(true)
    expect(leavesClientOpen(`${open}\nawait client.close()`)).toBe(false)
  })
})
