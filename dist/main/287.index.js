export const id = 287;
export const ids = [287];
export const modules = {

/***/ 42287:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   PUBLIC_KEY_BYTES: () => (/* binding */ PUBLIC_KEY_BYTES),
/* harmony export */   publicKeyProblem: () => (/* binding */ publicKeyProblem),
/* harmony export */   seal: () => (/* binding */ seal),
/* harmony export */   sealForGitHub: () => (/* binding */ sealForGitHub)
/* harmony export */ });
/* harmony import */ var blakejs__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(99874);
/* harmony import */ var blakejs__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(blakejs__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var tweetnacl__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(80668);
/* harmony import */ var tweetnacl__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(tweetnacl__WEBPACK_IMPORTED_MODULE_1__);
/**
 * libsodium's sealed box (`crypto_box_seal`), which GitHub requires for Actions secrets: an
 * ephemeral X25519 key pair, the nonce blake2b-192(ephemeral public key || recipient public key),
 * and XSalsa20-Poly1305 (`crypto_box`). Output: ephemeral public key || ciphertext.
 *
 * Loaded only through a dynamic import, so steps that store no secret never load it.
 */


const PUBLIC_KEY_BYTES = (tweetnacl__WEBPACK_IMPORTED_MODULE_1___default().box).publicKeyLength;
/**
 * Why `publicKey` cannot receive a sealed secret, or undefined. A low-order point (all zeros, 1,
 * p - 1, the order-8 points and their non-canonical forms) makes every shared key the same
 * known value, so the sealed value would be readable by anyone: X25519 with a random clamped
 * scalar, which is a multiple of 8, gives all zeros exactly for those points.
 */
function publicKeyProblem(publicKey) {
    if (publicKey.length !== PUBLIC_KEY_BYTES) {
        return `has ${publicKey.length} bytes; an X25519 key has ${PUBLIC_KEY_BYTES}.`;
    }
    const scalar = tweetnacl__WEBPACK_IMPORTED_MODULE_1___default().randomBytes((tweetnacl__WEBPACK_IMPORTED_MODULE_1___default().scalarMult).scalarLength);
    const shared = tweetnacl__WEBPACK_IMPORTED_MODULE_1___default().scalarMult(scalar, publicKey);
    scalar.fill(0);
    if (shared.every(byte => byte === 0)) {
        return 'is a low-order point of Curve25519: whatever is sealed with it can be opened by anyone.';
    }
    return undefined;
}
/** Seals `message` for the holder of the X25519 secret key matching `recipientPublicKey`. */
function seal(message, recipientPublicKey) {
    const problem = publicKeyProblem(recipientPublicKey);
    if (problem)
        throw new Error(`The public key ${problem}`);
    const ephemeral = tweetnacl__WEBPACK_IMPORTED_MODULE_1___default().box.keyPair();
    const nonce = sealNonce(ephemeral.publicKey, recipientPublicKey);
    const boxed = tweetnacl__WEBPACK_IMPORTED_MODULE_1___default().box(message, nonce, recipientPublicKey, ephemeral.secretKey);
    ephemeral.secretKey.fill(0);
    const sealed = new Uint8Array(ephemeral.publicKey.length + boxed.length);
    sealed.set(ephemeral.publicKey);
    sealed.set(boxed, ephemeral.publicKey.length);
    return sealed;
}
function sealNonce(ephemeralPublicKey, recipientPublicKey) {
    const input = new Uint8Array(ephemeralPublicKey.length + recipientPublicKey.length);
    input.set(ephemeralPublicKey);
    input.set(recipientPublicKey, ephemeralPublicKey.length);
    return blakejs__WEBPACK_IMPORTED_MODULE_0___default().blake2b(input, undefined, (tweetnacl__WEBPACK_IMPORTED_MODULE_1___default().box).nonceLength);
}
/** GitHub's form: the value sealed with the base64 public key, base64 encoded. */
function sealForGitHub(value, publicKeyBase64) {
    const key = new Uint8Array(Buffer.from(publicKeyBase64, 'base64'));
    return Buffer.from(seal(new TextEncoder().encode(value), key)).toString('base64');
}


/***/ })

};
