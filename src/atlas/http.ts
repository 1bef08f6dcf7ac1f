/** One HTTP exchange with the Atlas origin, as the transport sends and answers it. Types only, and one reader. */

export interface HttpRequest {
  method: string
  /** Path and query, as sent on the request line. */
  target: string
  headers: Record<string, string>
  body?: string
}

export interface HttpResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
}

export function header(headers: HttpResponse['headers'], name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}
