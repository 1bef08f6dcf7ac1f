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
} from '../inputs/release.js'
import {
  deliverCertificate,
  parseCertificateOptions,
  prepareCertificatePath,
  type CertificateOptions
} from './certificate-delivery.js'
import { TitledError } from '../errors.js'
import { resolveEntries } from './access-list.js'
import type { Operation, OperationContext } from './operation.js'
import {
  parseCertificateReach,
  reachWithCertificate,
  type CertificateReach
} from './reachability.js'
import { decideRenewal, type RenewalReason } from './renewal.js'
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
    const { io } = ctx
    const path = await prepareCertificatePath(config, ctx)
    // The runner's address is asked for before anything is issued.
    const entries = await resolveEntries(config.reach.accessList, ctx)
    const target = config.githubSecret ? secretTarget(config.githubSecret, ctx.env) : undefined
    const source = config.issuer
      ? await customerCertificateSource(config.issuer, config.username, config.months, ctx)
      : undefined
    const heading = 'Atlas X.509 certificate'
    const head: Array<[string, string]> = [
      ['Operation', 'create-certificate'],
      ['Project', ctx.groupId]
    ]
    // Loaded before anything is minted: a missing chunk costs no certificate.
    const store =
      config.githubSecret && target
        ? await openStore(config.githubSecret.token, target, ctx)
        : undefined

    let reason: RenewalReason = 'always'
    if (config.renewWithinDays !== undefined) {
      const days = config.renewWithinDays
      // Atlas and GitHub are read side by side; a refusal of either ends the step before minting.
      const [records, secret] = await settleBoth(
        ctx.api.listCertificates(ctx.groupId, config.username),
        store && target
          ? beforeMinting(store.secretState(target.destination), target.destination)
          : Promise.resolve(undefined)
      )
      const decision = decideRenewal(records, days, ctx.clock.now(), secret)
      if (!decision.due) {
        io.setOutput('renewal-reason', decision.reason)
        io.setOutput('issued', 'false')
        io.setOutput('username', config.username)
        io.setOutput('expires-at', decision.latestExpiry)
        const secretNote = target
          ? ` No secret was written; ${target.destination.name} keeps its value, written after the latest certificate was created.`
          : ''
        io.notice(
          `${config.username}'s latest certificate expires at ${decision.latestExpiry}, more than ${days} days from now: nothing issued. Renewal is due from ${decision.dueAt}.${secretNote}`,
          'Certificate not due for renewal'
        )
        await io.summary(heading, [
          ...head,
          ['User', config.username],
          ['Issued', `no: the latest certificate is valid for more than ${days} days`],
          ['Latest expiry', decision.latestExpiry],
          ['Renewal due from', decision.dueAt],
          ...(target
            ? [
                [
                  'GitHub secret',
                  `${describeTarget(target.destination)}: not written, holds the latest certificate`
                ] as [string, string]
              ]
            : [])
        ])
        return
      }
      io.info(`Renewal due (${decision.reason}): ${decision.detail}.`)
      reason = decision.reason
    }

    // The key proves the token and the store before the POST, and is the one the PEM is sealed with.
    const key =
      store && target
        ? await beforeMinting(store.publicKey(target.destination), target.destination)
        : undefined
    const { rows, issued } = await deliverCertificate(config.username, config, path, ctx, source)
    io.setOutput('issued', 'true')
    io.setOutput('renewal-reason', reason)
    const secretRows: Array<[string, string]> = []
    if (store && key && target) {
      const where = source ? 'was signed on the runner' : 'exists in Atlas'
      await storeSecret(
        store,
        key,
        target.destination,
        { issued, where, path },
        config.cleanup,
        ctx
      )
      secretRows.push(['GitHub secret', `${describeTarget(target.destination)}: written`])
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
    await io.summary(heading, [
      ...head,
      ['Issued', config.renewWithinDays === undefined ? 'yes' : `yes: renewal was due (${reason})`],
      ...rows,
      ...secretRows,
      ...reachRows
    ])
  }
}

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
async function openStore(
  token: string,
  target: { destination: SecretDestination; baseUrl: string },
  ctx: OperationContext
): Promise<GitHubSecretStore> {
  const open = ctx.githubSecretStore ?? octokitSecretStore
  try {
    return await open(ctx.githubConnection(token, target.baseUrl))
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
  store: GitHubSecretStore,
  key: StorePublicKey,
  destination: SecretDestination,
  certificate: { issued: IssuedCertificate; where: string; path: string },
  cleanup: boolean,
  ctx: OperationContext
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
