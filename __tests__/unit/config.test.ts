import { parseCommonConfig } from '../../src/inputs/common.js'
import {
  DEFAULTS,
  InputError,
  type Environment,
  type InputReader
} from '../../src/inputs/inputs.js'
import { findOperation } from '../../src/operations/registry.js'

/** What the main step parses, in its order: the operation, the shared inputs, the operation's own. */
function parseConfig(read: InputReader, env: Environment) {
  const operation = findOperation(read('operation'), DEFAULTS.operation)
  const common = parseCommonConfig(read, env)
  return { operation: operation.name, ...common, options: operation.parse(read) }
}

const GROUP = '32b6e34b3d91647abb20e7b8'
const reader = (inputs: Record<string, string>) => (name: string) => inputs[name] ?? ''
const apiKey = { 'public-key': 'pub', 'private-key': 'priv' }
const serviceAccount = { 'client-id': 'mdb_sa_id_x', 'client-secret': 'mdb_sa_sk_y' }

function parse(inputs: Record<string, string>, env: Environment = {}) {
  return parseConfig(reader({ 'group-id': GROUP, username: 'ci-user', ...inputs }), env)
}

function inputErrorOf(fn: () => unknown): InputError {
  try {
    fn()
  } catch (error) {
    if (error instanceof InputError) return error
    throw error
  }
  throw new Error('expected an InputError')
}

describe('parseConfig', () => {
  it('defaults to create-certificate with 3 months, cleanup, no PEM output', () => {
    const config = parse(apiKey)
    expect(config).toMatchObject({
      operation: 'create-certificate',
      groupId: GROUP,
      baseUrl: 'https://cloud.mongodb.com',
      timeoutSeconds: 60,
      maxRetries: 4,
      credentials: { kind: 'api-key', publicKey: 'pub', privateKey: 'priv' },
      options: { username: 'ci-user', months: 3, cleanup: true, outputCertificate: false }
    })
  })

  it('reads the project and credentials from the environment', () => {
    const config = parseConfig(reader({ username: 'u' }), {
      MONGODB_ATLAS_PROJECT_ID: GROUP,
      MONGODB_ATLAS_CLIENT_ID: 'id',
      MONGODB_ATLAS_CLIENT_SECRET: 'secret',
      MONGODB_ATLAS_BASE_URL: 'https://cloud.mongodbgov.com/'
    })
    expect(config.credentials).toEqual({
      kind: 'service-account',
      clientId: 'id',
      clientSecret: 'secret'
    })
    expect(config.baseUrl).toBe('https://cloud.mongodbgov.com')
  })

  it('lets an input pair win over an environment pair of the other kind', () => {
    const config = parse(apiKey, {
      MONGODB_ATLAS_CLIENT_ID: 'id',
      MONGODB_ATLAS_CLIENT_SECRET: 's'
    })
    expect(config.credentials.kind).toBe('api-key')
  })

  it('completes a half input pair from its environment variable', () => {
    const config = parse({ 'public-key': 'pub' }, { MONGODB_ATLAS_PRIVATE_API_KEY: 'priv' })
    expect(config.credentials).toEqual({ kind: 'api-key', publicKey: 'pub', privateKey: 'priv' })
  })

  it.each([
    ['no pair', {}, {}, /No Atlas credentials/],
    ['both pairs as inputs', { ...apiKey, ...serviceAccount }, {}, /Both/],
    ['half a pair', { 'client-id': 'id' }, {}, /client-secret/],
    ['the other half', { 'private-key': 'p' }, {}, /public-key/],
    ['a pair plus half another', { ...apiKey, 'client-id': 'x' }, {}, /client-secret/],
    [
      'both pairs in the environment',
      {},
      {
        MONGODB_ATLAS_CLIENT_ID: 'a',
        MONGODB_ATLAS_CLIENT_SECRET: 'b',
        MONGODB_ATLAS_PUBLIC_API_KEY: 'c',
        MONGODB_ATLAS_PRIVATE_API_KEY: 'd'
      },
      /Both/
    ]
  ])('refuses credentials: %s', (_, inputs, env, message) => {
    const error = inputErrorOf(() => parse(inputs, env))
    expect(error.input).toBe('credentials')
    expect(error.message).toMatch(message)
  })

  it.each([
    ['operation', 'rotate', /Use one of: create-certificate/],
    ['group-id', 'ABC', /24 lower-case hex digits/],
    ['group-id', '32B6E34B3D91647ABB20E7B8', /24 lower-case hex/],
    ['base-url', 'http://cloud.mongodb.com', /Plain http/],
    ['base-url', 'ftp://x', /not supported/],
    ['base-url', 'https://cloud.mongodb.com/api/atlas/v2', /origin only/],
    ['base-url', 'https://u:p@cloud.mongodb.com', /credentials/],
    ['base-url', 'not a url', /not a URL/],
    ['timeout-seconds', '0', /1 to 3600/],
    ['timeout-seconds', '1.5', /whole number/],
    ['max-retries', '11', /0 to 10/],
    ['months', '0', /1 to 24/],
    ['months', '25', /1 to 24/],
    ['months', '3.5', /whole number/],
    ['months', 'abc', /whole number/],
    ['months', '-1', /whole number/],
    ['output-certificate', 'yes', /true or false/],
    ['cleanup', 'no', /true or false/],
    ['connection-string', 'https://cluster0.example.net', /mongodb:\/\//],
    ['connection-string', 'mongodb+srv://user:pw@cluster0.example.net', /without credentials/]
  ])('refuses %s=%j', (input, value, message) => {
    const error = inputErrorOf(() => parse({ ...apiKey, [input]: value }))
    expect(error.input).toBe(input)
    expect(error.message).toMatch(message)
  })

  it('requires the project id and the username', () => {
    expect(inputErrorOf(() => parseConfig(reader({ ...apiKey, username: 'u' }), {})).input).toBe(
      'group-id'
    )
    expect(inputErrorOf(() => parse({ ...apiKey, username: '' })).input).toBe('username')
  })

  it('accepts http:// on loopback hosts only', () => {
    for (const url of [
      'http://127.0.0.1:8080',
      'http://localhost:1',
      'http://[::1]:2',
      'http://127.9.9.9'
    ]) {
      expect(parse({ ...apiKey, 'base-url': url }).baseUrl).toBe(new URL(url).origin)
    }
  })

  it('reads months, booleans and the connection string', () => {
    const config = parse({
      ...apiKey,
      months: '24',
      'output-certificate': 'TRUE',
      cleanup: 'false',
      'connection-string': 'mongodb+srv://cluster0.example.net/app'
    })
    expect(config.options).toMatchObject({
      months: 24,
      outputCertificate: true,
      cleanup: false,
      connectionString: 'mongodb+srv://cluster0.example.net/app'
    })
  })

  it('needs no username for disable-customer-x509', () => {
    const config = parseConfig(
      reader({ ...apiKey, 'group-id': GROUP, operation: 'disable-customer-x509' }),
      {}
    )
    expect(config.operation).toBe('disable-customer-x509')
  })
})
