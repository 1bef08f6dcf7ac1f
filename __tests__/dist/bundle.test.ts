import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

describe('dist/', () => {
  it('is exactly what the bundler makes from src/ (run `npm run bundle` and commit when this fails)', async () => {
    await expect(run(process.execPath, ['scripts/bundle.mjs', '--check'])).resolves.toBeDefined()
  }, 120_000)
})
