/**
 * Hostile certificate answers and file targets, through run(): what gets masked, what is refused
 * before anything is written, and what is checked before any certificate is minted.
 */
import { expect } from '@jest/globals'
import { constants as fsConstants, mkdirSync, readdirSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { nodeFileSystem, type FileSystem } from '../../src/certificate/file.js'
import { MIN_MASKED_LINE } from '../../src/certificate/pem.js'
import {
  atlasRequests,
  FakeClock,
  keyLines,
  atlasForFile,
  visible,
  type StepOptions
} from '../support/inprocess.js'
import { selfSigned } from '../support/pki.js'

const atlas = atlasForFile()

/** The main step with an API key and no retries; RUNNER_TEMP is also the working folder. */
async function mainStep(inputs: Record<string, string>, options: StepOptions = {}) {
  const runnerTemp = atlas.tempDir('hostile-runner-temp-')
  const result = await atlas.step('main', {
    inputs: atlas.inputs('api-key', { 'max-retries': '0', ...inputs }),
    env: { GITHUB_REPOSITORY: 'acme/app' },
    runnerTemp,
    cwd: runnerTemp,
    ...options
  })
  return { result, runnerTemp }
}

/** A clock this many days ahead of (or, negative, behind) real time. */
function daysOff(days: number): FakeClock {
  const clock = new FakeClock()
  clock.offsetMs = days * 86_400_000
  return clock
}

const certsPath = /\/databaseUsers\/ci-user\/certs$/
const ciUser = selfSigned('ci-user', { ca: false, days: 91 })
const otherUser = selfSigned('someone-else', { ca: false, days: 91 })
const answerCerts = (body: string, contentType = 'application/x-pem-file') =>
  atlas.emulator.fault({
    method: 'POST',
    path: certsPath,
    kind: 'body',
    status: 201,
    body,
    contentType
  })
const createCertificate = (extra: Record<string, string> = {}) =>
  mainStep({ operation: 'create-certificate', username: 'ci-user', ...extra })

function expectNoKeyLinePrinted(text: string, pem: string): void {
  for (const line of keyLines(pem)) expect(text).not.toContain(line)
}

describe('masking comes from the parse that is checked', () => {
  it('registers every key line, whatever the blanks around the armour, before the check accepts it', async () => {
    const body = `  ${ciUser.pem.trim()}  \r\n\t${ciUser.keyPem.replace(/\n/g, ' \r\n')}\n\n`
    answerCerts(body)
    const { result } = await createCertificate()
    expect(result.errors).toEqual([])
    for (const line of keyLines(ciUser.keyPem)) expect(result.masks).toContain(line)
    expectNoKeyLinePrinted(visible(result), ciUser.keyPem)
  })

  it('refuses armour joined to other text, with every key line still masked and none printed', async () => {
    const joined = `${ciUser.pem.trim()}${ciUser.keyPem}`
    answerCerts(joined)
    const { result, runnerTemp } = await createCertificate()
    expect(result.errors).toEqual([
      {
        level: 'error',
        title: 'Unusable certificate response',
        message: expect.stringMatching(/Nothing was written/)
      }
    ])
    for (const line of keyLines(ciUser.keyPem).filter(l => l.length >= MIN_MASKED_LINE))
      expect(result.masks).toContain(line)
    expectNoKeyLinePrinted(visible(result), ciUser.keyPem)
    expect(readdirSync(runnerTemp)).toEqual([])
  })

  it('refuses a key armour line with key text after it on the same line', async () => {
    const [first, ...rest] = keyLines(ciUser.keyPem)
    const body = `${ciUser.pem}-----BEGIN PRIVATE KEY-----${first}\n${rest.join('\n')}\n-----END PRIVATE KEY-----\n`
    answerCerts(body)
    const { result } = await createCertificate()
    expect(result.errors[0]?.title).toBe('Unusable certificate response')
    expect(result.masks).toContain(first)
    expectNoKeyLinePrinted(visible(result), ciUser.keyPem)
  })

  it('refuses an oversized body unread: no line of it becomes a mask', async () => {
    const padding = 'a\nb\nc\n'.repeat(12_000)
    answerCerts(`${ciUser.pem}${ciUser.keyPem}-----BEGIN PRIVATE KEY-----\n${padding}`)
    const { result } = await createCertificate()
    expect(result.errors).toEqual([
      {
        level: 'error',
        title: 'Unusable certificate response',
        message: expect.stringMatching(/64 KiB/)
      }
    ])
    expect(result.masks.filter(s => s.length < MIN_MASKED_LINE)).toEqual([])
    expect(result.masks.some(s => s.includes('\na\nb\nc'))).toBe(false)
  })

  it('never registers short key lines from a key block made of tiny lines, and refuses it', async () => {
    const tiny = keyLines(ciUser.keyPem)
      .join('')
      .match(/.{1,2}/g)!
      .join('\n')
    answerCerts(`${ciUser.pem}-----BEGIN PRIVATE KEY-----\n${tiny}\n-----END PRIVATE KEY-----\n`)
    const { result } = await createCertificate()
    expect(result.errors[0]?.title).toBe('Unusable certificate response')
    // No two-letter mask blanks the log, and the refused body is no mask either.
    expect(result.masks.filter(s => s.length < MIN_MASKED_LINE)).toEqual([])
    expect(result.masks.filter(s => s.includes(tiny.slice(0, 20)))).toEqual([])
  })

  it('registers no mask from a body that is not a certificate and its key', async () => {
    const body = `${ciUser.pem}-----BEGIN PRIVATE KEY-----\nServiceUnavailableRetryLater\nerror\n-----END PRIVATE KEY-----\n`
    answerCerts(body)
    const { result, runnerTemp } = await createCertificate()
    expect(result.errors[0]?.title).toBe('Unusable certificate response')
    // Masks there are the step's credentials: nothing of the body, whole or line by line.
    expect(result.masks.filter(mask => body.includes(mask))).toEqual([])
    expect(readdirSync(runnerTemp)).toEqual([])
  })

  it('refuses a key with a line too short to mask, registering no short mask', async () => {
    // The key's base64 wrapped so that its last line holds 4 characters.
    const base64 = keyLines(ciUser.keyPem).join('')
    const width = [...Array(40).keys()]
      .map(i => i + 20)
      .find(w => base64.length % w > 0 && base64.length % w < MIN_MASKED_LINE)!
    const wrapped = base64.match(new RegExp(`.{1,${width}}`, 'g'))!
    answerCerts(
      `${ciUser.pem}-----BEGIN PRIVATE KEY-----\n${wrapped.join('\n')}\n-----END PRIVATE KEY-----\n`
    )
    const { result, runnerTemp } = await createCertificate()
    expect(result.errors).toEqual([
      {
        level: 'error',
        title: 'Unusable certificate response',
        message: expect.stringMatching(/shorter than 8 characters/)
      }
    ])
    expect(wrapped.at(-1)!.length).toBeLessThan(MIN_MASKED_LINE)
    expect(result.masks.filter(s => s.length < MIN_MASKED_LINE)).toEqual([])
    for (const line of wrapped.slice(0, -1)) expect(result.masks).toContain(line)
    expect(readdirSync(runnerTemp)).toEqual([])
  })
})

describe('the issued certificate is checked against the request', () => {
  it('refuses a certificate for another subject and writes nothing', async () => {
    answerCerts(otherUser.pem + otherUser.keyPem)
    const { result, runnerTemp } = await createCertificate()
    expect(result.errors).toEqual([
      {
        level: 'error',
        title: 'Unusable certificate response',
        message: expect.stringMatching(/CN=someone-else.*not CN=ci-user/)
      }
    ])
    expect(readdirSync(runnerTemp)).toEqual([])
    expect(result.outputs).toEqual({})
    expect(result.state).toMatchObject({ 'certificate-file': '' })
  })

  it('refuses an expired certificate (the runner is 100 days later than Atlas)', async () => {
    const { result, runnerTemp } = await mainStep(
      { operation: 'create-certificate', username: 'ci-user', months: '1' },
      { clock: daysOff(100) }
    )
    expect(result.errors).toEqual([
      {
        level: 'error',
        title: 'Unusable certificate response',
        message: expect.stringMatching(/expired at/)
      }
    ])
    expect(readdirSync(runnerTemp)).toEqual([])
  })

  it('refuses a certificate not valid for days yet (the runner is 2 days behind Atlas)', async () => {
    const { result } = await mainStep(
      { operation: 'create-certificate', username: 'ci-user' },
      { clock: daysOff(-2) }
    )
    expect(result.errors).toEqual([
      {
        level: 'error',
        title: 'Unusable certificate response',
        message: expect.stringMatching(/not valid before/)
      }
    ])
  })

  it('warns when the expiry is more than three days off the months asked for, and still delivers', async () => {
    answerCerts(ciUser.pem + ciUser.keyPem)
    const { result } = await createCertificate({ months: '6' })
    expect(result.errors).toEqual([])
    expect(result.warnings).toEqual([
      {
        level: 'warning',
        title: 'Certificate expiry differs from the request',
        message: expect.stringMatching(/\d+ day\(s\) earlier than the 6 month\(s\) asked for/)
      }
    ])
    expect(result.outputs['certificate-file']).toBeDefined()
  })

  it('accepts what the emulator issues: CN=<username>, expiry now + months', async () => {
    const { result } = await createCertificate({ months: '2' })
    expect(result.errors).toEqual([])
    expect(result.warnings).toEqual([])
    expect(result.outputs.subject).toBe('CN=ci-user')
  })
})

describe('paths and names', () => {
  it.each(['.', '..', 'a/b', '../other', '%2E%2E', 'a%2Fb', 'a\\b'])(
    'refuses the username %j before any request',
    async username => {
      for (const operation of ['create-certificate', 'list-certificates', 'delete-user']) {
        const { result } = await mainStep({ operation, username })
        expect(result.errors).toEqual([
          {
            level: 'error',
            title: 'Invalid input: username',
            message: expect.stringMatching(/cannot be used/)
          }
        ])
      }
      expect(atlasRequests(atlas.emulator)).toEqual([])
    }
  )

  it('refuses a symbolic link as the target, even a dangling one, before any request', async () => {
    const folder = atlas.tempDir('hostile-link-')
    symlinkSync(join(folder, 'nowhere.pem'), join(folder, 'link.pem'))
    const { result } = await createCertificate({ 'certificate-file': join(folder, 'link.pem') })
    expect(result.errors).toEqual([
      {
        level: 'error',
        title: 'Invalid input: certificate-file',
        message: expect.stringMatching(/symbolic link/)
      }
    ])
    expect(atlasRequests(atlas.emulator)).toEqual([])
  })

  it('refuses a folder that is a symbolic link, before any request', async () => {
    const folder = atlas.tempDir('hostile-link-')
    mkdirSync(join(folder, 'real'))
    symlinkSync(join(folder, 'real'), join(folder, 'linked'))
    const { result } = await createCertificate({
      'certificate-file': join(folder, 'linked', 'ci.pem')
    })
    expect(result.errors[0]).toMatchObject({
      level: 'error',
      title: 'Invalid input: certificate-file'
    })
    expect(result.errors[0]!.message).toMatch(/folder .* is a symbolic link/)
    expect(atlasRequests(atlas.emulator)).toEqual([])
  })

  it.each([
    ['the permission bits refuse', 'EACCES'],
    ['the folder is on a read-only mount', 'EROFS'],
    ['the quota is spent', 'EDQUOT']
  ])(
    'refuses a folder where no file can be created (%s), proven by a probe file before any request',
    async (_, code) => {
      const folder = atlas.tempDir('hostile-probe-')
      const opened: Array<{ path: string; flags: number; mode: number }> = []
      const refusing: FileSystem = {
        ...nodeFileSystem,
        open: (path, flags, mode) => {
          opened.push({ path, flags, mode })
          return Promise.reject(Object.assign(new Error(`${code}: cannot create`), { code }))
        }
      }
      const { result } = await mainStep(
        {
          operation: 'create-certificate',
          username: 'ci-user',
          'certificate-file': join(folder, 'ci.pem')
        },
        { fs: refusing }
      )
      expect(result.errors).toEqual([
        {
          level: 'error',
          title: 'Invalid input: certificate-file',
          message: expect.stringMatching(new RegExp(`${folder} is not writable.*${code}`))
        }
      ])
      // The probe is created as the certificate file will be: exclusive, 0600, in that folder.
      const exclusive = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL
      expect(opened).toEqual([
        {
          path: expect.stringMatching(new RegExp(`^${folder}/\\.atlas-x509-probe-`)),
          flags: exclusive,
          mode: 0o600
        }
      ])
      expect(atlasRequests(atlas.emulator)).toEqual([])
      expect(readdirSync(folder)).toEqual([])
    }
  )

  it('the probe file is removed again, and the certificate is written', async () => {
    const folder = atlas.tempDir('hostile-probe-ok-')
    const { result } = await mainStep({
      operation: 'create-certificate',
      username: 'ci-user',
      'certificate-file': join(folder, 'ci.pem'),
      cleanup: 'false'
    })
    expect(result.errors).toEqual([])
    expect(readdirSync(folder)).toEqual(['ci.pem'])
  })

  it('says what to do when the write fails after the certificate was issued', async () => {
    // The disk fills up between the folder's probe and the certificate's write.
    const full: FileSystem = {
      ...nodeFileSystem,
      open: async (path, flags, mode) => {
        if (path.includes('.atlas-x509-probe-')) return nodeFileSystem.open(path, flags, mode)
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })
      }
    }
    const { result } = await mainStep(
      { operation: 'create-certificate', username: 'ci-user' },
      { fs: full }
    )
    const issued = atlas.emulator.issuedCertificates(atlas.emulator.groupId, 'ci-user').at(-1)!
    expect(result.errors).toEqual([
      {
        level: 'error',
        title: 'Certificate file not written',
        message: expect.stringMatching(
          new RegExp(
            `ENOSPC.*issue.*serial ${issued.serialNumber.toUpperCase()}.*cannot be fetched again.*writable`
          )
        )
      }
    ])
    expect(result.state).toMatchObject({ 'certificate-file': '' })
  })

  it.each(['certificate-file', 'ca-file'])('refuses a control character in %s', async input => {
    const operation = input === 'ca-file' ? 'set-customer-x509' : 'create-certificate'
    const { result } = await mainStep({
      operation,
      username: 'ci-user',
      [input]: 'certs/a\n::error::b.pem'
    })
    expect(result.errors).toEqual([
      {
        level: 'error',
        title: `Invalid input: ${input}`,
        message: expect.stringMatching(/control character/)
      }
    ])
    expect(atlasRequests(atlas.emulator)).toEqual([])
  })
})
