import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { computeDigestResponse, type Emulator } from '../../emulator/index.js'

export const ACCEPT_V2 = 'Accept: application/vnd.atlas.2023-01-01+json'

export interface ProcessResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs a real client (curl, openssl) without a shell; never rejects. */
export function run(command: string, args: string[], input?: string): Promise<ProcessResult> {
  return new Promise(resolve => {
    const child = execFile(command, args, { maxBuffer: 8 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
      resolve({ code, stdout, stderr })
    })
    if (input !== undefined) child.stdin?.end(input)
  })
}

export interface CurlResponse {
  status: number
  /** Headers of the last response, lower-case names. */
  headers: Record<string, string>
  body: string
  /** Status codes of every response curl saw (a digest round trip shows 401 then the answer). */
  statuses: number[]
}

/** curl with the given arguments; -s -i is added, and the last response is parsed out. */
export async function curl(args: string[]): Promise<CurlResponse> {
  const result = await run('curl', ['-s', '-i', ...args])
  if (result.code !== 0) throw new Error(`curl exited ${result.code}: ${result.stderr}`)
  return parseCurlOutput(result.stdout)
}

/** curl as the emulator's API key (Digest), asking for API v2, with the given arguments. */
export function curlDigest(emulator: Emulator, args: string[]): Promise<CurlResponse> {
  return curl(['--digest', '--user', digestUser(emulator), '-H', ACCEPT_V2, ...args])
}

/** curl with a bearer token, asking for API v2, with the given arguments. */
export function curlBearer(token: string, args: string[]): Promise<CurlResponse> {
  return curl(['-H', `Authorization: Bearer ${token}`, '-H', ACCEPT_V2, ...args])
}

export function parseCurlOutput(output: string): CurlResponse {
  const statuses: number[] = []
  let rest = output
  let headers: Record<string, string> = {}
  for (;;) {
    const match = /^HTTP\/[\d.]+ (\d{3})[^\r\n]*\r?\n/.exec(rest)
    if (!match) break
    statuses.push(Number(match[1]))
    const end = rest.indexOf('\r\n\r\n')
    const head = rest.slice(0, end)
    headers = Object.fromEntries(
      head
        .split('\r\n')
        .slice(1)
        .map(line => {
          const colon = line.indexOf(':')
          return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]
        })
    )
    rest = rest.slice(end + 4)
    // With --digest, curl prints the 401 challenge (and its body) before the real answer.
    const next = /HTTP\/[\d.]+ \d{3} /.exec(rest)
    if (!next || statuses[statuses.length - 1] !== 401 || !/^HTTP\//.test(rest.slice(next.index)))
      break
    rest = rest.slice(next.index)
  }
  return { status: statuses[statuses.length - 1] ?? 0, headers, body: rest, statuses }
}

/** The MD5 Digest response (qop=auth) of a GET by the emulator's API key. */
export function digestGetResponse(
  emulator: Emulator,
  fields: { uri: string; nonce: string; nc: string; cnonce: string }
): string {
  return computeDigestResponse({
    algorithm: 'MD5',
    username: emulator.credentials.publicKey,
    realm: 'MMS Public API',
    password: emulator.credentials.privateKey,
    method: 'GET',
    qop: 'auth',
    ...fields
  })
}

export function digestUser(emulator: Emulator): string {
  return `${emulator.credentials.publicKey}:${emulator.credentials.privateKey}`
}

/** An access token obtained the way the Atlas docs show it: curl --user id:secret. */
export async function curlToken(emulator: Emulator): Promise<string> {
  const { clientId, clientSecret } = emulator.credentials
  const response = await curl([
    '--user',
    `${clientId}:${clientSecret}`,
    '-d',
    'grant_type=client_credentials',
    `${emulator.url}/api/oauth/token`
  ])
  return (JSON.parse(response.body) as { access_token: string }).access_token
}

export interface TempDir {
  path: string
  write(name: string, text: string): string
  remove(): void
}

export function tempDir(): TempDir {
  const path = mkdtempSync(join(tmpdir(), 'atlas-emulator-test-'))
  return {
    path,
    write(name, text) {
      const file = join(path, name)
      writeFileSync(file, text)
      return file
    },
    remove: () => rmSync(path, { recursive: true, force: true })
  }
}

/** fetch with a Bearer token and the versioned Accept header. */
export async function atlasFetch(
  emulator: Emulator,
  token: string,
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}
): Promise<{ status: number; text: string; headers: Headers; json: () => unknown }> {
  const response = await fetch(`${emulator.url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      Authorization: `Bearer ${token}`,
      Accept: 'application/vnd.atlas.2023-01-01+json',
      ...(init.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...init.headers
    },
    ...(init.body !== undefined
      ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }
      : {})
  })
  const text = await response.text()
  return {
    status: response.status,
    text,
    headers: response.headers,
    json: (): unknown => JSON.parse(text)
  }
}

export async function fetchToken(emulator: Emulator): Promise<string> {
  const { clientId, clientSecret } = emulator.credentials
  const response = await fetch(`${emulator.url}/api/oauth/token`, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      'Content-Type': 'application/x-www-form-urlencoded'
    },
    body: 'grant_type=client_credentials'
  })
  return ((await response.json()) as { access_token: string }).access_token
}
