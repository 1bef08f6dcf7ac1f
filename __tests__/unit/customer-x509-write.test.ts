/**
 * The confirmation that set- and disable-customer-x509 share: after a write whose answer was lost,
 * what Atlas holds says whether it took effect.
 */
import { OutcomeUnknownError } from '../../src/atlas/errors.js'
import {
  judgeLostAnswer,
  sendOnceConfirmed,
  type CustomerX509Write
} from '../../src/operations/customer-x509-write.js'
import { parseCertificates } from '../../src/customer-ca.js'
import type { StepContext } from '../../src/operations/operation.js'
import { rootCa } from '../support/pki.js'

const GROUP = '5f0000000000000000000001'
const ours = rootCa('Write Test Root CA')
const other = rootCa('Write Test Other CA')
const PATCH: CustomerX509Write = { method: 'PATCH', certificates: parseCertificates(ours.pem) }
const DELETE: CustomerX509Write = { method: 'DELETE' }

describe('judgeLostAnswer', () => {
  it('a PATCH took effect when Atlas holds its certificates, whatever the text around them', () => {
    expect(judgeLostAnswer(PATCH, `\n${ours.pem}\n`, GROUP)).toEqual({
      tookEffect: true,
      message: `The PATCH's answer was lost, but Atlas now holds these CA certificates for project ${GROUP}: it took effect.`
    })
  })

  it('a PATCH did not when Atlas holds other certificates, none, or a bundle that does not parse', () => {
    const verdict = (held: string | undefined) => judgeLostAnswer(PATCH, held, GROUP)
    expect(verdict(other.pem)).toEqual({
      tookEffect: false,
      message: `Atlas holds 1 other CA certificate(s) for project ${GROUP}: the upload did not take effect. Run the step again to upload it.`
    })
    expect(verdict(`${ours.pem}${other.pem}`).message).toMatch(/^Atlas holds 2 other CA/)
    expect(verdict(undefined).message).toMatch(/^Atlas holds no customer CA for project/)
    expect(verdict('-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n')).toEqual(
      expect.objectContaining({ tookEffect: false })
    )
  })

  it('a DELETE took effect when Atlas holds no customer CA, and not while it holds one', () => {
    expect(judgeLostAnswer(DELETE, undefined, GROUP)).toEqual({
      tookEffect: true,
      message: `The DELETE's answer was lost, but Atlas now holds no customer CA for project ${GROUP}: it took effect.`
    })
    expect(judgeLostAnswer(DELETE, ours.pem, GROUP)).toEqual({
      tookEffect: false,
      message: `Atlas still holds a customer CA for project ${GROUP}: customer X.509 is on. Run the step again to disable it.`
    })
  })
})

describe('sendOnceConfirmed', () => {
  /** A context whose Atlas holds `held` after the write, counting its reads, recording info lines. */
  function context(held: string | null) {
    const seen = { reads: 0, info: [] as string[] }
    const ctx = {
      groupId: GROUP,
      api: {
        getUserSecurity: () => {
          seen.reads += 1
          return Promise.resolve({ customerX509: { cas: held } })
        }
      },
      io: { info: (message: string) => seen.info.push(message) }
    } as unknown as StepContext
    return { ctx, seen }
  }
  const lost = () => Promise.reject(new OutcomeUnknownError('PATCH … answered HTTP 503.'))

  it('an answered write: nothing read again', async () => {
    const { ctx, seen } = context(null)
    let sent = 0
    await sendOnceConfirmed(
      PATCH,
      () => {
        sent += 1
        return Promise.resolve()
      },
      ctx
    )
    expect([sent, seen.reads, seen.info]).toEqual([1, 0, []])
  })

  it('a lost answer to a write that took effect: one read, one info line, the step goes on', async () => {
    const { ctx, seen } = context(ours.pem)
    await sendOnceConfirmed(PATCH, lost, ctx)
    expect(seen.reads).toBe(1)
    expect(seen.info).toEqual([expect.stringMatching(/answer was lost, but .*: it took effect\.$/)])
  })

  it('a lost answer to a write that did not: one error with the cause, then what Atlas holds', async () => {
    const { ctx } = context(ours.pem)
    const error = await sendOnceConfirmed(DELETE, lost, ctx).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OutcomeUnknownError)
    expect((error as Error).message).toBe(
      `PATCH … answered HTTP 503. Atlas still holds a customer CA for project ${GROUP}: customer X.509 is on. Run the step again to disable it.`
    )
  })

  it('any other failure is not confirmed: it is thrown as it is, nothing read', async () => {
    const { ctx, seen } = context(null)
    const refused = new Error('HTTP 403')
    await expect(sendOnceConfirmed(DELETE, () => Promise.reject(refused), ctx)).rejects.toBe(
      refused
    )
    expect(seen.reads).toBe(0)
  })
})
