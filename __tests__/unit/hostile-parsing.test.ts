import { atlasPath } from '../../src/atlas/api.js'
import { decodeApiError } from '../../src/atlas/answers.js'
import { normalisedIsoUtc, parseIsoUtc } from '../../src/iso-date.js'

describe('parseIsoUtc', () => {
  it('reads only YYYY-MM-DDTHH:MM:SS(.sss)Z dates that exist', () => {
    expect(parseIsoUtc('2026-01-02T03:04:05Z')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5))
    expect(normalisedIsoUtc('2026-01-02T03:04:05.7Z')).toBe('2026-01-02T03:04:05.700Z')
    for (const value of [
      '1',
      'Jan 1 1970',
      '2024-02-30T00:00:00Z',
      '2026-01-02',
      '2026-01-02T03:04:05+00:00',
      '2026-01-02T24:00:00Z',
      5,
      null
    ])
      expect(parseIsoUtc(value)).toBeUndefined()
  })
})

describe('atlasPath', () => {
  it('refuses dot segments, which URL resolution would climb', () => {
    expect(() => atlasPath`/groups/g/databaseUsers/${'..'}`).toThrow(/cannot be a path segment/)
    expect(() => atlasPath`/groups/g/databaseUsers/${'.'}`).toThrow(/cannot be a path segment/)
    expect(atlasPath`/u/${'...'}`).toBe('/u/...')
  })
})

describe('decodeApiError', () => {
  it('takes only code-like strings as error codes', () => {
    const body = JSON.stringify({ errorCode: 'A\n::error::b', detail: 'd' })
    expect(decodeApiError(400, 'application/json', body)).toMatchObject({
      errorCode: 'HTTP_400',
      detail: 'd'
    })
    const oauth = JSON.stringify({ error: 'x'.repeat(500), error_description: 'y' })
    expect(decodeApiError(400, 'application/json', oauth)).toMatchObject({ errorCode: 'HTTP_400' })
  })
})
