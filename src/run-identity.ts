import type { Environment } from './environment.js'

/** Which workflow run this step belongs to, from the runner's environment. */
export interface RunIdentity {
  repository: string
  runId: string
  runAttempt: string
  job: string
}

const wholeNumber = (value: string | undefined) => {
  const number = Number.parseInt(value ?? '', 10)
  return Number.isFinite(number) ? String(number) : '0'
}

/** GITHUB_REPOSITORY, GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT, GITHUB_JOB; placeholders outside Actions. */
export function runIdentity(env: Environment): RunIdentity {
  const repository = env.GITHUB_REPOSITORY?.includes('/') ? env.GITHUB_REPOSITORY : 'local/local'
  return {
    repository,
    runId: wholeNumber(env.GITHUB_RUN_ID),
    runAttempt: wholeNumber(env.GITHUB_RUN_ATTEMPT),
    job: env.GITHUB_JOB || 'job'
  }
}

/** `owner/repo/<run id>/<run attempt>/<job>`: the github-run label of an ephemeral user. */
export function runLabel(run: RunIdentity): string {
  return `${run.repository}/${run.runId}/${run.runAttempt}/${run.job}`.slice(0, 255)
}
