export const id = 162;
export const ids = [162];
export const modules = {

/***/ 64162:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   IssuerError: () => (/* binding */ IssuerError),
/* harmony export */   loadIssuer: () => (/* binding */ loadIssuer)
/* harmony export */ });
/* unused harmony exports rfc2253, generateClientKey */
/* harmony import */ var reflect_metadata__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(80477);
/* harmony import */ var reflect_metadata__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(reflect_metadata__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(77598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_util__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(57975);
/* harmony import */ var node_util__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__webpack_require__.n(node_util__WEBPACK_IMPORTED_MODULE_2__);
/* harmony import */ var _peculiar_x509__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(8927);
/* harmony import */ var _distinguished_name_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(86359);
/* harmony import */ var _pem_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(39049);
/**
 * Signing client certificates on the runner with the project's own CA (self-managed X.509).
 * Loaded lazily (a chunk of its own): only a step given `issuer-certificate` loads the X.509
 * library. The certificate is built by @peculiar/x509 over node:crypto's WebCrypto; keys are made
 * by node:crypto and never leave the runner.
 */






_peculiar_x509__WEBPACK_IMPORTED_MODULE_3__/* .cryptoProvider */ .Ve.set(node_crypto__WEBPACK_IMPORTED_MODULE_1__.webcrypto);
const subtle = node_crypto__WEBPACK_IMPORTED_MODULE_1__.webcrypto.subtle;
const generate = (0,node_util__WEBPACK_IMPORTED_MODULE_2__.promisify)(node_crypto__WEBPACK_IMPORTED_MODULE_1__.generateKeyPair);
/** An issuer input that fails a check; the message names certificates by subject, never a key. */
class IssuerError extends Error {
    input;
    constructor(input, message) {
        super(message);
        this.input = input;
        this.name = 'IssuerError';
    }
}
/** Node prints a subject one attribute per line in certificate order; RFC 2253 reverses it. */
function rfc2253(certificate) {
    return certificate.subject.split('\n').filter(Boolean).reverse().join(',');
}
const issued = (child, parent) => child.checkIssued(parent) && child.verify(parent.publicKey);
const describe = (certificate) => rfc2253(certificate) || '(empty subject)';
/** Reads and checks the issuer: a CA chain valid now, and the private key of its first certificate. */
async function loadIssuer(certificatePem, keyPem, nowMs) {
    const chain = readChain(certificatePem, nowMs);
    const key = readKey(keyPem);
    const signer = chain[0];
    if (!signer.checkPrivateKey(key)) {
        throw new IssuerError('issuer-key', `The key does not belong to ${describe(signer)}, the first certificate of issuer-certificate: give that CA's private key.`);
    }
    const signing = await signingKey(key);
    const expiresAtMs = Math.min(...chain.map(c => Date.parse(c.validTo)));
    return {
        chain,
        subject: describe(signer),
        expiresAtMs,
        reaches: trusted => chain.some(link => trusted.some(ca => ca.fingerprint256 === link.fingerprint256 || issued(link, ca))),
        sign: request => signClient(signer, chain, signing, request)
    };
}
function readChain(pem, nowMs) {
    const chain = readCertificates(pem);
    chain.forEach((certificate, i) => {
        const name = `${i === 0 ? 'The signing CA' : `Certificate ${i + 1}`} (${describe(certificate)})`;
        const usage = new _peculiar_x509__WEBPACK_IMPORTED_MODULE_3__/* .X509Certificate */ .yI(certificate.raw).getExtension(_peculiar_x509__WEBPACK_IMPORTED_MODULE_3__/* .KeyUsagesExtension */ .hy);
        if (usage && !(usage.usages & _peculiar_x509__WEBPACK_IMPORTED_MODULE_3__/* .KeyUsageFlags */ .Ob.keyCertSign))
            throw new IssuerError('issuer-certificate', `${name} has a key usage without keyCertSign: it may not sign certificates.`);
        // Node's `ca` also requires keyCertSign where a key usage is present: that is checked first,
        // to say which is missing.
        if (!certificate.ca)
            throw new IssuerError('issuer-certificate', `${name} is not a CA certificate (its basic constraints do not say CA:TRUE): a CA must sign client certificates.`);
        const from = Date.parse(certificate.validFrom);
        const to = Date.parse(certificate.validTo);
        if (to <= nowMs)
            throw new IssuerError('issuer-certificate', `${name} expired at ${new Date(to).toISOString()}.`);
        if (from > nowMs)
            throw new IssuerError('issuer-certificate', `${name} is not valid before ${new Date(from).toISOString()}.`);
        const parent = chain[i + 1];
        if (parent && !issued(certificate, parent))
            throw new IssuerError('issuer-certificate', `${name} was not issued by the certificate after it (${describe(parent)}): give the signing CA first, then each intermediate up to the CA the project trusts, in order.`);
    });
    return chain;
}
/** Every certificate of the PEM text, in order; anything else in it is refused. */
function readCertificates(pem) {
    const parsed = (0,_pem_js__WEBPACK_IMPORTED_MODULE_5__/* .parsePem */ .oW)(pem);
    const accepted = 'Give the signing CA certificate, then each intermediate up to a CA the project trusts, as PEM (-----BEGIN CERTIFICATE----- blocks only).';
    if (parsed.blocks.length === 0 || parsed.strayText)
        throw new IssuerError('issuer-certificate', `No certificate, or text outside the PEM blocks. ${accepted}`);
    return parsed.blocks.map((block, i) => {
        if (block.label !== 'CERTIFICATE' || !block.complete)
            throw new IssuerError('issuer-certificate', `Block ${i + 1} is ${block.complete ? `a ${block.label}` : 'cut short'}, not a CERTIFICATE${(0,_pem_js__WEBPACK_IMPORTED_MODULE_5__/* .isPrivateKeyLabel */ .RT)(block.label) ? ' (the key goes in issuer-key, from a secret)' : ''}. ${accepted}`);
        try {
            return new node_crypto__WEBPACK_IMPORTED_MODULE_1__.X509Certificate((0,_pem_js__WEBPACK_IMPORTED_MODULE_5__/* .blockText */ .dK)(block));
        }
        catch {
            throw new IssuerError('issuer-certificate', `Block ${i + 1} does not parse as an X.509 certificate.`);
        }
    });
}
function readKey(pem) {
    const parsed = (0,_pem_js__WEBPACK_IMPORTED_MODULE_5__/* .parsePem */ .oW)(pem);
    const keys = parsed.blocks.filter(b => b.complete && (0,_pem_js__WEBPACK_IMPORTED_MODULE_5__/* .isPrivateKeyLabel */ .RT)(b.label));
    const accepted = 'Give the unencrypted private key of the signing CA as PEM: PKCS#8 (BEGIN PRIVATE KEY), PKCS#1 (BEGIN RSA PRIVATE KEY) or SEC1 (BEGIN EC PRIVATE KEY), RSA or EC.';
    if (keys.length !== 1 || parsed.blocks.length !== 1)
        throw new IssuerError('issuer-key', `Expected exactly one private-key block. ${accepted}`);
    let key;
    try {
        key = (0,node_crypto__WEBPACK_IMPORTED_MODULE_1__.createPrivateKey)(pem);
    }
    catch {
        // Node's message may quote the input: it is not repeated.
        throw new IssuerError('issuer-key', `The key does not parse (an encrypted key needs its passphrase, which this action does not take). ${accepted}`);
    }
    if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'ec')
        throw new IssuerError('issuer-key', `A ${key.asymmetricKeyType ?? 'unknown'} key is not supported. ${accepted}`);
    return key;
}
const CURVES = {
    prime256v1: { namedCurve: 'P-256', hash: 'SHA-256' },
    secp384r1: { namedCurve: 'P-384', hash: 'SHA-384' },
    secp521r1: { namedCurve: 'P-521', hash: 'SHA-512' }
};
/** The issuer key as a WebCrypto signing key, with the signature algorithm it signs with. */
async function signingKey(key) {
    const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
    if (key.asymmetricKeyType === 'rsa') {
        const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
        return { key: await subtle.importKey('pkcs8', pkcs8, algorithm, false, ['sign']), algorithm };
    }
    const curve = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''];
    if (!curve)
        throw new IssuerError('issuer-key', `The EC curve ${key.asymmetricKeyDetails?.namedCurve ?? '(unknown)'} is not supported: use P-256, P-384 or P-521.`);
    const imported = await subtle.importKey('pkcs8', pkcs8, { name: 'ECDSA', namedCurve: curve.namedCurve }, false, ['sign']);
    return { key: imported, algorithm: { name: 'ECDSA', hash: curve.hash } };
}
/** A new client key pair, made on the runner. */
async function generateClientKey(keyType) {
    if (keyType === 'ec-p256')
        return generate('ec', { namedCurve: 'P-256' });
    return generate('rsa', { modulusLength: keyType === 'rsa-4096' ? 4096 : 2048 });
}
/** A positive serial of 16 random bytes (at least 64 bits of randomness), hex. */
function randomSerial() {
    const bytes = (0,node_crypto__WEBPACK_IMPORTED_MODULE_1__.randomBytes)(16);
    bytes[0] = (bytes[0] & 0x7f) | 0x10;
    return bytes.toString('hex');
}
async function signClient(signer, chain, signing, request) {
    const keys = await generateClientKey(request.keyType);
    const spki = keys.publicKey.export({ type: 'spki', format: 'der' });
    const issuerCertificate = new _peculiar_x509__WEBPACK_IMPORTED_MODULE_3__/* .X509Certificate */ .yI(signer.raw);
    const issuerKeyId = issuerCertificate.getExtension(_peculiar_x509__WEBPACK_IMPORTED_MODULE_3__/* .SubjectKeyIdentifierExtension */ .QE)?.keyId;
    const publicKey = new _peculiar_x509__WEBPACK_IMPORTED_MODULE_3__/* .PublicKey */ .J3(spki);
    const built = await _peculiar_x509__WEBPACK_IMPORTED_MODULE_3__/* .X509CertificateGenerator */ .Jy.create({
        serialNumber: randomSerial(),
        // The issuer's subject as encoded in its certificate, so the chain links byte for byte.
        issuer: issuerCertificate.subjectName,
        // DER lists the least specific part first: RFC 2253 text reversed.
        subject: [...request.subject].reverse().map(({ type, value }) => ({
            [_distinguished_name_js__WEBPACK_IMPORTED_MODULE_4__/* .ATTRIBUTE_OIDS */ .zN[type]]: [value]
        })),
        notBefore: request.notBefore,
        notAfter: request.notAfter,
        publicKey,
        signingKey: signing.key,
        signingAlgorithm: signing.algorithm,
        extensions: [
            new _peculiar_x509__WEBPACK_IMPORTED_MODULE_3__/* .BasicConstraintsExtension */ .WA(false, undefined, true),
            new _peculiar_x509__WEBPACK_IMPORTED_MODULE_3__/* .KeyUsagesExtension */ .hy(_peculiar_x509__WEBPACK_IMPORTED_MODULE_3__/* .KeyUsageFlags */ .Ob.digitalSignature, true),
            new _peculiar_x509__WEBPACK_IMPORTED_MODULE_3__/* .ExtendedKeyUsageExtension */ .j6([_peculiar_x509__WEBPACK_IMPORTED_MODULE_3__/* .ExtendedKeyUsage */ .CD.clientAuth], false),
            await _peculiar_x509__WEBPACK_IMPORTED_MODULE_3__/* .SubjectKeyIdentifierExtension */ .QE.create(publicKey),
            issuerKeyId
                ? new _peculiar_x509__WEBPACK_IMPORTED_MODULE_3__/* .AuthorityKeyIdentifierExtension */ .Z$(issuerKeyId)
                : await _peculiar_x509__WEBPACK_IMPORTED_MODULE_3__/* .AuthorityKeyIdentifierExtension */ .Z$.create(signer.publicKey.export({ type: 'spki', format: 'der' }))
        ]
    });
    const certificatePem = built.toString('pem').trim() + '\n';
    const keyPem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const keyLines = keyPem
        .split('\n')
        .map(line => line.trim())
        .filter(line => line && !line.startsWith('-----'));
    const chainPem = chain.map(c => c.toString().trim() + '\n').join('');
    const certificate = new node_crypto__WEBPACK_IMPORTED_MODULE_1__.X509Certificate(certificatePem);
    // Node's own reading of what the library built: a certificate its issuer did not sign is a defect.
    const subject = request.subject.map(({ type, value }) => `${type}=${value}`).join(',');
    if (!issued(certificate, signer) || rfc2253(certificate) !== subject)
        throw new Error('The signed certificate does not verify against its issuer or names another subject.');
    return { pem: certificatePem + chainPem + keyPem, keyLines, certificate };
}


/***/ })

};
