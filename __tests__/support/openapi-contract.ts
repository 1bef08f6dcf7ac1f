/**
 * Contract check of recorded exchanges against the official Atlas Admin API OpenAPI subset
 * (contract/atlas-openapi-x509.json, see the README beside it; ATLAS_OPENAPI names another file).
 *
 * For each request the action sent: the path template and method exist; the Accept header names
 * a version the operation serves that is not past its sunset; query and path parameters are
 * declared and within their schema (itemsPerPage 1–500, pageNum ≥ 1, booleans); the body is
 * valid against the request schema with readOnly fields forbidden. For each answer the emulator
 * gave: the status is declared, the Content-Type is the declared media type, declared headers
 * have their type, and the body is valid against the response schema with writeOnly fields
 * forbidden (errors: ApiError). The OAuth endpoints are outside the OpenAPI paths; they are
 * checked against MongoDB's "Generate/Revoke Service Account Token" pages.
 *
 * Validator: Ajv 8 (draft 2019-09, for unevaluatedProperties) with ajv-formats for date-time.
 * OpenAPI 3.0 schemas are not JSON Schema: `nullable`, `discriminator`, readOnly/writeOnly per
 * direction and the int32/int64/double formats are translated below, explicitly.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import Ajv2019Module, { type ValidateFunction } from 'ajv/dist/2019.js'
import addFormatsModule from 'ajv-formats'
import type { Emulator, RecordedRequest } from '../../emulator/index.js'

// Both packages are CommonJS: under ESM the default import is module.exports, the class and the
// plugin sit on its .default.
const Ajv2019 = Ajv2019Module.default
const addFormats = addFormatsModule.default

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type JsonObject = { [key: string]: Json }

/** A spec value used as text (a name, a $ref): strings as they are, anything else as JSON. */
function specText(value: Json | undefined): string {
  return typeof value === 'string' ? value : String(JSON.stringify(value))
}
type Direction = 'request' | 'response'

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options']
const OPENAPI_ONLY = ['nullable', 'discriminator', 'example', 'examples', 'externalDocs', 'xml']

export const CONTRACT_ENV = 'ATLAS_OPENAPI'
/** The subset committed with the tests: the check runs in every clone. */
export const COMMITTED_SPEC = fileURLToPath(
  new URL('../contract/atlas-openapi-x509.json', import.meta.url)
)

/** The spec file to validate against: the one ATLAS_OPENAPI names, else the committed subset. */
export function contractPath(): string {
  const path = process.env[CONTRACT_ENV]
  return path && path.trim() !== '' ? path : COMMITTED_SPEC
}

interface Operation {
  method: string
  template: string
  segments: string[]
  op: JsonObject
  parameters: JsonObject[]
}

const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

export class OpenApiContract {
  private readonly spec: JsonObject
  private readonly operations: Operation[] = []
  private readonly ajv: InstanceType<typeof Ajv2019Module.default>
  private readonly compiled = new Map<string, ValidateFunction>()
  /** Days are compared as YYYY-MM-DD text (x-sunset is a date). */
  private readonly today = new Date().toISOString().slice(0, 10)

  constructor(path: string) {
    this.spec = JSON.parse(readFileSync(path, 'utf8')) as JsonObject
    this.ajv = new Ajv2019({ strict: false, allErrors: true })
    addFormats(this.ajv, ['date-time', 'date', 'uri', 'email'])
    // OpenAPI's numeric formats, with the ranges their names promise.
    const integerIn = (min: number, max: number) => (value: number) =>
      Number.isInteger(value) && value >= min && value <= max
    this.ajv.addFormat('int32', { type: 'number', validate: integerIn(-(2 ** 31), 2 ** 31 - 1) })
    this.ajv.addFormat('int64', { type: 'number', validate: integerIn(-(2 ** 63), 2 ** 63) })
    this.ajv.addFormat('double', { type: 'number', validate: () => true })
    this.ajv.addFormat('float', { type: 'number', validate: () => true })
    const components = this.spec.components as JsonObject
    for (const direction of ['request', 'response'] as const) {
      this.ajv.addSchema({
        $id: direction,
        components: { schemas: translateSchemas(components.schemas as JsonObject, direction) }
      })
    }
    for (const [template, item] of Object.entries(this.spec.paths as JsonObject)) {
      if (!isObject(item)) continue
      const shared = Array.isArray(item.parameters) ? item.parameters : []
      for (const method of HTTP_METHODS) {
        const op = item[method]
        if (!isObject(op)) continue
        const own = Array.isArray(op.parameters) ? op.parameters : []
        this.operations.push({
          method: method.toUpperCase(),
          template,
          segments: template.split('/'),
          op,
          parameters: [...shared, ...own].map(p => this.deref(p) as JsonObject)
        })
      }
    }
  }

  /** Problems with one exchange; empty when it keeps the contract. */
  check(record: RecordedRequest): string[] {
    const url = new URL(record.path, 'http://contract.invalid')
    const label = `${record.method} ${url.pathname}${url.search} → ${record.status}`
    const problems =
      url.pathname === '/api/oauth/token' || url.pathname === '/api/oauth/revoke'
        ? this.checkOAuth(record, url)
        : this.checkAtlas(record, url)
    return problems.map(problem => `${label}: ${problem}`)
  }

  private checkAtlas(record: RecordedRequest, url: URL): string[] {
    const problems: string[] = []
    const segments = url.pathname.split('/')
    const matching = this.operations.filter(o => matches(o.segments, segments))
    if (matching.length === 0) return ['no path template of the spec matches']
    // A literal segment beats a template one (…/{username}/certs over …/{databaseName}/{username}).
    const literals = (o: Operation) => o.segments.filter(part => !/^\{.+\}$/.test(part)).length
    const best = Math.max(...matching.map(literals))
    const candidates = matching.filter(o => literals(o) === best)
    const operation = candidates.find(o => o.method === record.method)
    if (!operation)
      return [`method ${record.method} is not declared for ${candidates[0]?.template}`]

    // Accept: a media type the operation's success answer declares, not past its sunset.
    const served = this.successContent(operation)
    const accepted = (record.headers.accept ?? '')
      .split(',')
      .map(item => (item.split(';')[0] ?? '').trim().toLowerCase())
    const named = accepted.filter(type => type in served)
    if (named.length === 0) {
      problems.push(
        `Accept ${record.headers.accept ?? '(none)'} names none of ${Object.keys(served).join(', ')}`
      )
    }
    for (const type of named) {
      const sunset = (served[type] as JsonObject)['x-sunset']
      if (typeof sunset === 'string' && sunset <= this.today)
        problems.push(`Accept ${type} was sunset on ${sunset}`)
    }

    // Parameters: path values against their schemas, query names declared and values in bounds.
    operation.segments.forEach((part, i) => {
      const name = /^\{(.+)\}$/.exec(part)?.[1]
      if (!name) return
      const value = decodeSegment(segments[i] ?? '')
      const parameter = operation.parameters.find(p => p.in === 'path' && p.name === name)
      if (!parameter) problems.push(`path parameter ${name} is not declared`)
      else problems.push(...this.checkParameter(parameter, value))
    })
    for (const [name, value] of url.searchParams) {
      const parameter = operation.parameters.find(p => p.in === 'query' && p.name === name)
      if (!parameter) problems.push(`query parameter ${name} is not declared`)
      else problems.push(...this.checkParameter(parameter, value))
    }

    problems.push(...this.checkRequestBody(operation, record))
    // A scripted fault's answer is the test's script, not the emulator's contract ('delay' and
    // 'corrupt-pem' still answer through the handler, so they are checked).
    if (record.fault && record.fault !== 'delay' && record.fault !== 'corrupt-pem') return problems
    problems.push(...this.checkResponse(operation, record))
    return problems
  }

  private successContent(operation: Operation): JsonObject {
    const responses = operation.op.responses as JsonObject
    for (const [status, response] of Object.entries(responses)) {
      if (!/^2\d\d$/.test(status)) continue
      const content = (this.deref(response) as JsonObject).content
      if (isObject(content)) return content
    }
    return {}
  }

  private checkParameter(parameter: JsonObject, raw: string): string[] {
    const schema = parameter.schema as JsonObject
    const name = specText(parameter.name)
    let value: Json = raw
    if (schema.type === 'boolean') {
      if (raw !== 'true' && raw !== 'false') return [`${name}=${raw} is not a boolean`]
      value = raw === 'true'
    } else if (schema.type === 'integer') {
      if (!/^-?\d+$/.test(raw)) return [`${name}=${raw} is not an integer`]
      value = Number(raw)
    }
    return this.validate(schema, 'request', value).map(
      e => `${specText(parameter.in)} ${name}=${raw} ${e}`
    )
  }

  private checkRequestBody(operation: Operation, record: RecordedRequest): string[] {
    const declared = operation.op.requestBody
    if (!isObject(declared)) {
      return record.body === '' ? [] : ['a body was sent, but the operation declares none']
    }
    const requestBody = this.deref(declared) as JsonObject
    if (record.body === '') return requestBody.required === true ? ['the body is missing'] : []
    const type = mediaType(record.headers['content-type'])
    const content = requestBody.content as JsonObject
    const media = content[type]
    if (!isObject(media)) {
      return [`Content-Type ${type || '(none)'} is not one of ${Object.keys(content).join(', ')}`]
    }
    const body = parseJson(record.body)
    if (body === undefined) return ['the request body is not JSON']
    return this.validate(media.schema as JsonObject, 'request', body).map(e => `request body ${e}`)
  }

  private checkResponse(operation: Operation, record: RecordedRequest): string[] {
    const response = record.response
    if (!response) return record.status === 0 ? [] : ['no response was recorded']
    const responses = operation.op.responses as JsonObject
    const entry = responses[String(record.status)] ?? responses.default
    if (!isObject(entry)) return [`status ${record.status} is not declared`]
    const declared = this.deref(entry) as JsonObject
    const problems: string[] = []
    for (const [name, header] of Object.entries(
      isObject(declared.headers) ? declared.headers : {}
    )) {
      const value = response.headers[name.toLowerCase()]
      const schema = (this.deref(header) as JsonObject).schema as JsonObject
      if (value === undefined) continue // Atlas "may not always return response headers"
      const parsed = schema.type === 'integer' && /^-?\d+$/.test(value) ? Number(value) : value
      problems.push(...this.validate(schema, 'response', parsed).map(e => `header ${name} ${e}`))
    }
    const content = isObject(declared.content) ? declared.content : {}
    const type = mediaType(response.headers['content-type'])
    if (Object.keys(content).length === 0) {
      if (response.body !== '') problems.push('a body was sent, but the status declares none')
      return problems
    }
    const media = content[type]
    const schemaless = Object.values(content).every(m => !isObject(m) || !isObject(m.schema))
    if (type === '' && response.body === '' && schemaless) {
      // DELETE user 204 declares its media type with no schema ("does not return a response
      // body"): with no body there is nothing to label, so no Content-Type is fine.
      return problems
    }
    if (!isObject(media)) {
      problems.push(
        `Content-Type ${type || '(none)'} is not one of ${Object.keys(content).join(', ')}`
      )
      return problems
    }
    if (!isObject(media.schema)) {
      // DELETE user 204: the media type is declared with no schema ("does not return a body").
      if (response.body !== '') problems.push('a body was sent, but the media type has no schema')
      return problems
    }
    if (media.schema.type === 'string' && !('$ref' in media.schema)) {
      // The certs POST 201: the PEM text itself, not a JSON document.
      return problems
    }
    const body = parseJson(response.body)
    if (body === undefined) return [...problems, 'the response body is not JSON']
    problems.push(...int64Literals(media.schema, response.body))
    problems.push(...this.validate(media.schema, 'response', body).map(e => `response body ${e}`))
    return problems
  }

  /** Token and revoke as MongoDB documents them (RFC 6749 client credentials, RFC 7009). */
  private checkOAuth(record: RecordedRequest, url: URL): string[] {
    const problems: string[] = []
    const tokenUrl = this.tokenUrlPath()
    if (url.pathname === '/api/oauth/token' && tokenUrl !== url.pathname)
      problems.push(`the spec's tokenUrl path is ${tokenUrl}`)
    if (record.method !== 'POST') problems.push('must be POST')
    if (!/^Basic [A-Za-z0-9+/=]+$/.test(record.headers.authorization ?? ''))
      problems.push('must authenticate the client with HTTP Basic')
    if (mediaType(record.headers['content-type']) !== 'application/x-www-form-urlencoded')
      problems.push('Content-Type must be application/x-www-form-urlencoded')
    const form = new URLSearchParams(record.body)
    if (url.pathname === '/api/oauth/token') {
      if (form.get('grant_type') !== 'client_credentials')
        problems.push('grant_type must be client_credentials')
    } else {
      if (!form.get('token')) problems.push('token is missing')
      if (form.get('token_type_hint') !== 'access_token')
        problems.push('token_type_hint must be access_token')
    }
    if (record.fault && record.fault !== 'delay') return problems
    const response = record.response
    if (!response || record.status === 0) return problems
    if (url.pathname === '/api/oauth/revoke' && record.status === 200) {
      if (response.body !== '') problems.push('revoke answers 200 with no body')
      return problems
    }
    if (mediaType(response.headers['content-type']) !== 'application/json')
      problems.push('the answer must be application/json')
    const body = parseJson(response.body)
    if (!isObject(body)) return [...problems, 'the answer is not a JSON object']
    if (record.status === 200) {
      if (typeof body.access_token !== 'string') problems.push('access_token is missing')
      if (body.token_type !== 'Bearer') problems.push('token_type must be Bearer')
      if (typeof body.expires_in !== 'number') problems.push('expires_in is missing')
    } else if (typeof body.error !== 'string') {
      problems.push('an OAuth error answer carries error (and error_description)')
    }
    return problems
  }

  private tokenUrlPath(): string {
    const schemes = (this.spec.components as JsonObject).securitySchemes as JsonObject
    const flows = (schemes.ServiceAccounts as JsonObject).flows as JsonObject
    const tokenUrl = (flows.clientCredentials as JsonObject).tokenUrl as string
    return new URL(tokenUrl).pathname
  }

  private validate(schema: JsonObject, direction: Direction, value: Json): string[] {
    const key = `${direction}:${JSON.stringify(schema)}`
    let validator = this.compiled.get(key)
    if (!validator) {
      const translated = translate(rebase(schema, direction), direction, false)
      const compiled = this.ajv.compile(translated as object)
      this.compiled.set(key, compiled)
      validator = compiled
    }
    if (validator(value)) return []
    const forbidden = direction === 'request' ? 'readOnly' : 'writeOnly'
    return (validator.errors ?? []).map(e =>
      e.keyword === 'false schema'
        ? `${e.instancePath} must not be present (${forbidden})`
        : `${e.instancePath || '(root)'} ${e.message ?? ''}`
    )
  }

  /** Follows a `#/components/...` $ref of a parameter, response or header. */
  private deref(value: Json): Json {
    let current = value
    while (isObject(current) && typeof current.$ref === 'string') {
      const path = current.$ref.replace(/^#\//, '').split('/')
      current = path.reduce<Json>(
        (node, key) => (isObject(node) ? (node[key] ?? null) : null),
        this.spec
      )
    }
    return current
  }
}

function matches(template: string[], path: string[]): boolean {
  if (template.length !== path.length) return false
  return template.every((part, i) => {
    const segment = path[i] ?? ''
    return /^\{.+\}$/.test(part) ? segment !== '' : part === segment
  })
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
}

function parseJson(text: string): Json | undefined {
  try {
    return JSON.parse(text) as Json
  } catch {
    return undefined
  }
}

/**
 * Spec-vs-reality gotcha: UserCert._id is an int64 above 2^53, so JSON.parse rounds it and the
 * schema check cannot see a spoiled value. The raw text must carry it as a bare integer literal
 * (never quoted, no exponent, no fraction), digit for digit.
 */
function int64Literals(schema: JsonObject, raw: string): string[] {
  const ref = typeof schema.$ref === 'string' ? schema.$ref : ''
  if (!ref.endsWith('/PaginatedUserCertView')) return []
  const problems: string[] = []
  for (const match of raw.matchAll(/"_id"\s*:\s*([^,}\]]+)/g)) {
    const literal = (match[1] ?? '').trim()
    if (!/^-?\d+$/.test(literal))
      problems.push(`UserCert._id ${literal} is not a bare int64 literal`)
  }
  return problems
}

/** Internal `#/components/schemas/X` refs of an operation's inline schema, into a direction. */
function rebase(schema: Json, direction: Direction): Json {
  if (Array.isArray(schema)) return schema.map(item => rebase(item, direction))
  if (!isObject(schema)) return schema
  const out: JsonObject = {}
  for (const [key, value] of Object.entries(schema)) {
    out[key] =
      key === '$ref' && typeof value === 'string' && value.startsWith('#/')
        ? `${direction}${value}`
        : rebase(value, direction)
  }
  return out
}

/**
 * OpenAPI 3.0 schemas, made JSON Schema for one direction:
 * - `nullable: true` allows null; `discriminator` becomes if/then on its property (its oneOf
 *   would recurse: each mapped schema is allOf [base, …]);
 * - readOnly properties may not appear in a request, writeOnly ones not in a response (and leave
 *   `required`: CloudDatabaseUser.groupId is required in a create body, absent from answers);
 * - plain object schemas of a response refuse undeclared properties (unevaluatedProperties), so
 *   the emulator cannot invent fields.
 */
function translateSchemas(schemas: JsonObject, direction: Direction): JsonObject {
  const out: JsonObject = {}
  // Schemas composed into others by allOf cannot close their property set themselves.
  const composed = new Set<string>()
  const findComposed = (node: Json): void => {
    if (Array.isArray(node)) return node.forEach(findComposed)
    if (!isObject(node)) return
    if (Array.isArray(node.allOf)) {
      for (const part of node.allOf) {
        if (isObject(part) && typeof part.$ref === 'string')
          composed.add(part.$ref.split('/').pop()!)
      }
    }
    Object.values(node).forEach(findComposed)
  }
  findComposed(schemas)
  for (const [name, schema] of Object.entries(schemas)) {
    if (!isObject(schema)) continue
    const discriminator = schema.discriminator
    if (isObject(discriminator) && Array.isArray(schema.oneOf)) {
      const base: JsonObject = { ...schema }
      delete base.oneOf
      out[`${name}__base`] = translate(specialCases(name, base), direction, false)
      const property = specText(discriminator.propertyName)
      const mapping = isObject(discriminator.mapping) ? discriminator.mapping : {}
      out[name] = {
        allOf: [
          { $ref: `#/components/schemas/${name}__base` },
          ...Object.entries(mapping).map(([value, ref]) => ({
            if: { properties: { [property]: { const: value } }, required: [property] },
            then: { $ref: specText(ref) }
          }))
        ]
      }
      continue
    }
    out[name] = translate(specialCases(name, schema), direction, !composed.has(name))
  }
  // A mapped schema composes its base, not the dispatching schema (which would recurse).
  for (const [name, schema] of Object.entries(schemas)) {
    const discriminator = isObject(schema) ? schema.discriminator : null
    if (!isObject(discriminator) || !isObject(discriminator.mapping)) continue
    for (const ref of Object.values(discriminator.mapping)) {
      const target = out[specText(ref).split('/').pop()!]
      if (isObject(target) && Array.isArray(target.allOf)) {
        target.allOf = target.allOf.map(part =>
          isObject(part) && part.$ref === `#/components/schemas/${name}`
            ? { $ref: `#/components/schemas/${name}__base` }
            : part
        )
      }
    }
  }
  return out
}

/**
 * Spec-vs-reality gotchas, each explicit:
 * - UserCert.subject: the spec's pattern requires a DC= component, but Atlas issues managed
 *   certificates with subject `CN=<username>` (Atlas CLI output in mongodb-atlas-cli PRs #273 and
 *   #276). The pattern is replaced by "an RFC 2253 DN that starts with CN=".
 * - ApiError.parameters: declared `items: {type: object}`, but Atlas sends strings and numbers
 *   (the documented 429 sample: ["api/atlas/v2/orgs", 55, 10, 5, 60]); items may be anything, as
 *   atlas-sdk-go overrides it.
 * - CloudRegionConfig20240805.regionName: `type: object` over string enums (see below).
 * (UserCert._id as int64 above 2^53: see int64Literals.)
 */
function specialCases(name: string, schema: JsonObject): JsonObject {
  const properties = isObject(schema.properties) ? schema.properties : undefined
  if (name === 'UserCert' && properties && isObject(properties.subject)) {
    return {
      ...schema,
      properties: {
        ...properties,
        subject: { ...properties.subject, pattern: '^CN=[^,]+(?:,[A-Za-z][A-Za-z0-9.-]*=[^,]+)*$' }
      }
    }
  }
  if (name === 'CloudRegionConfig20240805' && properties && isObject(properties.regionName)) {
    // regionName says `type: object` next to a oneOf of string enums (AWS, Azure, GCP regions):
    // a region name is a string, as every alternative and every real answer has it.
    const regionName: JsonObject = { ...properties.regionName }
    delete regionName.type
    return { ...schema, properties: { ...properties, regionName } }
  }
  if (name === 'ApiError' && properties && isObject(properties.parameters)) {
    return {
      ...schema,
      properties: { ...properties, parameters: { ...properties.parameters, items: {} } }
    }
  }
  return schema
}

/**
 * A spec pattern as a `u`-flag RegExp accepts it: the access-list patterns escape `:` and `-`
 * (`\:`, `\-`), identity escapes that only non-unicode RegExps allow; they mean the character.
 */
function unicodePattern(pattern: string): string {
  try {
    new RegExp(pattern, 'u')
    return pattern
  } catch {
    return pattern.replace(/\\([:-])/g, '$1')
  }
}

function translate(schema: Json, direction: Direction, closed: boolean): Json {
  if (Array.isArray(schema)) return schema.map(item => translate(item, direction, false))
  if (!isObject(schema)) return schema
  const out: JsonObject = {}
  for (const [key, value] of Object.entries(schema)) {
    if (OPENAPI_ONLY.includes(key) || key.startsWith('x-')) continue
    if (key === 'properties' && isObject(value)) {
      const properties: JsonObject = {}
      for (const [name, property] of Object.entries(value)) {
        const forbidden =
          isObject(property) &&
          ((direction === 'request' && property.readOnly === true) ||
            (direction === 'response' && property.writeOnly === true))
        properties[name] = forbidden ? false : translate(property, direction, false)
      }
      out.properties = properties
    } else if (key === 'allOf' && Array.isArray(value)) {
      out.allOf = value.map(part => translate(part, direction, false))
    } else if (key === 'oneOf' && Array.isArray(value) && schema.discriminator === undefined) {
      // A oneOf without a discriminator is read as anyOf: the 2024-08-05 cluster schemas list
      // overlapping alternatives (an M10 electableSpecs is valid AWS, Azure and GCP hardware; the
      // region enums share names), so a real answer matches more than one and oneOf would refuse it.
      out.anyOf = value.map(part => translate(part, direction, false))
    } else if (key === 'pattern' && typeof value === 'string') {
      out.pattern = unicodePattern(value)
    } else if (typeof value === 'object' && value !== null) {
      out[key] = translate(value, direction, key === 'items' || key === 'additionalProperties')
    } else {
      out[key] = value
    }
  }
  // Forbidden properties also leave `required` (their presence is what is refused).
  if (Array.isArray(out.required) && isObject(out.properties)) {
    const properties = out.properties
    out.required = out.required.filter(name => properties[specText(name)] !== false)
  }
  if (schema.nullable === true && typeof schema.type === 'string') {
    out.type = [schema.type, 'null']
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null]
  }
  const plainObject =
    isObject(out.properties) &&
    out.allOf === undefined &&
    out.oneOf === undefined &&
    out.anyOf === undefined &&
    out.additionalProperties === undefined
  if (direction === 'response' && closed && plainObject) out.unevaluatedProperties = false
  return out
}

/**
 * Collects the contract problems of every exchange an emulator records from now on (the
 * harnesses' close() calls assertClean).
 */
export class ContractRecorder {
  private readonly problems: string[] = []
  private readonly stop: () => void
  private checked = 0

  constructor(emulator: Emulator, contract: OpenApiContract) {
    this.stop = emulator.onExchange(record => {
      this.checked += 1
      this.problems.push(...contract.check(record))
    })
  }

  /** Throws with every violation seen (the afterAll that closes the harness fails the file). */
  assertClean(): void {
    this.stop()
    if (this.problems.length === 0) return
    const unique = [...new Set(this.problems)]
    throw new Error(
      `Atlas API contract violated in ${unique.length} of ${this.checked} checked exchanges ` +
        `(OpenAPI subset ${contractPath()}):\n- ${unique.join('\n- ')}`
    )
  }
}

let shared: OpenApiContract | undefined

/** The contract (see contractPath), loaded once per test file. */
export function loadContract(): OpenApiContract {
  shared ??= new OpenApiContract(contractPath())
  return shared
}

/** Records an emulator's traffic for the contract check. */
export function recordContract(emulator: Emulator): ContractRecorder {
  return new ContractRecorder(emulator, loadContract())
}
