import { parseUsername } from '../inputs/inputs.js'
import {
  issueAndDeliver,
  parseCertificateOptions,
  prepareCertificatePath,
  type CertificateOptions
} from './certificate-delivery.js'
import type { Operation } from './operation.js'

interface CreateCertificateConfig extends CertificateOptions {
  username: string
}

/** POST …/databaseUsers/{username}/certs for an existing Atlas-managed X.509 user. */
export const createCertificate: Operation<CreateCertificateConfig> = {
  name: 'create-certificate',
  parse: read => ({ username: parseUsername(read), ...parseCertificateOptions(read, 3) }),
  async run(config, ctx) {
    const path = await prepareCertificatePath(config, ctx)
    const rows = await issueAndDeliver(config.username, config, path, ctx)
    await ctx.io.summary('Atlas X.509 certificate issued', [
      ['Operation', 'create-certificate'],
      ['Project', ctx.groupId],
      ...rows
    ])
  }
}
