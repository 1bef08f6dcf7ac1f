import { decodeApiError } from '../../src/atlas/answers.js'
import { AtlasApiError } from '../../src/atlas/errors.js'
import { HINTS, hintFor } from '../../src/atlas/hints.js'
import { backoffDelayMs, isRetryableStatus, parseRetryAfter } from '../../src/atlas/retry.js'
import { describeFailure } from '../../src/report.js'
import { InputError } from '../../src/inputs/inputs.js'

describe('decodeApiError', () => {
  it("reads Atlas's ApiError", () => {
    const body = JSON.stringify({
      detail: 'No user with username ghost exists.',
      error: 404,
      errorCode: 'USERNAME_NOT_FOUND',
      parameters: ['ghost'],
      reason: 'Not Found'
    })
    const error = decodeApiError(404, 'application/json', body)!
    expect(error).toBeInstanceOf(AtlasApiError)
    expect([error.status, error.errorCode, error.detail]).toEqual([
      404,
      'USERNAME_NOT_FOUND',
      'No user with username ghost exists.'
    ])
  })
  it('reads an OAuth token-endpoint error', () => {
    const error = decodeApiError(
      401,
      'application/json',
      '{"error":"invalid_client","error_description":"Bad client"}'
    )!
    expect([error.errorCode, error.detail]).toEqual(['invalid_client', 'Bad client'])
  })
  it('refuses HTML and broken JSON without echoing them', () => {
    expect(
      decodeApiError(502, 'text/html', '<html><body>Bad Gateway</body></html>')
    ).toBeUndefined()
    expect(decodeApiError(500, 'application/json', '{"errorCode": ')).toBeUndefined()
    expect(decodeApiError(500, 'application/json', '"just a string"')).toBeUndefined()
  })
})

describe('hints', () => {
  it.each([
    'USERNAME_NOT_FOUND',
    'USER_NOT_MANAGED_X509',
    'CERT_EXPIRY_CANNOT_EXCEED_TWO_YEARS',
    'ATLAS_GENERATED_CERTS_LIMIT_EXCEEDED',
    'RATE_LIMITED',
    'RATE_LIMITED_TOKEN_BUCKET',
    'GROUP_NOT_FOUND',
    'NOT_IN_GROUP',
    'VERSION_GONE',
    'EXPIRED_X509_CA_CERTIFICATE'
  ])('has a hint for %s', code => {
    expect(HINTS[code]).toBeTruthy()
  })
  it('falls back on the status class', () => {
    expect(hintFor('SOMETHING', 401)).toMatch(/credentials/)
    expect(hintFor('ORG_REQUIRES_ACCESS_LIST', 403)).toMatch(/API access list/)
    expect(hintFor('UNEXPECTED_ERROR', 503)).toMatch(/later/)
    expect(hintFor('VALIDATION_ERROR', 400)).toBe('')
  })
  it('finds no hint in what every object inherits', () => {
    for (const code of ['constructor', 'toString', '__proto__', 'hasOwnProperty'])
      expect(hintFor(code, 400)).toBe('')
    expect(describeFailure(new AtlasApiError(400, 'constructor', 'Bad.')).message).toBe('Bad.')
  })
  it('titles annotations as README.md documents them', () => {
    expect(
      describeFailure(
        new AtlasApiError(
          400,
          'USER_NOT_MANAGED_X509',
          'The user does not have managed mode X509 enabled.'
        )
      )
    ).toEqual({
      title: 'Atlas USER_NOT_MANAGED_X509 (HTTP 400)',
      message: `The user does not have managed mode X509 enabled. ${HINTS.USER_NOT_MANAGED_X509}`
    })
    expect(describeFailure(new InputError('months', 'bad')).title).toBe('Invalid input: months')
  })
  it('never lets a bare JavaScript error be the whole annotation: it says what to do', () => {
    const { title, message } = describeFailure(
      new TypeError("Cannot read properties of null (reading 'x')")
    )
    expect(title).toBe('atlas-x509-action failed')
    expect(message).toMatch(/^An unexpected TypeError inside the action: Cannot read/)
    expect(message).toContain('re-run the step with debug logging and report it')
  })
})

describe('retry policy', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('55', 0)).toBe(55_000)
    expect(
      parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))
    ).toBe(10_000)
    expect(
      parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:29:00 GMT'))
    ).toBe(0)
    expect(parseRetryAfter('soon', 0)).toBeUndefined()
    expect(parseRetryAfter(undefined, 0)).toBeUndefined()
  })
  it('backs off exponentially with full jitter, capped', () => {
    const policy = { baseDelayMs: 1000, maxDelayMs: 5000 }
    expect([0, 1, 2, 3].map(n => backoffDelayMs(n, policy, () => 0.999))).toEqual([
      999, 1998, 3996, 4995
    ])
    expect(backoffDelayMs(3, policy, () => 0)).toBe(0)
  })
  it('retries 429 and 5xx but not 4xx or 501', () => {
    expect([429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true)
    expect([400, 401, 403, 404, 409, 501].some(isRetryableStatus)).toBe(false)
  })
})
