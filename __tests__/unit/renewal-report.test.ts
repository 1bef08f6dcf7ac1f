/**
 * create-certificate when renewal is not due: its outputs, its one notice and its summary rows,
 * from the renewal decision alone.
 */
import { notDueReport } from '../../src/operations/create-certificate.js'
import { decideRenewal } from '../../src/operations/renewal.js'

const NOW = Date.parse('2026-12-04T10:00:00.000Z')
const NOT_DUE = {
  due: false,
  reason: 'not-due',
  latestExpiry: '2027-06-22T10:00:00.000Z',
  dueAt: '2027-05-23T10:00:00.000Z'
} as const
const SECRET = {
  destination: { owner: 'octo-org', repo: 'app', environment: 'prod', name: 'ATLAS_CERT' }
}

describe('notDueReport', () => {
  it('outputs issued false, the reason, the user and the latest expiry', () => {
    expect(notDueReport(NOT_DUE, 'ci-user', 30, undefined).outputs).toEqual([
      ['renewal-reason', 'not-due'],
      ['issued', 'false'],
      ['username', 'ci-user'],
      ['expires-at', '2027-06-22T10:00:00.000Z']
    ])
  })

  it('a notice that says when renewal is due; with a secret, that it keeps its value', () => {
    expect(notDueReport(NOT_DUE, 'ci-user', 30, undefined).notice).toBe(
      "ci-user's latest certificate expires at 2027-06-22T10:00:00.000Z, more than 30 days from now: nothing issued. Renewal is due from 2027-05-23T10:00:00.000Z."
    )
    expect(notDueReport(NOT_DUE, 'ci-user', 30, SECRET).notice).toMatch(
      /Renewal is due from 2027-05-23T10:00:00.000Z\. No secret was written; ATLAS_CERT keeps its value, written after the latest certificate was created\.$/
    )
  })

  it('summary rows: the user, not issued, the dates, and the secret when there is one', () => {
    const rows = [
      ['User', 'ci-user'],
      ['Issued', 'no: the latest certificate is valid for more than 30 days'],
      ['Latest expiry', '2027-06-22T10:00:00.000Z'],
      ['Renewal due from', '2027-05-23T10:00:00.000Z']
    ]
    expect(notDueReport(NOT_DUE, 'ci-user', 30, undefined).rows).toEqual(rows)
    expect(notDueReport(NOT_DUE, 'ci-user', 30, SECRET).rows).toEqual([
      ...rows,
      [
        'GitHub secret',
        'ATLAS_CERT (environment "prod" of octo-org/app): not written, holds the latest certificate'
      ]
    ])
  })

  it('reports the decision decideRenewal makes', () => {
    const decision = decideRenewal(
      [{ createdAt: '2026-12-01T00:00:00Z', notAfter: '2027-03-01T00:00:00Z' }],
      30,
      NOW
    )
    if (decision.due) throw new Error('expected not due')
    const report = notDueReport(decision, 'ci-user', 30, undefined)
    expect(report.outputs).toContainEqual(['expires-at', '2027-03-01T00:00:00.000Z'])
    expect(report.rows).toContainEqual(['Renewal due from', '2027-01-30T00:00:00.000Z'])
  })
})
