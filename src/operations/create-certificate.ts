import { GitHubRequestError, GitHubSecretNotStoredError } from '../github/errors.js'
import {
  describeStore,
  octokitSecretStore,
  permissionAdvice,
  secretTarget,
  type GitHubSecretStore,
  type SecretDestination,
  type StorePublicKey
} from '../github/secret-store.js'
import type { IssuedCertificate } from '../certificate/pem.js'
import { parseUsername } from '../inputs/inputs.js'
import { parseCertificateIssuer, type IssuerOptions } from '../inputs/issuer.js'
import {
  parseGitHubSecret,
  parseRenewWithinDays,
  type GitHubSecretOptions
} from '../inputs/rotation.js'
import {
  deliverCertificate,
  parseCertificateOptions,
  prepareCertificatePath,
  type CertificateOptions
} from './certificate-delivery.js'
import { TitledError } from '../errors.js'
import { resolveEntries } from './access-list.js'
import type { Operation, StepContext } from './operation.js'
import {
  parseCertificateReach,
  reachWithCertificate,
  type CertificateReach
} from './reachability.js'
import { decideRenewal, type RenewalDecision, type RenewalReason } from './renewal.js'
import { customerCertificateSource } from './self-managed.js'

interface CreateCertificateConfig extends CertificateOptions {
  username: string
  /** Issue only when the latest certificate expires within this many days; undefined: always. */
  renewWithinDays: number | undefined
  githubSecret: GitHubSecretOptions | undefined
  /** Sign on the runner with this CA, for a CUSTOMER user; undefined: Atlas issues (MANAGED). */
  issuer: IssuerOptions | undefined
  /** access-list and verify-login. */
  reach: CertificateReach
}

const HEADING = 'Atlas X.509 certificate'

/**
 * POST …/databaseUsers/{username}/certs for an existing Atlas-managed X.509 user; with an issuer,
 * signed on the runner for an existing CUSTOMER user.
 */
export const createCertificate: Operation<CreateCertificateConfig> = {
  name: 'create-certificate',
  parse: read => {
    const username = parseUsername(read)
    const renewWithinDays = parseRenewWithinDays(read)
    const options = parseCertificateOptions(read, 3)
    return {
      username,
      ...options,
      renewWithinDays,
      githubSecret: parseGitHubSecret(read),
      issuer: parseCertificateIssuer(read, username, renewWithinDays),
      reach: parseCertificateReach(read, options.connectionString)
    }
  },
  async run(config, ctx) {
    const path = await prepareCertificatePath(config, ctx)
    // The runner's address is asked for before anything is issued.
    const entries = await resolveEntries(config.reach.accessList, ctx)
    const target = config.githubSecret ? secretTarget(config.githubSecret, ctx.env) : undefined
    const source = config.issuer
      ? await customerCertificateSource(config.issuer, config.username, config.months, ctx)
      : undefined
    // Loaded before anything is minted: a missing chunk costs no certificate.
    const secret =
      config.githubSecret && target
        ? await openSecret(config.githubSecret.token, target, ctx)
        : undefined

    const renewal =
      config.renewWithinDays === undefined
        ? undefined
        : await readRenewal(config.username, config.renewWithinDays, secret, ctx)
    if (renewal && !renewal.due) {
      const report = notDueReport(renewal, config.username, config.renewWithinDays!, secret)
      return reportNotDue(report, ctx)
    }
    if (renewal) ctx.io.info(`Renewal due (${renewal.reason}): ${renewal.detail}.`)
    const reason: RenewalReason = renewal?.reason ?? 'always'

    // The key proves the token and the store before the POST, and is the one the PEM is sealed with.
    const key =
      secret &&
      (await beforeMinting(secret.store.publicKey(secret.destination), secret.destination))
    const { rows, issued } = await deliverCertificate(config.username, config, path, ctx, source)
    ctx.io.setOutput('issued', 'true')
    ctx.io.setOutput('renewal-reason', reason)
    if (secret && key) {
      const where = source ? 'was signed on the runner' : 'exists in Atlas'
      await storeSecret(secret, key, { issued, where, path }, config.cleanup, ctx)
    }
    // After the secret: the certificate is stored before the wait for the access list and the login.
    const reachRows = await reachWithCertificate(
      config.reach,
      entries,
      {
        connectionString: config.connectionString,
        path,
        // MongoDB names a CUSTOMER user by its DN (the username), a MANAGED one CN=<username>.
        subject: source ? config.username : issued.subject,
        cleanup: config.cleanup
      },
      ctx
    )
    await ctx.summary(HEADING, [
      ['Issued', renewal ? `yes: renewal was due (${reason})` : 'yes'],
      ...rows,
      ...(secret ? [secretRow(secret.destination, 'written')] : []),
      ...reachRows
    ])
  }
}

/** The GitHub secret that create-certificate keeps, and the store it is in. */
interface KeptSecret {
  store: GitHubSecretStore
  destination: SecretDestination
}

/**
 * Whether renewal is due: Atlas's certificates and the secret's state are read side by side, and a
 * refusal of either ends the step before minting.
 */
async function readRenewal(
  username: string,
  renewWithinDays: number,
  secret: KeptSecret | undefined,
  ctx: StepContext
): Promise<RenewalDecision> {
  const [records, state] = await settleBoth(
    ctx.api.listCertificates(ctx.groupId, username),
    secret
      ? beforeMinting(secret.store.secretState(secret.destination), secret.destination)
      : Promise.resolve(undefined)
  )
  return decideRenewal(records, renewWithinDays, ctx.clock.now(), state)
}

/** What create-certificate reports when renewal is not due: nothing was issued or written. */
export interface NotDueReport {
  outputs: Array<[string, string]>
  notice: string
  rows: Array<[string, string]>
}

/** The outputs, the notice and the summary rows for a renewal that is not due. */
export function notDueReport(
  decision: Extract<RenewalDecision, { due: false }>,
  username: string,
  renewWithinDays: number,
  secret: { destination: SecretDestination } | undefined
): NotDueReport {
  const secretNote = secret
    ? ` No secret was written; ${secret.destination.name} keeps its value, written after the latest certificate was created.`
    : ''
  return {
    outputs: [
      ['renewal-reason', decision.reason],
      ['issued', 'false'],
      ['username', username],
      ['expires-at', decision.latestExpiry]
    ],
    notice: `${username}'s latest certificate expires at ${decision.latestExpiry}, more than ${renewWithinDays} days from now: nothing issued. Renewal is due from ${decision.dueAt}.${secretNote}`,
    rows: [
      ['User', username],
      ['Issued', `no: the latest certificate is valid for more than ${renewWithinDays} days`],
      ['Latest expiry', decision.latestExpiry],
      ['Renewal due from', decision.dueAt],
      ...(secret
        ? [secretRow(secret.destination, 'not written, holds the latest certificate')]
        : [])
    ]
  }
}

async function reportNotDue(report: NotDueReport, ctx: StepContext): Promise<void> {
  for (const [name, value] of report.outputs) ctx.io.setOutput(name, value)
  ctx.io.notice(report.notice, 'Certificate not due for renewal')
  await ctx.summary(HEADING, report.rows)
}

const secretRow = (destination: SecretDestination, what: string): [string, string] => [
  'GitHub secret',
  `${describeTarget(destination)}: ${what}`
]

const describeTarget = (destination: SecretDestination) =>
  `${destination.name} (${describeStore(destination)})`

/** What GitHub refused, in words, with what the token needs. */
function refusal(error: GitHubRequestError, destination: SecretDestination): string {
  const what = {
    'public-key': `reading the public key of the ${describeStore(destination)}`,
    'secret-state': `reading secret ${destination.name} of the ${describeStore(destination)}`,
    secret: `writing secret ${destination.name}`
  }[error.request]
  const outcome = error.status
    ? `GitHub refused ${what} (HTTP ${error.status}: ${error.message}).`
    : `GitHub gave no usable answer to ${what}: ${error.message.replace(/\.$/, '')}.`
  return `${outcome} ${permissionAdvice(error, destination)}`
}

/** Octokit and the sealing code, loaded on demand: a failure here comes before any request. */
async function openSecret(
  token: string,
  target: { destination: SecretDestination; baseUrl: string },
  ctx: StepContext
): Promise<KeptSecret> {
  const open = ctx.githubSecretStore ?? octokitSecretStore
  try {
    const store = await open(ctx.githubConnection(token, target.baseUrl))
    return { store, destination: target.destination }
  } catch (error) {
    throw new TitledError(
      'GitHub secret not stored',
      `The GitHub secret code could not be loaded (${(error as Error).message}); nothing was issued. The action's files may be incomplete: run the step again, or pin a release of the action.`
    )
  }
}

/** A GitHub request before minting: its refusal ends the step with nothing issued. */
async function beforeMinting<T>(pending: Promise<T>, destination: SecretDestination): Promise<T> {
  try {
    return await pending
  } catch (error) {
    if (!(error instanceof GitHubRequestError)) throw error
    throw new TitledError(
      'GitHub secret not stored',
      `${refusal(error, destination)} Nothing was issued: no certificate is minted until the secret can be written.`
    )
  }
}

/** Both results, once both have settled (nothing left in flight); else the first failure. */
async function settleBoth<A, B>(first: Promise<A>, second: Promise<B>): Promise<[A, B]> {
  const [a, b] = await Promise.allSettled([first, second])
  // GitHub's refusal is reported first: it says what to change about the token.
  if (b.status === 'rejected') throw b.reason
  if (a.status === 'rejected') throw a.reason
  return [a.value, b.value]
}

/**
 * Seals the PEM into the GitHub secret with the key read before minting. Any failure says the
 * certificate exists all the same: its serial, its expiry and where its file is.
 */
async function storeSecret(
  { store, destination }: KeptSecret,
  key: StorePublicKey,
  certificate: { issued: IssuedCertificate; where: string; path: string },
  cleanup: boolean,
  ctx: StepContext
): Promise<void> {
  try {
    await store.put(destination, certificate.issued.pem, key)
    ctx.io.info(`Stored the certificate as secret ${describeTarget(destination)}.`)
  } catch (error) {
    const cause =
      error instanceof GitHubRequestError
        ? refusal(error, destination)
        : `Storing secret ${describeTarget(destination)} failed: ${error instanceof Error ? error.message : String(error)}.`
    throw new GitHubSecretNotStoredError(
      `${cause} The certificate was issued all the same and ${certificate.where}: serial ${certificate.issued.serialNumber}, expires at ${certificate.issued.expiresAt}; ` +
        `it is in ${certificate.path}${cleanup ? ', which the post step removes' : ''}. The next run with \`renew-within-days\` issues again, since the secret does not hold this certificate.`,
      { cause: error }
    )
  } finally {
    ctx.io.debug(`GitHub HTTP requests sent: ${store.requestCount}`)
  }
}
