/** Summary rows that the runner and set-customer-x509 build. */
import { commonSummaryRows } from '../../src/runtime.js'
import { uploadSummaryRows } from '../../src/operations/set-customer-x509.js'

const NOW = Date.parse('2026-12-04T10:00:00.000Z')

describe('commonSummaryRows', () => {
  it('the operation, then the project', () => {
    expect(commonSummaryRows('delete-user', '5f01')).toEqual([
      ['Operation', 'delete-user'],
      ['Project', '5f01']
    ])
  })
  it('no operation (the post step): the project only', () => {
    expect(commonSummaryRows(undefined, '5f01')).toEqual([['Project', '5f01']])
  })
})

describe('uploadSummaryRows', () => {
  it('uploaded or unchanged, how many CA certificates, the earliest expiry in days', () => {
    expect(uploadSummaryRows(false, 2, '2027-01-03T10:00:00.000Z', NOW)).toEqual([
      ['Result', 'uploaded (rolling restart started)'],
      ['CA certificates', '2'],
      ['Earliest expiry', '2027-01-03T10:00:00.000Z (30 days)']
    ])
    expect(uploadSummaryRows(true, 1, '2027-01-03T10:00:00.000Z', NOW)[0]).toEqual([
      'Result',
      'unchanged (no request sent, no restart)'
    ])
  })
})
