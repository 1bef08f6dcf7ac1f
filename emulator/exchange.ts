import type { IncomingMessage, ServerResponse } from 'node:http'
import { ApiFailure, stringifyJson } from './json.js'
import type { RecordedRequest } from './types.js'

/** One request/response pair on its way through the emulator. */
export interface Exchange {
  req: IncomingMessage
  res: ServerResponse
  record: RecordedRequest
  method: string
  /** The request target as received (path and query). */
  target: string
  /** Raw (still percent-encoded) pathname. */
  pathname: string
  query: URLSearchParams
  body: string
  /** Scheme and host as the client addressed us, for absolute link hrefs. */
  baseUrl: string
}

export function sendBody(
  ex: Exchange,
  status: number,
  body: string,
  headers: Record<string, string | number> = {}
): void {
  if (ex.res.headersSent || ex.res.destroyed) return
  writeHeaders(ex, status, { ...headers, 'Content-Length': Buffer.byteLength(body) }, body)
  ex.res.end(body)
}

/** Headers through setHeader (so getHeaders() sees them all), then recorded with the body. */
function writeHeaders(
  ex: Exchange,
  status: number,
  headers: Record<string, string | number>,
  body: string
): void {
  for (const [name, value] of Object.entries(headers)) ex.res.setHeader(name, value)
  ex.res.writeHead(status)
  const recorded: Record<string, string> = {}
  for (const [name, value] of Object.entries(ex.res.getHeaders())) {
    if (value === undefined) continue
    recorded[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)
  }
  ex.record.response = { headers: recorded, body }
}

export function sendJson(
  ex: Exchange,
  status: number,
  value: unknown,
  contentType = 'application/json',
  headers: Record<string, string | number> = {}
): void {
  const pretty = ex.query.get('pretty') === 'true'
  sendBody(ex, status, stringifyJson(value, pretty), { 'Content-Type': contentType, ...headers })
}

export function sendApiError(ex: Exchange, failure: ApiFailure): void {
  sendJson(ex, failure.status, failure.body, 'application/json', failure.headers)
}

export function sendEmpty(ex: Exchange, status: number, headers: Record<string, string> = {}) {
  if (ex.res.headersSent || ex.res.destroyed) return
  writeHeaders(ex, status, headers, '')
  ex.res.end()
}

/** Lower-cased header names, repeated headers joined with ', '. */
export function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
  }
  return headers
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}
