/**
 * Local signing (self-managed X.509): the time to make a client key pair and to make the key and
 * sign its certificate, per key type, with the code the action runs (src/certificate/local-issuer).
 */
import { performance } from 'node:perf_hooks'
import { createCertificateAuthority, privateKeyPem } from '../../emulator/ca.js'
import { parseDistinguishedName } from '../../src/certificate/distinguished-name.js'
import { generateClientKey, loadIssuer, type KeyType } from '../../src/certificate/local-issuer.js'
import { median, ms, table } from './markdown.js'

const KEY_TYPES: KeyType[] = ['ec-p256', 'rsa-2048']
const HOUR = 3600_000

export interface SigningFigures {
  keyType: KeyType
  keyMs: number[]
  signMs: number[]
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now()
  await work()
  return performance.now() - start
}

export async function measureSigning(runs: number): Promise<SigningFigures[]> {
  const now = Date.now()
  const ca = await createCertificateAuthority(
    'bench-issuer',
    'Bench Issuing CA',
    new Date(now - HOUR),
    new Date(now + 24 * HOUR)
  )
  const issuer = await loadIssuer(ca.pem, await privateKeyPem(ca.keys.privateKey), now)
  const subject = parseDistinguishedName('CN=bench-0123456789,OU=ci,O=Acme')
  const figures: SigningFigures[] = []
  for (const keyType of KEY_TYPES) {
    const keyMs: number[] = []
    const signMs: number[] = []
    // One unmeasured round: the first call pays for loading and JIT, not for the work.
    await issuer.sign({
      subject,
      keyType,
      notBefore: new Date(now),
      notAfter: new Date(now + HOUR)
    })
    for (let i = 0; i < runs; i++) {
      keyMs.push(await timed(() => generateClientKey(keyType)))
      signMs.push(
        await timed(() =>
          issuer.sign({
            subject,
            keyType,
            notBefore: new Date(now),
            notAfter: new Date(now + HOUR)
          })
        )
      )
    }
    figures.push({ keyType, keyMs, signMs })
  }
  return figures
}

export function signingSection(figures: SigningFigures[], runs: number): string {
  return [
    `### Local signing (self-managed X.509), median of ${runs}`,
    '',
    table(
      ['key-type', 'key pair', 'key pair + certificate signed', 'slowest of the latter'],
      figures.map(f => [
        `\`${f.keyType}\``,
        ms(median(f.keyMs)),
        ms(median(f.signMs)),
        ms(Math.max(...f.signMs))
      ]),
      ['left', 'right', 'right', 'right']
    )
  ].join('\n')
}
