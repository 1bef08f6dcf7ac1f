/**
 * libsodium's sealed box (`crypto_box_seal`), which GitHub requires for Actions secrets: an
 * ephemeral X25519 key pair, the nonce blake2b-192(ephemeral public key || recipient public key),
 * and XSalsa20-Poly1305 (`crypto_box`). Output: ephemeral public key || ciphertext.
 *
 * Loaded only through a dynamic import, so steps that store no secret never load it.
 */
import blakejs from 'blakejs'
import nacl from 'tweetnacl'

export const PUBLIC_KEY_BYTES = nacl.box.publicKeyLength

/**
 * Why `publicKey` cannot receive a sealed secret, or undefined. A low-order point (all zeros, 1,
 * p - 1, the order-8 points and their non-canonical forms) makes every shared key the same
 * known value, so the sealed value would be readable by anyone: X25519 with a random clamped
 * scalar, which is a multiple of 8, gives all zeros exactly for those points.
 */
export function publicKeyProblem(publicKey: Uint8Array): string | undefined {
  if (publicKey.length !== PUBLIC_KEY_BYTES) {
    return `has ${publicKey.length} bytes; an X25519 key has ${PUBLIC_KEY_BYTES}.`
  }
  const scalar = nacl.randomBytes(nacl.scalarMult.scalarLength)
  const shared = nacl.scalarMult(scalar, publicKey)
  scalar.fill(0)
  if (shared.every(byte => byte === 0)) {
    return 'is a low-order point of Curve25519: whatever is sealed with it can be opened by anyone.'
  }
  return undefined
}

/** Seals `message` for the holder of the X25519 secret key matching `recipientPublicKey`. */
export function seal(message: Uint8Array, recipientPublicKey: Uint8Array): Uint8Array {
  const problem = publicKeyProblem(recipientPublicKey)
  if (problem) throw new Error(`The public key ${problem}`)
  const ephemeral = nacl.box.keyPair()
  const nonce = sealNonce(ephemeral.publicKey, recipientPublicKey)
  const boxed = nacl.box(message, nonce, recipientPublicKey, ephemeral.secretKey)
  ephemeral.secretKey.fill(0)
  const sealed = new Uint8Array(ephemeral.publicKey.length + boxed.length)
  sealed.set(ephemeral.publicKey)
  sealed.set(boxed, ephemeral.publicKey.length)
  return sealed
}

function sealNonce(ephemeralPublicKey: Uint8Array, recipientPublicKey: Uint8Array): Uint8Array {
  const input = new Uint8Array(ephemeralPublicKey.length + recipientPublicKey.length)
  input.set(ephemeralPublicKey)
  input.set(recipientPublicKey, ephemeralPublicKey.length)
  return blakejs.blake2b(input, undefined, nacl.box.nonceLength)
}

/** GitHub's form: the value sealed with the base64 public key, base64 encoded. */
export function sealForGitHub(value: string, publicKeyBase64: string): string {
  const key = new Uint8Array(Buffer.from(publicKeyBase64, 'base64'))
  return Buffer.from(seal(new TextEncoder().encode(value), key)).toString('base64')
}
