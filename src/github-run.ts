/** Which workflow run this step belongs to, from @actions/github's context. */
export interface GitHubRun {
  repository: string
  runId: string
  runAttempt: string
  job: string
}

/**
 * Loaded on demand: @actions/github brings Octokit, which the other operations never need, so
 * it stays out of every step's start-up.
 */
export async function currentRun(): Promise<GitHubRun> {
  const { context } = await import('@actions/github')
  let repository = 'local/local'
  try {
    repository = `${context.repo.owner}/${context.repo.repo}`
  } catch {
    // Outside Actions (GITHUB_REPOSITORY unset): a placeholder still yields valid labels.
  }
  const number = (value: number) => (Number.isFinite(value) ? String(value) : '0')
  return {
    repository,
    runId: number(context.runId),
    runAttempt: number(context.runAttempt),
    job: context.job || 'job'
  }
}

/** `owner/repo/<run id>/<run attempt>/<job>`: the github-run label of an ephemeral user. */
export function runLabel(run: GitHubRun): string {
  return `${run.repository}/${run.runId}/${run.runAttempt}/${run.job}`.slice(0, 255)
}
