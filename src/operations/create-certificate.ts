import { GitHubRequestError, GitHubSecretNotStoredError } from '../github/errors.js'
import {
  describeStore,
  octokitSecretStore,
  permissionAdvice,
  secretTarget,
  type SecretDestination
} from '../github/secret-store.js'
import type { IssuedCertificate } from '../certificate/pem.js'
import { parseUsername } from '../inputs/inputs.js'
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
import { resolveEntries } from './access-list.js'
import type { Operation, OperationContext } from './operation.js'
import {
  parseCertificateReach,
  reachWithCertificate,
  type CertificateReach
} from './reachability.js'
import { decideRenewal } from './renewal.js'

interface CreateCertificateConfig extends CertificateOptions {
  username: string
  /** Issue only when the latest certificate expires within this many days; undefined: always. */
  renewWithinDays: number | undefined
  githubSecret: GitHubSecretOptions | undefined
  /** access-list and verify-login. */
  reach: CertificateReach
}

/** POST …/databaseUsers/{username}/certs for an existing Atlas-managed X.509 user. */
export const createCertificate: Operation<CreateCertificateConfig> = {
  name: 'create-certificate',
  parse: read => {
    const options = parseCertificateOptions(read, 3)
    return {
      username: parseUsername(read),
      ...options,
      renewWithinDays: parseRenewWithinDays(read),
      githubSecret: parseGitHubSecret(read),
      reach: parseCertificateReach(read, options.connectionString)
    }
  },
  async run(config, ctx) {
    const { io } = ctx
    const path = await prepareCertificatePath(config, ctx)
    // The runner's address is asked for before anything is issued.
    const entries = await resolveEntries(config.reach.accessList, ctx)
    const target = config.githubSecret ? secretTarget(config.githubSecret, ctx.env) : undefined
    const heading = 'Atlas X.509 certificate'
    const head: Array<[string, string]> = [
      ['Operation', 'create-certificate'],
      ['Project', ctx.groupId]
    ]

    if (config.renewWithinDays !== undefined) {
      const days = config.renewWithinDays
      const records = await ctx.api.listCertificates(ctx.groupId, config.username)
      const decision = decideRenewal(records, days, ctx.clock.now())
      if (!decision.due) {
        io.setOutput('issued', 'false')
        io.setOutput('username', config.username)
        io.setOutput('expires-at', decision.latestExpiry)
        const secretNote = target
          ? ` No secret was written; ${target.destination.name} keeps its value.`
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
                ['GitHub secret', `${describeTarget(target.destination)}: not written`] as [
                  string,
                  string
                ]
              ]
            : [])
        ])
        return
      }
      io.info(`Renewal due: ${decision.reason}.`)
    }

    const { rows, issued } = await deliverCertificate(config.username, config, path, ctx)
    io.setOutput('issued', 'true')
    const reachRows = await reachWithCertificate(
      config.reach,
      entries,
      {
        connectionString: config.connectionString,
        path,
        subject: issued.subject,
        cleanup: config.cleanup
      },
      ctx
    )
    const secretRows: Array<[string, string]> = []
    if (config.githubSecret && target) {
      await storeSecret(config.githubSecret.token, target, issued, path, config.cleanup, ctx)
      secretRows.push(['GitHub secret', `${describeTarget(target.destination)}: written`])
    }
    await io.summary(heading, [
      ...head,
      ['Issued', config.renewWithinDays === undefined ? 'yes' : 'yes: renewal was due'],
      ...rows,
      ...secretRows,
      ...reachRows
    ])
  }
}

const describeTarget = (destination: SecretDestination) =>
  `${destination.name} (${describeStore(destination)})`

/** Seals the PEM into the GitHub secret; a failure says the certificate exists all the same. */
async function storeSecret(
  token: string,
  target: { destination: SecretDestination; baseUrl: string },
  issued: IssuedCertificate,
  path: string,
  cleanup: boolean,
  ctx: OperationContext
): Promise<void> {
  const { destination, baseUrl } = target
  const open = ctx.githubSecretStore ?? octokitSecretStore
  const store = await open({ token, baseUrl })
  try {
    await store.put(destination, issued.pem)
    ctx.io.info(`Stored the certificate as secret ${describeTarget(destination)}.`)
  } catch (error) {
    if (!(error instanceof GitHubRequestError)) throw error
    const what =
      error.request === 'public-key'
        ? `reading the public key of the ${describeStore(destination)}`
        : `writing secret ${destination.name}`
    throw new GitHubSecretNotStoredError(
      `GitHub refused ${what} (${error.status ? `HTTP ${error.status}` : 'no answer'}: ${error.message}). ${permissionAdvice(error, destination)} ` +
        `The certificate was issued all the same and exists in Atlas: serial ${issued.serialNumber}, expires at ${issued.expiresAt}; ` +
        `it is in ${path}${cleanup ? ', which the post step removes' : ''}.`
    )
  } finally {
    ctx.io.debug(`GitHub HTTP requests sent: ${store.requestCount}`)
  }
}
