import { STATUS_CODES } from 'node:http'
import { randomBytes } from 'node:crypto'

/** An int64 that must reach the wire digit for digit (Atlas cert ids exceed 2^53). */
export class Int64 {
  constructor(readonly digits: string) {
    if (!/^-?\d+$/.test(digits)) throw new Error(`not an integer literal: ${digits}`)
  }
}

// A per-process marker so that no user string can be mistaken for a placeholder.
const marker = `int64-${randomBytes(6).toString('hex')}:`
const placeholder = new RegExp(`"${marker}(-?\\d+)"`, 'g')

/** JSON.stringify that emits Int64 values as bare number literals. */
export function stringifyJson(value: unknown, pretty = false): string {
  const text = JSON.stringify(
    value,
    (_key, item: unknown) => (item instanceof Int64 ? marker + item.digits : item),
    pretty ? 2 : undefined
  )
  return text.replace(placeholder, '$1')
}

export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? 'Unknown'
}

export interface ApiErrorBody {
  detail: string
  error: number
  errorCode: string
  parameters: unknown[]
  reason: string
}

/** The Atlas ApiError shape used on every 4xx/5xx of /api/atlas routes. */
export function apiError(
  status: number,
  errorCode: string,
  detail: string,
  parameters: unknown[] = []
): ApiErrorBody {
  return { detail, error: status, errorCode, parameters, reason: reasonPhrase(status) }
}

/** Thrown by handlers to answer an ApiError. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    readonly detail: string,
    readonly parameters: unknown[] = [],
    readonly headers: Record<string, string> = {}
  ) {
    super(`${status} ${errorCode}: ${detail}`)
  }

  get body(): ApiErrorBody {
    return apiError(this.status, this.errorCode, this.detail, this.parameters)
  }
}

/** Atlas-style date-time: ISO 8601 UTC without milliseconds. */
export function atlasDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}
