export const id = 413;
export const ids = [413];
export const modules = {

/***/ 86359:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   D$: () => (/* binding */ formatDistinguishedName),
/* harmony export */   Qi: () => (/* binding */ ACCEPTED_NAME),
/* harmony export */   XU: () => (/* binding */ parseDistinguishedName),
/* harmony export */   zN: () => (/* binding */ ATTRIBUTE_OIDS)
/* harmony export */ });
/**
 * Distinguished names as Atlas names CUSTOMER X.509 users: RFC 2253 text, most specific part
 * first (`CN=ci-7,OU=ci,O=Acme`), exactly as mongod prints a certificate's subject. Pure.
 */
/**
 * The attribute types accepted, with their OIDs: the RFC 2253 keywords that OpenSSL (and so
 * mongod) prints under the same name. STREET is left out: OpenSSL prints it as `street`.
 */
const ATTRIBUTE_OIDS = {
    CN: '2.5.4.3',
    L: '2.5.4.7',
    ST: '2.5.4.8',
    O: '2.5.4.10',
    OU: '2.5.4.11',
    C: '2.5.4.6',
    DC: '0.9.2342.19200300.100.1.25',
    UID: '0.9.2342.19200300.100.1.1'
};
/**
 * Characters a value may hold: printable ASCII without those RFC 2253 escapes (`,+"\<>;=#`).
 * A value that needs escaping could be printed differently by mongod than written here, and
 * the user's name would then never match its certificate; `/` and `%` cannot be in a user's
 * name in an Atlas path.
 */
const VALUE = /^[A-Za-z0-9 '().:?@_&!*$^{}[\]|~-]+$/;
/** X.520 upper bounds (RFC 5280 Appendix A). */
const MAX_LENGTH = {
    CN: 64,
    L: 128,
    ST: 128,
    O: 64,
    OU: 64,
    C: 2
};
const ACCEPTED_NAME = 'RFC 2253 text, most specific part first, e.g. `OU=ci,O=Acme,C=GB`: attributes CN, OU, O, L, ST, C, DC or UID, each `TYPE=value` separated by commas, values of printable ASCII without `, + " \\ < > ; = # / %` and without leading or trailing spaces.';
/** Parses RFC 2253 text; throws an Error saying what is wrong (the caller names the input). */
function parseDistinguishedName(text) {
    if (text.trim() === '')
        throw new Error('The name is empty.');
    return text.split(',').map(part => {
        if (part.includes('+'))
            throw new Error(`"${part}" is a multi-valued part (with +), which is not supported.`);
        const at = part.indexOf('=');
        if (at < 0)
            throw new Error(`"${part}" is not TYPE=value.`);
        const type = part.slice(0, at).trim().toUpperCase();
        const value = part.slice(at + 1);
        if (!(type in ATTRIBUTE_OIDS))
            throw new Error(`"${part.slice(0, at).trim()}" is not an accepted attribute type.`);
        if (value === '' || value !== value.trim() || !VALUE.test(value))
            throw new Error(`The value of "${part.trim()}" is empty or holds a character not accepted.`);
        const max = MAX_LENGTH[type];
        if (max !== undefined && value.length > max)
            throw new Error(`The value of ${type} is longer than ${max} characters.`);
        if (type === 'C' && !/^[A-Z]{2}$/.test(value))
            throw new Error(`C=${value} is not a two-letter country code (upper case).`);
        return { type: type, value };
    });
}
/** The name as RFC 2253 text: types upper case, no spaces around `=` and `,`. */
function formatDistinguishedName(name) {
    return name.map(({ type, value }) => `${type}=${value}`).join(',');
}


/***/ }),

/***/ 39049:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   CG: () => (/* binding */ distinguishedName),
/* harmony export */   PS: () => (/* binding */ addMonths),
/* harmony export */   Pw: () => (/* binding */ readCertificateResponse),
/* harmony export */   RT: () => (/* binding */ isPrivateKeyLabel),
/* harmony export */   dK: () => (/* binding */ blockText),
/* harmony export */   ll: () => (/* binding */ checkAgainstRequest),
/* harmony export */   oW: () => (/* binding */ parsePem)
/* harmony export */ });
/* unused harmony exports CertificateResponseError, MAX_CERTIFICATE_RESPONSE_BYTES, MIN_MASKED_LINE */
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(77598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(83916);


/** The certificate response failed its check; the message never contains any of the body. */
class CertificateResponseError extends _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .TitledError */ .D {
    constructor(message) {
        super('Unusable certificate response', message);
        this.name = 'CertificateResponseError';
    }
}
const BEGIN = /^-----BEGIN ([A-Z0-9 ]+)-----$/;
const END = /^-----END ([A-Z0-9 ]+)-----$/;
/** Reads PEM text line by line: armour lines must stand alone on their line. */
function parsePem(text) {
    const blocks = [];
    let strayText = false;
    let open;
    for (const raw of text.split('\n')) {
        const line = raw.replace(/\r/g, '').trim();
        const begin = BEGIN.exec(line);
        const end = END.exec(line);
        if (begin) {
            if (open)
                strayText = true;
            open = { label: begin[1], lines: [], complete: false };
            blocks.push(open);
        }
        else if (end) {
            if (open && end[1] === open.label)
                open.complete = true;
            else
                strayText = true;
            open = undefined;
        }
        else if (open) {
            if (line)
                open.lines.push(line);
        }
        else if (line) {
            strayText = true;
        }
    }
    return { blocks, strayText };
}
function isPrivateKeyLabel(label) {
    return label.endsWith('PRIVATE KEY');
}
/** A block as PEM text with `\n` line ends. */
function blockText(block) {
    return `-----BEGIN ${block.label}-----\n${block.lines.join('\n')}\n-----END ${block.label}-----\n`;
}
/** Atlas sends raw PEM text; accept a JSON-quoted string too, as a client that read it as JSON would. */
function unquote(body) {
    const trimmed = body.trim();
    if (trimmed.startsWith('"')) {
        try {
            const value = JSON.parse(trimmed);
            if (typeof value === 'string')
                return value;
        }
        catch {
            // not JSON: checked as PEM, and refused there
        }
    }
    return body;
}
/** A certificate and its key are a few KB: a larger answer is refused unread. */
const MAX_CERTIFICATE_RESPONSE_BYTES = 64 * 1024;
/**
 * No shorter string from a server's answer is ever registered as a mask: the runner would blank it
 * wherever it appears in the rest of the log. A key line that short cannot be masked, so a key
 * with one is refused.
 */
const MIN_MASKED_LINE = 8;
const BASE64_LINE = /^[A-Za-z0-9+/]+={0,2}$/;
const PRIVATE_KEY_BEGIN = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----/g;
const isMaskable = (value) => value.length >= MIN_MASKED_LINE;
/** A private-key block the check can accept: complete, and every line base64 and maskable. */
function isMaskableKeyBlock(block) {
    return (block.complete &&
        block.lines.length > 0 &&
        block.lines.every(line => BASE64_LINE.test(line) && isMaskable(line)));
}
function parsesAsKey(block) {
    try {
        (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createPrivateKey)(blockText(block));
        return true;
    }
    catch {
        return false;
    }
}
/**
 * Key blocks wherever a private-key BEGIN marker appears, on its own line or not: the
 * whitespace-separated pieces up to the next armour (or the end of the body). This covers bodies
 * the strict parse refuses (armour joined to other text).
 */
function looseKeyBlocks(text) {
    const found = [];
    for (const match of text.matchAll(PRIVATE_KEY_BEGIN)) {
        const from = match.index + match[0].length;
        const next = text.indexOf('-----', from);
        const material = text.slice(from, next === -1 ? undefined : next);
        const lines = material.split(/\s+/).filter(Boolean);
        if (lines.every(line => BASE64_LINE.test(line)))
            found.push({ label: match[1], lines, complete: true });
    }
    return found;
}
/**
 * Whether the runner may mask `value` whole: it masks each line of a multi-line mask too, so
 * every line must be empty or maskable.
 */
function maskableWhole(value) {
    return value.split(/\r\n|\r|\n/).every(line => line === '' || isMaskable(line));
}
function readCertificateResponse(body) {
    const size = Buffer.byteLength(body, 'utf8');
    if (size > MAX_CERTIFICATE_RESPONSE_BYTES) {
        // Nothing of it is parsed or registered: a body this size is not a certificate and a key.
        return {
            masks: [],
            check: () => {
                throw new CertificateResponseError(`Atlas's certificate response is ${size} bytes, more than the ${MAX_CERTIFICATE_RESPONSE_BYTES / 1024} KiB a certificate and key can take; refused unread. Nothing was written.`);
            }
        };
    }
    const text = unquote(body);
    const parsed = parsePem(text);
    const masks = new Set();
    // Only lines of what is really a key: text in key armour that is not one is no secret, and its
    // lines could be any words of the log.
    const keyBlocks = [
        ...parsed.blocks.filter(block => isPrivateKeyLabel(block.label)),
        ...looseKeyBlocks(text.replace(/\r/g, '\n'))
    ];
    for (const block of keyBlocks) {
        if (block.complete && parsesAsKey(block))
            for (const line of block.lines)
                if (isMaskable(line))
                    masks.add(line);
    }
    let verdict;
    try {
        verdict = { issued: checkIssued(parsed) };
    }
    catch (error) {
        verdict = { error };
    }
    // The whole body only when it is a certificate and its key: any other body is no secret. The
    // PEM as written (the `certificate` output) too, where blanks or line ends made it differ.
    if ('issued' in verdict) {
        for (const value of [body.trim(), text.trim(), verdict.issued.pem.trim()])
            if (maskableWhole(value))
                masks.add(value);
    }
    return {
        masks: [...masks],
        check: () => {
            if ('error' in verdict)
                throw verdict.error;
            return verdict.issued;
        }
    };
}
function checkIssued(parsed) {
    // A block cut short is no block: it counts as stray text.
    const complete = parsed.blocks.filter(b => b.complete);
    const certs = complete.filter(b => b.label === 'CERTIFICATE');
    const keys = complete.filter(b => isPrivateKeyLabel(b.label));
    const others = complete.length - certs.length - keys.length;
    const incomplete = complete.length < parsed.blocks.length;
    if (certs.length !== 1 || keys.length !== 1 || others > 0 || parsed.strayText || incomplete) {
        throw new CertificateResponseError(`Atlas's certificate response is not one certificate and one private key (found ${certs.length} certificate block(s), ${keys.length} key block(s), ${others} other block(s)${parsed.strayText || incomplete ? ' and stray text' : ''}). Nothing was written.`);
    }
    if (!certs[0].lines.every(line => BASE64_LINE.test(line)) || !isMaskableKeyBlock(keys[0])) {
        throw new CertificateResponseError(`Atlas's certificate response has lines inside its PEM blocks that are not base64 (or a key line shorter than ${MIN_MASKED_LINE} characters, which could not be masked). Nothing was written.`);
    }
    const certPem = blockText(certs[0]);
    const keyPem = blockText(keys[0]);
    let certificate;
    try {
        certificate = new node_crypto__WEBPACK_IMPORTED_MODULE_0__.X509Certificate(certPem);
    }
    catch {
        throw new CertificateResponseError("Atlas's certificate block does not parse as an X.509 certificate. Nothing was written.");
    }
    let matches;
    try {
        matches = certificate.checkPrivateKey((0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createPrivateKey)(keyPem));
    }
    catch {
        throw new CertificateResponseError("Atlas's private-key block does not parse as a private key. Nothing was written.");
    }
    if (!matches) {
        throw new CertificateResponseError("The private key in Atlas's response does not match its certificate. Nothing was written.");
    }
    const validFrom = Date.parse(certificate.validFrom);
    const validTo = Date.parse(certificate.validTo);
    if (!Number.isFinite(validFrom) || !Number.isFinite(validTo)) {
        throw new CertificateResponseError("Atlas's certificate has a validity period Node cannot read. Nothing was written.");
    }
    return {
        pem: certPem + keyPem,
        subject: distinguishedName(certificate.subject),
        commonName: soleCommonName(certificate),
        serialNumber: certificate.serialNumber.toUpperCase(),
        fingerprintSha256: certificate.fingerprint256,
        validFrom: new Date(validFrom).toISOString(),
        expiresAt: new Date(validTo).toISOString()
    };
}
/** The CN of a subject that is exactly one CN attribute (unescaped), else undefined. */
function soleCommonName(certificate) {
    const subject = certificate.toLegacyObject().subject ?? {};
    const names = Object.keys(subject);
    return names.length === 1 && typeof subject.CN === 'string' ? subject.CN : undefined;
}
const DAY_MS = 86_400_000;
/** Clock skew allowed between the runner and Atlas for a notBefore in the future. */
const MAX_NOT_BEFORE_SKEW_MS = 3600_000;
/** How far the expiry may be from now + months before it is worth a warning. */
const EXPIRY_TOLERANCE_MS = 3 * DAY_MS;
/** `now` plus whole calendar months, as Atlas counts monthsUntilExpiration. */
function addMonths(now, months) {
    const date = new Date(now);
    date.setUTCMonth(date.getUTCMonth() + months);
    return date.getTime();
}
/**
 * Checks an issued certificate against what was asked: refuses (CertificateResponseError) one
 * for another user, already expired or not valid for a long while yet; returns a warning when its
 * expiry is more than a few days off now + months.
 */
function checkAgainstRequest(issued, request) {
    const { username, months, now } = request;
    if (issued.commonName !== username) {
        throw new CertificateResponseError(`Atlas returned a certificate for the subject ${JSON.stringify(issued.subject.slice(0, 200))}, not CN=${username} as asked. It cannot authenticate ${username}; nothing was written.`);
    }
    const expiresAt = Date.parse(issued.expiresAt);
    if (expiresAt <= now) {
        throw new CertificateResponseError(`Atlas returned a certificate that expired at ${issued.expiresAt}, before now (${new Date(now).toISOString()}). Nothing was written: check the runner's clock, then run again.`);
    }
    if (Date.parse(issued.validFrom) > now + MAX_NOT_BEFORE_SKEW_MS) {
        throw new CertificateResponseError(`Atlas returned a certificate that is not valid before ${issued.validFrom}, more than an hour from now (${new Date(now).toISOString()}). Nothing was written: check the runner's clock, then run again.`);
    }
    const expected = addMonths(now, months);
    if (Math.abs(expiresAt - expected) > EXPIRY_TOLERANCE_MS) {
        const days = Math.round((expiresAt - expected) / DAY_MS);
        return `The certificate for ${username} expires at ${issued.expiresAt}, ${Math.abs(days)} day(s) ${days < 0 ? 'earlier' : 'later'} than the ${months} month(s) asked for (${new Date(expected).toISOString()}).`;
    }
    return undefined;
}
/** Node prints a DN one attribute per line; outputs use the one-line `CN=a,OU=b` form. */
function distinguishedName(multiline) {
    return multiline.split('\n').filter(Boolean).join(',');
}


/***/ }),

/***/ 83916:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   D: () => (/* binding */ TitledError),
/* harmony export */   d: () => (/* binding */ InputError)
/* harmony export */ });
/**
 * The base of every failure the action reports on purpose. A leaf: each error knows its own
 * annotation, so the report names no module that throws.
 */
/** A failure that names itself: `title` is the annotation's title, `annotation` its text. */
class TitledError extends Error {
    title;
    constructor(title, message, options) {
        super(message, options);
        this.title = title;
        this.name = 'TitledError';
    }
    /** The annotation's text: what happened and what to do. */
    get annotation() {
        return this.message;
    }
}
/** A bad input, named, with what is accepted: reported before any request is sent. */
class InputError extends TitledError {
    input;
    constructor(input, message) {
        super(`Invalid input: ${input}`, message);
        this.input = input;
        this.name = 'InputError';
    }
}


/***/ }),

/***/ 13413:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  run: () => (/* binding */ run)
});

// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(83916);
;// CONCATENATED MODULE: ./src/inputs/inputs.ts
/**
 * Reading inputs: the reader type, the error every bad input becomes, and the parsers that more
 * than one operation uses. Pure: nothing here performs I/O.
 */


/**
 * Every input default that does not depend on the operation, in one place (action.yml states the
 * same ones; a test compares them).
 */
const DEFAULTS = {
    operation: 'create-certificate',
    'base-url': 'https://cloud.mongodb.com',
    'timeout-seconds': 60,
    'max-retries': 4,
    'output-certificate': false,
    cleanup: true,
    'ephemeral-ttl-hours': 24,
    'wait-until-ready': true,
    'ready-timeout-seconds': 300,
    'verify-login': false,
    /** Where `access-list: runner` asks for the runner's public address: plain text, AWS-operated. */
    'runner-ip-url': 'https://checkip.amazonaws.com',
    'dry-run': false,
    'prune-limit': 100,
    'expiry-warning-days': 30,
    'key-type': 'ec-p256'
};
function parseInteger(read, name, fallback, min, max) {
    const raw = read(name);
    if (raw === '')
        return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
        throw new errors/* InputError */.d(name, `"${raw}" is not accepted: expected a whole number from ${min} to ${max}.`);
    }
    return Number(raw);
}
/** YAML 1.2 core-schema booleans, as `core.getBooleanInput` accepts them. */
function parseBoolean(read, name, fallback) {
    const raw = read(name);
    if (raw === '')
        return fallback;
    if (['true', 'True', 'TRUE'].includes(raw))
        return true;
    if (['false', 'False', 'FALSE'].includes(raw))
        return false;
    throw new errors/* InputError */.d(name, `"${raw}" is not a boolean: use true or false.`);
}
const isControlCharacter = (c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f;
/** The `username` input: a database user in `$external`. */
function parseUsername(read) {
    const username = read('username');
    if (!username)
        throw new errors/* InputError */.d('username', 'Required: the name of the database user in `$external`.');
    if (username.length > 1024 || [...username].some(isControlCharacter)) {
        throw new errors/* InputError */.d('username', 'Expected at most 1024 printable characters.');
    }
    const rewritten = pathSegmentProblem(username);
    if (rewritten)
        throw new errors/* InputError */.d('username', `"${username}" ${rewritten}`);
    return username;
}
/**
 * Why a value cannot be one path segment of an Atlas URL, or undefined when it can. Percent-
 * encoding keeps `/` and `?` inside the segment, but URL parsers and servers still rewrite some
 * segments after it: `.` and `..` (also as `%2E`) are resolved as relative paths, `%2F` and `%5C`
 * are decoded to separators by some proxies, and `%` itself invites a second decoding. A name
 * that could be rewritten would address another resource.
 */
function pathSegmentProblem(value) {
    if (value === '.' || value === '..')
        return 'cannot be used: URL normalisation resolves it as a relative path segment.';
    if (/[/\\%]/.test(value))
        return 'cannot be used: names with `/`, `\\` or `%` can be rewritten to another path by URL normalisation or a proxy that decodes the path.';
    return undefined;
}
/** A path input (`certificate-file`, `ca-file`): printable characters only, or '' when unset. */
function parseFileInput(read, name) {
    const value = read(name);
    if ([...value].some(isControlCharacter))
        throw new errors/* InputError */.d(name, 'The path contains a control character (a line break?); give a plain file path.');
    return value;
}
function parseExpiryWarningDays(read) {
    return parseInteger(read, 'expiry-warning-days', DEFAULTS['expiry-warning-days'], 0, 3650);
}
/** Splits a list input on commas and newlines, dropping empty entries. */
function splitList(value) {
    return value
        .split(/[,\n]/)
        .map(entry => entry.trim())
        .filter(entry => entry !== '');
}

;// CONCATENATED MODULE: ./src/inputs/credentials.ts

/**
 * The one table of credential inputs and their environment fallbacks: parsing and masking both
 * read it, so a secret added here is masked too.
 */
const CREDENTIALS = {
    'service-account': [
        { input: 'client-id', env: 'MONGODB_ATLAS_CLIENT_ID', secret: false },
        { input: 'client-secret', env: 'MONGODB_ATLAS_CLIENT_SECRET', secret: true }
    ],
    'api-key': [
        { input: 'public-key', env: 'MONGODB_ATLAS_PUBLIC_API_KEY', secret: false },
        { input: 'private-key', env: 'MONGODB_ATLAS_PRIVATE_API_KEY', secret: true }
    ]
};
const KINDS = Object.keys(CREDENTIALS);
/** Every secret credential value given, as input or environment variable: to mask before anything runs. */
function secretCredentialValues(read, env) {
    return KINDS.flatMap(kind => CREDENTIALS[kind])
        .filter(part => part.secret)
        .flatMap(part => [read(part.input), env[part.env]?.trim() ?? ''])
        .filter(value => value !== '');
}
const CREDENTIALS_ACCEPTED = 'Give exactly one pair: `client-id` + `client-secret` (service account) or `public-key` + `private-key` (API key), as inputs or as the environment variables MONGODB_ATLAS_CLIENT_ID + MONGODB_ATLAS_CLIENT_SECRET or MONGODB_ATLAS_PUBLIC_API_KEY + MONGODB_ATLAS_PRIVATE_API_KEY.';
/**
 * Exactly one complete pair. A pair given whole as inputs wins over the environment; otherwise
 * each input falls back to its environment variable.
 */
function parseCredentials(read, env) {
    const complete = (values) => values.every(v => v !== '');
    const inputs = (kind) => CREDENTIALS[kind].map(part => read(part.input));
    const resolved = (kind) => CREDENTIALS[kind].map(part => read(part.input) || env[part.env]?.trim() || '');
    const halfError = (kind, values) => {
        const missing = CREDENTIALS[kind]
            .filter((_, i) => values[i] === '')
            .map(part => `\`${part.input}\` (or ${part.env})`);
        return new errors/* InputError */.d('credentials', `Half a credential pair: ${missing.join(' and ')} is missing. ${CREDENTIALS_ACCEPTED}`);
    };
    const wholeInputs = KINDS.filter(kind => complete(inputs(kind)));
    if (wholeInputs.length === 2) {
        throw new errors/* InputError */.d('credentials', `Both a service account and an API key were given as inputs. ${CREDENTIALS_ACCEPTED}`);
    }
    let chosen;
    if (wholeInputs.length === 1) {
        const kind = wholeInputs[0];
        const other = KINDS.find(k => k !== kind);
        if (inputs(other).some(v => v !== ''))
            throw halfError(other, inputs(other));
        chosen = { kind, values: inputs(kind) };
    }
    else {
        const pairs = KINDS.map(kind => ({ kind, values: resolved(kind) }));
        const whole = pairs.filter(p => complete(p.values));
        const half = pairs.find(p => !complete(p.values) &&
            (whole.length === 0 || inputs(p.kind).some(v => v !== '')) &&
            p.values.some(v => v !== ''));
        if (half)
            throw halfError(half.kind, half.values);
        if (whole.length === 0)
            throw new errors/* InputError */.d('credentials', `No Atlas credentials were found. ${CREDENTIALS_ACCEPTED}`);
        if (whole.length === 2) {
            throw new errors/* InputError */.d('credentials', `Both a service account and an API key were found. ${CREDENTIALS_ACCEPTED}`);
        }
        chosen = whole[0];
    }
    const [id, secret] = chosen.values;
    return chosen.kind === 'service-account'
        ? { kind: 'service-account', clientId: id, clientSecret: secret }
        : { kind: 'api-key', publicKey: id, privateKey: secret };
}
function credentialIdentity(credentials) {
    return credentials.kind === 'service-account'
        ? { kind: credentials.kind, id: credentials.clientId }
        : { kind: credentials.kind, id: credentials.publicKey };
}

;// CONCATENATED MODULE: ./src/inputs/common.ts


/**
 * The inputs every operation shares. `orgWide`: the operation, as configured, may cover every
 * project of an organisation (`org-id`) instead of one.
 */
function parseCommonConfig(read, env, orgWide = false) {
    return {
        ...parseScope(read, env, orgWide),
        credentials: parseCredentials(read, env),
        baseUrl: parseBaseUrl(read('base-url') || env.MONGODB_ATLAS_BASE_URL?.trim() || DEFAULTS['base-url']),
        ...parseRequestLimits(read)
    };
}
/** How long and how often requests may go: inputs only (the post step reads these too). */
function parseRequestLimits(read) {
    return {
        timeoutSeconds: parseInteger(read, 'timeout-seconds', DEFAULTS['timeout-seconds'], 1, 3600),
        maxRetries: parseInteger(read, 'max-retries', DEFAULTS['max-retries'], 0, 10)
    };
}
const ORG_WIDE_OPERATIONS = 'org-id is accepted by list-certificates without username and by prune-ephemeral-users; every other operation, and list-certificates with username, takes group-id';
/**
 * The project (`group-id`, else MONGODB_ATLAS_PROJECT_ID) or, where the operation allows it, the
 * organisation (`org-id`, else MONGODB_ATLAS_ORG_ID): exactly one. An input wins over the other's
 * environment variable; the two inputs, or the two variables alone, are ambiguous.
 */
function parseScope(read, env, orgWide) {
    const groupInput = read('group-id');
    const orgInput = read('org-id');
    if (orgInput && !orgWide)
        throw new errors/* InputError */.d('org-id', `Not accepted here: ${ORG_WIDE_OPERATIONS}.`);
    if (groupInput && orgInput) {
        throw new errors/* InputError */.d('org-id', 'group-id and org-id are both given: give group-id for one project or org-id for every project of the organisation, not both.');
    }
    const groupEnv = env.MONGODB_ATLAS_PROJECT_ID?.trim() ?? '';
    const orgEnv = orgWide ? (env.MONGODB_ATLAS_ORG_ID?.trim() ?? '') : '';
    if (orgInput || (!groupInput && orgEnv && !groupEnv))
        return { groupId: '', orgId: parseOrgId(orgInput || orgEnv) };
    if (!groupInput && groupEnv && orgEnv) {
        throw new errors/* InputError */.d('org-id', 'MONGODB_ATLAS_PROJECT_ID and MONGODB_ATLAS_ORG_ID are both set and neither group-id nor org-id is given: give one of the two inputs to say whether the step covers the project or the organisation.');
    }
    return { groupId: parseGroupId(groupInput || groupEnv, orgWide) };
}
function parseOrgId(value) {
    if (!/^[a-f0-9]{24}$/.test(value)) {
        throw new errors/* InputError */.d('org-id', `"${value}" is not an organisation id: expected 24 lower-case hex digits (^[a-f0-9]{24}$), as shown in the Atlas organisation settings.`);
    }
    return value;
}
function parseGroupId(value, orgWide = false) {
    if (!value) {
        throw new errors/* InputError */.d('group-id', `Required: the 24-hex-digit Atlas project id, as the \`group-id\` input or the MONGODB_ATLAS_PROJECT_ID environment variable${orgWide ? '; or, for every project of an organisation, its id as the `org-id` input or the MONGODB_ATLAS_ORG_ID environment variable' : ''}.`);
    }
    if (!/^[a-f0-9]{24}$/.test(value)) {
        throw new errors/* InputError */.d('group-id', `"${value}" is not a project id: expected 24 lower-case hex digits (^[a-f0-9]{24}$).`);
    }
    return value;
}
/** Hosts that plain http:// may address: the traffic never leaves the machine. */
const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;
function parseBaseUrl(value) {
    const accepted = 'Accepted: an https:// origin such as https://cloud.mongodb.com or https://cloud.mongodbgov.com (http:// only for loopback hosts).';
    let url;
    try {
        url = new URL(value);
    }
    catch {
        throw new errors/* InputError */.d('base-url', `"${value}" is not a URL. ${accepted}`);
    }
    if (url.username || url.password)
        throw new errors/* InputError */.d('base-url', `The URL must not carry credentials. ${accepted}`);
    if (url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
        throw new errors/* InputError */.d('base-url', `"${value}" has a path, query or fragment; give the origin only. ${accepted}`);
    }
    if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname)) {
        throw new errors/* InputError */.d('base-url', `Plain http:// is refused for ${url.hostname}: credentials would cross the network unencrypted. ${accepted}`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        throw new errors/* InputError */.d('base-url', `Scheme ${url.protocol} is not supported. ${accepted}`);
    }
    return url.origin;
}

;// CONCATENATED MODULE: ./src/operations/operation.ts
/**
 * State saved by the main step for the post step: every key, empty, as the main step's first act
 * (the runner then overwrites any `STATE_*` line a later step appended to $GITHUB_ENV), and the
 * only thing the post step acts on.
 */
const STATE = {
    /** The Atlas origin the main step used: the post step sends requests there and nowhere else. */
    atlasOrigin: 'atlas-origin',
    project: 'group-id',
    /** The credential's kind and non-secret identifier (`{kind, id}`), never its secret. */
    credential: 'credential',
    /** `{path, dev, ino}` of the file the main step created. */
    certificateFile: 'certificate-file',
    ephemeralUser: 'ephemeral-user',
    /** The service account's access token, masked, for the post step to reuse and revoke. */
    accessToken: 'atlas-access-token',
    /** `[{entry, comment}]`: access-list entries this step added (or was adding), for the post step. */
    accessListEntries: 'access-list-entries'
};

;// CONCATENATED MODULE: ./src/github/errors.ts
/** Errors of the GitHub secret store (kept apart so the post step bundles no GitHub code). */

/** GitHub answered an error (or could not be reached) for one of its requests. */
class GitHubRequestError extends Error {
    request;
    status;
    constructor(
    /** Reading the store's public key, reading the secret's metadata, or writing the secret. */
    request, status, message) {
        super(message);
        this.request = request;
        this.status = status;
        this.name = 'GitHubRequestError';
    }
}
/** The certificate was issued but the secret was not stored: one annotation says both. */
class GitHubSecretNotStoredError extends errors/* TitledError */.D {
    constructor(message, options) {
        super('GitHub secret not stored', message, options);
        this.name = 'GitHubSecretNotStoredError';
    }
}

;// CONCATENATED MODULE: ./src/atlas/hints.ts
const CREDENTIALS_HINT = 'Check the credentials: for a service account, `client-id`/`client-secret`; for an API key, `public-key`/`private-key`. They must belong to the organisation that owns the project.';
const ACCESS_LIST_HINT = "Check that the API key or service account has the role this operation needs on the project (Project Owner for certificates and customer X.509; see the README's setup guide), and that its API access list admits the runner. GitHub-hosted runners change addresses on every job, so an entry per runner is not the fix: use a runner with a static egress IP (larger runners, self-hosted), or manage the access list from the workflow.";
const TOKEN_LIMIT_HINT = "The service account has too many active access tokens (Atlas allows 100). This action revokes its own in the post step; other tools' tokens expire within an hour. Wait, revoke unused tokens, or give each pipeline its own service account.";
const RATE_HINT = 'Atlas rate-limited the request and the retries ran out: raise `max-retries` or `timeout-seconds`, or run fewer jobs against this project at once.';
/** What to do about an Atlas error code users meet. Short, specific, actionable. */
const HINTS = {
    USERNAME_NOT_FOUND: 'Create the database user first (databaseName `$external`, x509Type `MANAGED`), or check `username` and `group-id`.',
    USER_NOT_MANAGED_X509: 'The user exists but is not an Atlas-managed X.509 user: Atlas issues certificates only for users with x509Type `MANAGED` in `$external`.',
    CERT_EXPIRY_CANNOT_EXCEED_TWO_YEARS: 'Set `months` to a whole number from 1 to 24.',
    ATLAS_GENERATED_CERTS_LIMIT_EXCEEDED: 'This user has reached the limit of Atlas-generated certificates. Issue certificates less often (reuse one per workflow), or use a new user, for example with `create-ephemeral-user`.',
    RATE_LIMITED: RATE_HINT,
    RATE_LIMITED_TOKEN_BUCKET: RATE_HINT,
    GROUP_NOT_FOUND: 'Check `group-id`: it is the 24-hex-digit project id shown in the Atlas project settings.',
    INVALID_GROUP_ID: 'Check `group-id`: it is the 24-hex-digit project id shown in the Atlas project settings.',
    NOT_IN_GROUP: 'The credentials have no access to this project: check `group-id`, or give the API key or service account a role on the project.',
    USER_UNAUTHORIZED: `${CREDENTIALS_HINT} If they are right, give the API key or service account the Project Owner role on this project.`,
    VERSION_GONE: 'Atlas retired API version 2023-01-01 that this action pins: update the action to a newer release.',
    EXPIRED_X509_CA_CERTIFICATE: 'The CA certificate has expired: upload a CA that is still valid (check its notAfter with `openssl x509 -enddate`).',
    USER_ALREADY_EXISTS: 'A database user with this name already exists: choose another `username` or delete the user first.',
    GROUP_USERS_LIMIT_EXCEEDED: 'The project has reached its database-user limit: remove unused users, for example with `prune-ephemeral-users`.',
    ATLAS_X509_USER_CANNOT_BE_TEMPORARY: 'X.509 users cannot have a deleteAfterDate; this action deletes ephemeral users in its post step instead.',
    ATLAS_MANAGED_X509_NAME_INVALID: 'Use a plain user name (letters, digits, `-`, `_`) without `=` or `,`: Atlas makes the subject `CN=<username>` itself.',
    CANNOT_GENERATE_CERT_IF_ADVANCED_X509: 'The project uses customer-managed (self-managed) X.509, and Atlas then refuses to issue managed certificates: give `issuer-certificate` and `issuer-key` (your CA, from secrets) to sign the certificate on the runner for a CUSTOMER user, or turn customer X.509 off with `disable-customer-x509` (that restarts every cluster).',
    access_denied: TOKEN_LIMIT_HINT,
    invalid_client: CREDENTIALS_HINT,
    unauthorized_client: CREDENTIALS_HINT
};
/** The hint for an Atlas error: by code first, then by HTTP status class. */
function hintFor(errorCode, status) {
    // Own keys only: a code such as `constructor` must not find Object's.
    if (Object.hasOwn(HINTS, errorCode))
        return HINTS[errorCode];
    if (status === 401)
        return CREDENTIALS_HINT;
    if (status === 403)
        return ACCESS_LIST_HINT;
    if (status === 429)
        return RATE_HINT;
    if (status >= 500)
        return 'Atlas had a server error and the retries ran out: run the job again later, and check https://status.mongodb.com.';
    return '';
}

;// CONCATENATED MODULE: ./src/atlas/errors.ts


/** Atlas answered with an error (an `ApiError` body, or an OAuth error from the token endpoint). */
class AtlasApiError extends errors/* TitledError */.D {
    status;
    errorCode;
    detail;
    retryAfterMs;
    constructor(status, errorCode, detail, retryAfterMs) {
        super(`Atlas ${errorCode} (HTTP ${status})`, `Atlas ${errorCode} (HTTP ${status}): ${detail}`);
        this.status = status;
        this.errorCode = errorCode;
        this.detail = detail;
        this.retryAfterMs = retryAfterMs;
        this.name = 'AtlasApiError';
    }
    /** The detail, then what to do about this code or status. */
    get annotation() {
        const hint = hintFor(this.errorCode, this.status);
        return hint ? `${this.detail} ${hint}` : this.detail;
    }
}
/** No usable answer from Atlas: network failure, timeout, a body that is not Atlas's, a redirect. */
class AtlasUnreachableError extends errors/* TitledError */.D {
    constructor(message, options, title = 'Atlas API unreachable') {
        super(title, message, options);
        this.name = 'AtlasUnreachableError';
    }
}
/** The request may or may not have taken effect, and was deliberately not sent again. */
class OutcomeUnknownError extends AtlasUnreachableError {
    constructor(message, options) {
        super(message, options, 'Atlas outcome unknown');
        this.name = 'OutcomeUnknownError';
    }
}
/** The HTTPS proxy refused to open a tunnel to Atlas (its answer to CONNECT was not 200). */
class ProxyRefusedError extends AtlasUnreachableError {
    proxyStatus;
    constructor(proxyStatus) {
        super(`The proxy refused to open a tunnel to Atlas: it answered CONNECT with HTTP ${proxyStatus}${proxyStatus === 407 ? ' (Proxy Authentication Required: put the proxy credentials in HTTPS_PROXY as http://user:password@host:port)' : ''}. Check HTTPS_PROXY/HTTP_PROXY, and NO_PROXY if Atlas should be reached directly. Not retried.`);
        this.proxyStatus = proxyStatus;
        this.name = 'ProxyRefusedError';
    }
}
/** Atlas answered, but not in a way this action can use (an unsupported Digest challenge, say). */
class AtlasProtocolError extends errors/* TitledError */.D {
    constructor(message) {
        super('Unexpected answer from Atlas', message);
        this.name = 'AtlasProtocolError';
    }
}

;// CONCATENATED MODULE: ./src/atlas/http.ts
/** One HTTP exchange with the Atlas origin, as the transport sends and answers it. Types only, and one reader. */
function header(headers, name) {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
}

;// CONCATENATED MODULE: ./src/atlas/answers.ts
/**
 * Reading Atlas's answers that are not 2xx: which error each one is. Error bodies may be large or
 * hostile, so only what looks like an Atlas or OAuth error document is read.
 */


const REASONS = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    406: 'Not Acceptable',
    409: 'Conflict',
    410: 'Gone',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
    504: 'Gateway Timeout'
};
function isJsonContentType(contentType) {
    return contentType !== undefined && /[/+]json\b/i.test(contentType);
}
/**
 * Reads an error body. Returns undefined when the body is not an Atlas or OAuth error document
 * (an HTML page from a proxy, say): such a body is never echoed, it may be large or hostile.
 */
function decodeApiError(status, contentType, body, retryAfterMs) {
    if (!isJsonContentType(contentType) && !body.trimStart().startsWith('{'))
        return undefined;
    let parsed;
    try {
        parsed = JSON.parse(body);
    }
    catch {
        return undefined;
    }
    if (typeof parsed !== 'object' || parsed === null)
        return undefined;
    const doc = parsed;
    const text = (value) => typeof value === 'string' && value.length > 0 ? value.slice(0, 1000) : undefined;
    // Codes become annotation titles and pick hints: only code-like strings are taken as codes.
    const code = (value) => typeof value === 'string' && /^[A-Za-z0-9_.-]{1,100}$/.test(value);
    // Atlas ApiError: {error: <int status>, errorCode, detail, reason}
    if (code(doc.errorCode)) {
        const detail = text(doc.detail) ?? text(doc.reason) ?? REASONS[status] ?? 'No detail given.';
        return new AtlasApiError(status, doc.errorCode, detail, retryAfterMs);
    }
    // OAuth 2.0 token endpoint (RFC 6749 §5.2): {error: "invalid_client", error_description}
    if (code(doc.error)) {
        const detail = text(doc.error_description) ?? REASONS[status] ?? 'No detail given.';
        return new AtlasApiError(status, doc.error, detail, retryAfterMs);
    }
    if (typeof doc.error === 'number' ||
        typeof doc.error === 'string' ||
        typeof doc.errorCode === 'string' ||
        text(doc.detail) ||
        text(doc.reason)) {
        const detail = text(doc.detail) ?? text(doc.reason) ?? REASONS[status] ?? 'No detail given.';
        return new AtlasApiError(status, `HTTP_${status}`, detail, retryAfterMs);
    }
    return undefined;
}
/** `USERNAME_NOT_FOUND (HTTP 404)`, or `HTTP 502` when the answer is not an Atlas error. */
function describeAnswer(response) {
    const decoded = decodeApiError(response.status, header(response.headers, 'content-type'), response.text);
    return decoded ? `${decoded.errorCode} (HTTP ${response.status})` : `HTTP ${response.status}`;
}
/** The error for a final answer that is not 2xx. */
function errorForAnswer(response, baseUrl) {
    if (response.status >= 300 && response.status < 400) {
        const location = header(response.headers, 'location');
        let host = 'an unnamed location';
        try {
            if (location)
                host = new URL(location, baseUrl).host;
        }
        catch {
            host = 'an invalid location';
        }
        return new AtlasUnreachableError(`Atlas answered HTTP ${response.status}, a redirect to ${host}. Redirects are not followed, so credentials never leave the configured base-url: check base-url and any proxy.`);
    }
    const contentType = header(response.headers, 'content-type');
    const decoded = decodeApiError(response.status, contentType, response.text);
    if (decoded)
        return decoded;
    if (response.status === 401 && response.headers['www-authenticate']) {
        return new AtlasApiError(401, 'UNAUTHORIZED', 'Atlas refused the credentials.');
    }
    const kind = contentType ? contentType.split(';')[0] : 'untyped';
    return new AtlasUnreachableError(`HTTP ${response.status} with a ${kind} body that is not an Atlas answer (a proxy or load balancer in between?).`);
}

// EXTERNAL MODULE: ./node_modules/undici/index.js
var undici = __webpack_require__(46752);
;// CONCATENATED MODULE: ./src/atlas/transport.ts



/** Larger answers are refused: no endpoint used here legitimately returns more. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
/** The step's time budget (`timeout-seconds`): every round trip and every wait fits in it. */
class Budget {
    timeoutSeconds;
    clock;
    limit;
    constructor(timeoutSeconds, clock) {
        this.timeoutSeconds = timeoutSeconds;
        this.clock = clock;
        this.limit = {
            deadline: clock.now() + timeoutSeconds * 1000,
            seconds: timeoutSeconds,
            description: `the step's budget of ${timeoutSeconds} s (timeout-seconds)`
        };
    }
    remainingMs() {
        return this.limit.deadline - this.clock.now();
    }
    /** The limit in force, as messages name it. */
    get description() {
        return this.limit.description;
    }
    /**
     * Runs `work` under a limit of its own (a wait with its own budget): until `deadlineMs`, earlier
     * or later than the step's, every request, retry and pause of `work` must end. Afterwards the
     * step's deadline holds again, moved to `deadlineMs` if that is later, as a wait that ran long
     * leaves the step's last requests (the post step has a budget of its own).
     */
    async within(deadlineMs, seconds, input, work) {
        const outer = this.limit;
        // Whole milliseconds: undici refuses fractional timeouts.
        const deadline = Math.ceil(deadlineMs);
        this.limit = { deadline, seconds, description: `the wait's budget of ${seconds} s (${input})` };
        try {
            return await work();
        }
        finally {
            this.limit = { ...outer, deadline: Math.max(outer.deadline, deadline) };
        }
    }
    spent(what) {
        return new AtlasUnreachableError(`${what}: no answer within ${this.limit.description}.`);
    }
}
/** One HTTP round trip within the remaining budget; the body is read whole, up to a cap. */
class Transport {
    options;
    /** HTTP round trips sent, challenges and retries included (reported in debug and the benchmark). */
    requestCount = 0;
    /** `RateLimit-Remaining` of the latest answer that carried one (Atlas may leave it out). */
    rateLimitRemaining;
    constructor(options) {
        this.options = options;
    }
    get budget() {
        return this.options.budget;
    }
    get baseUrl() {
        return this.options.baseUrl;
    }
    async send(exchange) {
        const { budget, clock } = this.options;
        const remaining = budget.remainingMs();
        if (remaining <= 0)
            throw budget.spent(`${exchange.method} ${exchange.target}`);
        const started = clock.now();
        this.requestCount += 1;
        const response = await (0,undici.request)(new URL(exchange.target, this.options.baseUrl), {
            dispatcher: this.options.dispatcher,
            method: exchange.method,
            headers: { 'user-agent': this.options.userAgent, ...exchange.headers },
            body: exchange.body,
            // Every phase ends with the step's budget: the signal covers connecting, the timeouts name the phase.
            signal: AbortSignal.timeout(remaining),
            headersTimeout: remaining,
            bodyTimeout: remaining
        });
        const chunks = [];
        let size = 0;
        for await (const chunk of response.body) {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) {
                response.body.destroy();
                throw new AtlasUnreachableError(`${exchange.method} ${exchange.target} answered more than ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB; refused.`);
            }
            chunks.push(chunk);
        }
        // undici frees the connection a tick after the body ends: a request sent sooner would find it
        // busy and open another connection (a TCP and TLS handshake) when connections allow more.
        await new Promise(resolve => setImmediate(resolve));
        this.options.debug(`${exchange.method} ${exchange.target} → ${response.statusCode} (${clock.now() - started} ms)`);
        const remainingHeader = header(response.headers, 'ratelimit-remaining');
        if (remainingHeader !== undefined && /^\d+$/.test(remainingHeader.trim()))
            this.rateLimitRemaining = Number(remainingHeader.trim());
        return {
            status: response.statusCode,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8')
        };
    }
}
/** Node and undici error codes of a failed round trip (the cause's code first). */
function networkErrorCode(error) {
    const err = error;
    const code = err?.cause?.code ?? err?.code;
    return typeof code === 'string' ? code : undefined;
}
/** Failures to connect: nothing of the request reached the server. */
const CONNECT_FAILURES = new Set([
    'ECONNREFUSED',
    'ENOTFOUND',
    'EAI_AGAIN',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'UND_ERR_CONNECT_TIMEOUT'
]);
/** Failures during or after sending: the server may have acted on the request. */
const EXCHANGE_FAILURES = new Set([
    'ECONNRESET',
    'ETIMEDOUT',
    'EPIPE',
    'ECONNABORTED',
    'UND_ERR_SOCKET',
    'UND_ERR_CLOSED',
    'UND_ERR_HEADERS_TIMEOUT',
    'UND_ERR_BODY_TIMEOUT'
]);
function isTlsFailure(code) {
    return code.startsWith('ERR_TLS') || /CERT|SELF_SIGNED|UNABLE_TO/.test(code);
}
/** undici codes for a request the client itself got wrong: not a network failure. */
const USAGE_ERRORS = new Set([
    'UND_ERR_INVALID_ARG',
    'UND_ERR_INVALID_RETURN_VALUE',
    'UND_ERR_NOT_SUPPORTED',
    'UND_ERR_ABORTED'
]);
/**
 * What kind of network failure an error is, or undefined when it is not one (a bug, a protocol
 * problem): only errors that carry a Node system error code or an undici error code qualify.
 */
function classifyNetworkError(error) {
    const code = networkErrorCode(error);
    if (!code || USAGE_ERRORS.has(code))
        return undefined;
    if (code === 'ENOTFOUND' || isTlsFailure(code))
        return 'permanent';
    if (CONNECT_FAILURES.has(code))
        return 'connect';
    if (EXCHANGE_FAILURES.has(code) || /^E[A-Z]+$/.test(code) || code.startsWith('UND_ERR_'))
        return 'exchange';
    return undefined;
}
function isTimeout(error) {
    const name = error?.name;
    return name === 'TimeoutError' || name === 'AbortError';
}
/** A short, secret-free description of a network failure. */
function describeNetworkError(error) {
    const err = error;
    const code = networkErrorCode(error);
    const known = {
        ECONNREFUSED: 'connection refused',
        ECONNRESET: 'connection reset',
        ENOTFOUND: 'host not found',
        EAI_AGAIN: 'DNS lookup failed',
        ETIMEDOUT: 'connection timed out',
        EPIPE: 'connection closed while sending',
        EHOSTUNREACH: 'host unreachable',
        ENETUNREACH: 'network unreachable',
        UND_ERR_SOCKET: 'connection closed before an answer',
        UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
        UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
        UND_ERR_BODY_TIMEOUT: 'response body stalled',
        UND_ERR_CLOSED: 'connection closed'
    };
    if (code && known[code])
        return known[code];
    if (code && isTlsFailure(code)) {
        return `TLS failure (${code}): the server's certificate is not trusted; if a proxy or private CA is in between, point NODE_EXTRA_CA_CERTS at its CA certificate`;
    }
    const message = err?.cause?.message ?? err?.message ?? String(error);
    return `network error${code ? ` (${code})` : ''}: ${message.slice(0, 200)}`;
}
/** The proxy's answer to CONNECT when it refused the tunnel (undici words it in the message). */
function proxyRefusal(error) {
    const message = error?.message;
    const match = typeof message === 'string' ? /Proxy response \((\d{3})\) !== 200/.exec(message) : null;
    return match ? Number(match[1]) : undefined;
}

;// CONCATENATED MODULE: ./src/atlas/retry.ts




const DEFAULT_BACKOFF = { baseDelayMs: 1000, maxDelayMs: 20_000 };
/** Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): uniform in [0, cap]. */
function backoffDelayMs(retry, policy, random) {
    const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
    return Math.floor(random() * cap);
}
/** `Retry-After` as milliseconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
function parseRetryAfter(value, nowMs) {
    if (value === undefined)
        return undefined;
    const text = value.trim();
    if (/^\d+$/.test(text))
        return Number(text) * 1000;
    const date = Date.parse(text);
    if (Number.isNaN(date))
        return undefined;
    return Math.max(0, date - nowMs);
}
/** Statuses worth another try: rate limits and server-side failures (501 will not change). */
function isRetryableStatus(status) {
    return status === 429 || (status >= 500 && status !== 501 && status !== 505);
}
// Connecting, headers and body are each given what is left of the budget: their timeouts mean it is spent.
const BUDGET_TIMEOUTS = new Set([
    'UND_ERR_CONNECT_TIMEOUT',
    'UND_ERR_HEADERS_TIMEOUT',
    'UND_ERR_BODY_TIMEOUT'
]);
const attempts = (n) => `after ${n} attempt${n === 1 ? '' : 's'}`;
/**
 * The one retry loop: runs an attempt, then retries as the policy allows, within max-retries and
 * the step's budget, honouring Retry-After. Errors that are not network failures are rethrown at once.
 */
async function withRetries(label, policy, retrier, attempt) {
    const { budget, clock, maxRetries } = retrier;
    const maxAttempts = maxRetries + 1;
    for (let attemptNumber = 1;; attemptNumber++) {
        const held = retrier.pause.until - clock.now();
        if (held > 0) {
            if (held >= budget.remainingMs())
                throw budget.spent(label);
            await clock.sleep(held);
        }
        let response;
        try {
            response = await attempt();
        }
        catch (error) {
            const refusedWith = proxyRefusal(error);
            if (refusedWith !== undefined)
                throw new ProxyRefusedError(refusedWith);
            if (isTimeout(error) || BUDGET_TIMEOUTS.has(networkErrorCode(error) ?? ''))
                throw budget.spent(label);
            const failure = classifyNetworkError(error);
            if (!failure)
                throw error;
            if (budget.remainingMs() <= 0)
                throw budget.spent(label);
            const reason = `${label}: ${describeNetworkError(error)} (${attempts(attemptNumber)})`;
            if (failure === 'exchange' && policy === 'no-repeat') {
                throw new OutcomeUnknownError(`${reason}. The request may have reached Atlas; it is not sent again, since a repeat would restart the clusters a second time.`);
            }
            if (attemptNumber >= maxAttempts || failure === 'permanent') {
                throw new AtlasUnreachableError(`${reason}.`);
            }
            const wait = backoffDelayMs(attemptNumber - 1, retrier.backoff, retrier.random);
            if (wait >= budget.remainingMs()) {
                throw new AtlasUnreachableError(`${reason}; no time left for another try within ${budget.description}.`);
            }
            retrier.debug(`${reason}; retry ${attemptNumber} of ${maxRetries} in ${wait} ms`);
            await clock.sleep(wait);
            continue;
        }
        if (!isRetryableStatus(response.status))
            return response;
        if (policy === 'no-repeat' && response.status !== 429) {
            const error = errorForAnswer(response, retrier.baseUrl);
            throw new OutcomeUnknownError(`${label} answered ${describeAnswer(response)}: ${error instanceof AtlasApiError ? error.detail : error.message} The request may have taken effect; it is not sent again, since a repeat would restart the clusters a second time.`, { cause: error });
        }
        if (attemptNumber >= maxAttempts)
            return response;
        const retryAfterMs = parseRetryAfter(header(response.headers, 'retry-after'), clock.now());
        const wait = retryAfterMs ?? backoffDelayMs(attemptNumber - 1, retrier.backoff, retrier.random);
        if (wait >= budget.remainingMs()) {
            throw withBudgetNote(errorForAnswer(response, retrier.baseUrl), `Not retried: waiting ${Math.ceil(wait / 1000)} s${retryAfterMs === undefined ? '' : ' as Retry-After asks'} would pass ${budget.description}.`);
        }
        const message = `${label}: ${describeAnswer(response)}; retry ${attemptNumber} of ${maxRetries} in ${(wait / 1000).toFixed(1)} s${retryAfterMs === undefined ? '' : ' (Retry-After)'}`;
        if (response.status === 429) {
            // The notice's title names the service (Atlas or GitHub rate limit).
            retrier.notice(message);
            if (retryAfterMs !== undefined)
                retrier.pause.until = Math.max(retrier.pause.until, clock.now() + wait);
        }
        else
            retrier.debug(message);
        await clock.sleep(wait);
    }
}
function withBudgetNote(error, note) {
    if (error instanceof AtlasApiError) {
        return new AtlasApiError(error.status, error.errorCode, `${error.detail} ${note}`, error.retryAfterMs);
    }
    return new AtlasUnreachableError(`${error.message} ${note}`);
}

// EXTERNAL MODULE: ./node_modules/@actions/core/lib/core.js + 14 modules
var core = __webpack_require__(96421);
;// CONCATENATED MODULE: ./src/io.ts

const LINE_BREAK = /\r\n|[\r\n\u2028\u2029\u0085]/g;
// C0 controls other than tab, and DEL: an ESC could hide or rewrite log text in a terminal.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;
const escapeControl = (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
/** Control characters shown as `\u001b`, line breaks kept (annotation and debug data escape them). */
function printable(text) {
    return text.replace(CONTROL, escapeControl);
}
/**
 * A plain log line that cannot be a workflow command. The runner reads each output line as a
 * command when, after leading blanks, it starts with `::` (or holds a legacy `##[`), and
 * `core.info` writes its text as is: so line breaks become a visible `\n`, a `##[` gets a space,
 * and a line that would start with `::` gets a leading backslash.
 */
function logLine(text) {
    const line = printable(text).replace(LINE_BREAK, '\\n').replace(/##\[/g, '# #[');
    return /^\s*::/.test(line) ? `\\${line}` : line;
}
/**
 * Text for a step-summary cell or heading: one line of plain text inside the HTML table, with
 * every character that HTML or Markdown gives a meaning escaped, so no value from outside can
 * end the table, start a block (a blank line, `#`, `*`, `[`) or add markup.
 */
function summaryText(text) {
    return printable(text)
        .replace(LINE_BREAK, ' ')
        .replace(/[&<>"'|`*_[\]#\\~]/g, c => `&#${c.charCodeAt(0)};`);
}
function coreIO(env = process.env) {
    const title = (value) => (value ? { title: logLine(value) } : {});
    return {
        setSecret: value => core/* setSecret */.Pq(value),
        setOutput: (name, value) => core/* setOutput */.uH(name, value),
        saveState: (name, value) => core/* saveState */.LZ(name, value),
        getState: name => core/* getState */.Gu(name),
        // Command data: @actions/core escapes line breaks (and `%`) there, so only controls remain.
        debug: message => core/* debug */.Yz(printable(message)),
        info: message => core/* info */.pq(logLine(message)),
        notice: (message, name) => core/* notice */.lm(printable(message), title(name)),
        warning: (message, name) => core/* warning */.$e(printable(message), title(name)),
        fail: (message, name) => {
            // core.error + exit code, not setFailed: setFailed would add a second annotation.
            core/* error */.z3(printable(message), title(name));
            process.exitCode = 1;
        },
        summary: async (heading, rows) => {
            if (!env.GITHUB_STEP_SUMMARY) {
                core/* debug */.Yz('GITHUB_STEP_SUMMARY is not set; no step summary written.');
                return;
            }
            await core/* summary */.z
                .addHeading(summaryText(heading), 3)
                .addTable(rows.map(([name, value]) => [
                { data: summaryText(name), header: true },
                summaryText(value)
            ]))
                .write();
        },
        summaryTable: async (heading, header, rows) => {
            if (!env.GITHUB_STEP_SUMMARY) {
                core/* debug */.Yz('GITHUB_STEP_SUMMARY is not set; no step summary written.');
                return;
            }
            await core/* summary */.z
                .addHeading(summaryText(heading), 3)
                .addTable([
                header.map(name => ({ data: summaryText(name), header: true })),
                ...rows.map(row => row.map(cell => summaryText(cell)))
            ])
                .write();
        }
    };
}

;// CONCATENATED MODULE: ./src/github/secret-store.ts





const DEFAULT_GITHUB_API_URL = 'https://api.github.com';
/** Where the secret goes and which API serves it, from the inputs and the runner's environment. */
function secretTarget(options, env) {
    const repository = env.GITHUB_REPOSITORY?.trim() ?? '';
    const match = /^([^/\s]+)\/([^/\s]+)$/.exec(repository);
    if (!match) {
        throw new errors/* InputError */.d('github-secret', `GITHUB_REPOSITORY is ${repository ? `"${repository}"` : 'not set'}; the secret goes to the repository it names (owner/repo), which the runner sets.`);
    }
    const [owner, repo] = [match[1], match[2]];
    if (![owner, repo].every(part => REPOSITORY_PART.test(part) && !/^\.{1,2}$/.test(part))) {
        throw new errors/* InputError */.d('github-secret', `GITHUB_REPOSITORY "${repository}" is not an owner/repo name (letters, digits, ".", "-" and "_").`);
    }
    const baseUrl = (env.GITHUB_API_URL?.trim() || DEFAULT_GITHUB_API_URL).replace(/\/+$/, '');
    const problem = apiUrlProblem(baseUrl);
    if (problem)
        throw new errors/* InputError */.d('github-secret', `GITHUB_API_URL "${baseUrl}" ${problem}`);
    return {
        destination: {
            owner,
            repo,
            environment: options.environment,
            name: options.name
        },
        baseUrl
    };
}
const REPOSITORY_PART = /^[A-Za-z0-9_.-]+$/;
/**
 * Why GITHUB_API_URL cannot carry the token, or undefined: the token goes only over https (plain
 * http to this machine alone, for a local server) and never to a URL with credentials of its own.
 */
function apiUrlProblem(baseUrl) {
    let url;
    try {
        url = new URL(baseUrl);
    }
    catch {
        return 'is not a URL.';
    }
    if (url.username || url.password) {
        return 'carries a user name or password: the token is the only credential sent; remove them.';
    }
    if (url.protocol === 'https:')
        return undefined;
    if (url.protocol === 'http:' && isLoopback(url.hostname))
        return undefined;
    return 'must be https (plain http only to localhost): the token would travel unencrypted.';
}
function isLoopback(hostname) {
    return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}
/** "repository owner/repo" or "environment prod of owner/repo". */
function describeStore(destination) {
    const repository = `${destination.owner}/${destination.repo}`;
    return destination.environment
        ? `environment "${destination.environment}" of ${repository}`
        : `repository ${repository}`;
}
/** What a refused request needs, in the words of GitHub's token settings. */
function permissionAdvice(error, destination) {
    const permission = destination.environment
        ? '"Environments: Read and write"'
        : '"Secrets: Read and write"';
    const token = `Give \`github-token\` a fine-grained personal access token or GitHub App token with the repository permission ${permission} on ${destination.owner}/${destination.repo} (a classic token needs the \`repo\` scope); the job's GITHUB_TOKEN cannot write secrets.`;
    switch (error.status) {
        case 401:
            return `GitHub did not accept \`github-token\` (invalid, expired or revoked). ${token}`;
        case 403:
            return `The token may not write Actions secrets there. ${token}`;
        case 404:
            return `GitHub says the ${describeStore(destination)} does not exist, or the token cannot see it${destination.environment ? ' (create the environment first)' : ''}. ${token}`;
        default:
            return "Try again; if it persists, check GitHub's status and GITHUB_API_URL.";
    }
}
/** Strict base64, as GitHub writes it: no whitespace, no URL alphabet. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** A failure of the transport below Octokit: no answer, the budget spent, or a redirect. */
class NoAnswerError extends Error {
    status;
    constructor(message, status) {
        super(message);
        this.status = status;
        this.name = 'NoAnswerError';
    }
}
// GitHub's error messages are quoted in an annotation: a few hundred characters say enough.
const MAX_MESSAGE = 300;
/**
 * The store over Octokit (from @actions/github), against `baseUrl` (GitHub Enterprise Server too).
 * Octokit's fetch is the action's transport: each call within the step's budget, 5xx and network
 * failures retried with backoff on the step's clock, redirects not followed, the body capped.
 */
const octokitSecretStore = async (connection) => {
    const [{ getOctokit }, sealing] = await Promise.all([
        __webpack_require__.e(/* import() */ 794).then(__webpack_require__.bind(__webpack_require__, 92413)),
        Promise.all(/* import() */[__webpack_require__.e(97), __webpack_require__.e(287)]).then(__webpack_require__.bind(__webpack_require__, 42287))
    ]);
    const { baseUrl, budget, clock } = connection;
    const transport = new Transport({
        baseUrl,
        dispatcher: connection.dispatcher,
        budget,
        clock,
        userAgent: 'atlas-x509-action',
        debug: connection.debug
    });
    const retrier = {
        maxRetries: connection.maxRetries,
        budget,
        clock,
        random: connection.random ?? Math.random,
        backoff: DEFAULT_BACKOFF,
        debug: connection.debug,
        notice: connection.notice,
        baseUrl,
        pause: { until: 0 }
    };
    const fetchWithin = async (url, init) => {
        const method = init.method ?? 'GET';
        const label = `GitHub ${method} ${new URL(url).pathname}`;
        let response;
        try {
            response = await withRetries(label, 'retry-safe', retrier, () => transport.send({
                method,
                target: url,
                headers: Object.fromEntries(new Headers(init.headers).entries()),
                ...(typeof init.body === 'string' ? { body: init.body } : {})
            }));
        }
        catch (error) {
            throw new NoAnswerError(error instanceof Error ? error.message : String(error));
        }
        if (response.status >= 300 && response.status < 400) {
            throw new NoAnswerError(`${label} answered HTTP ${response.status}, a redirect. Redirects are not followed, so the token never leaves GITHUB_API_URL: check GITHUB_API_URL and any proxy.`, response.status);
        }
        const headers = new Headers();
        for (const [name, value] of Object.entries(response.headers)) {
            for (const each of Array.isArray(value) ? value : value === undefined ? [] : [value])
                headers.append(name, each);
        }
        const empty = response.status === 204 || response.status === 205;
        return new Response(empty ? null : response.text, { status: response.status, headers });
    };
    // Octokit logs server text (a Deprecation header's dates and links): only as escaped debug lines.
    const log = {
        debug: (message) => connection.debug(logLine(message)),
        info: (message) => connection.debug(logLine(message)),
        warn: (message) => connection.debug(logLine(message)),
        error: (message) => connection.debug(logLine(message))
    };
    const octokit = getOctokit(connection.token, {
        baseUrl,
        log,
        request: { fetch: fetchWithin, log, redirect: 'manual' }
    });
    const call = async (request, send) => {
        try {
            return await send();
        }
        catch (error) {
            const cause = error.cause;
            const noAnswer = error instanceof NoAnswerError ? error : cause instanceof NoAnswerError ? cause : undefined;
            if (noAnswer)
                throw new GitHubRequestError(request, noAnswer.status, noAnswer.message);
            const status = error.status;
            const message = error instanceof Error ? error.message : String(error);
            throw new GitHubRequestError(request, typeof status === 'number' ? status : undefined, message.slice(0, MAX_MESSAGE));
        }
    };
    const unexpected = (request, what) => new GitHubRequestError(request, undefined, `GitHub answered ${what}`);
    return {
        get requestCount() {
            return transport.requestCount;
        },
        async publicKey({ owner, repo, environment }) {
            const data = await call('public-key', async () => environment
                ? (await octokit.rest.actions.getEnvironmentPublicKey({
                    owner,
                    repo,
                    environment_name: environment
                })).data
                : (await octokit.rest.actions.getRepoPublicKey({ owner, repo })).data);
            const { key, key_id: keyId } = (data ?? {});
            if (typeof keyId !== 'string' || !/^[\x21-\x7e]{1,100}$/.test(keyId))
                throw unexpected('public-key', 'a public key without a usable key_id.');
            if (typeof key !== 'string' || !BASE64.test(key))
                throw unexpected('public-key', 'a public key that is not base64.');
            const problem = sealing.publicKeyProblem(new Uint8Array(Buffer.from(key, 'base64')));
            if (problem)
                throw unexpected('public-key', `a public key that ${problem}`);
            return { keyId, key };
        },
        async secretState({ owner, repo, environment, name }) {
            try {
                const data = await call('secret-state', async () => environment
                    ? (await octokit.rest.actions.getEnvironmentSecret({
                        owner,
                        repo,
                        environment_name: environment,
                        secret_name: name
                    })).data
                    : (await octokit.rest.actions.getRepoSecret({ owner, repo, secret_name: name })).data);
                const updatedAt = data?.updated_at;
                return { exists: true, updatedAt: typeof updatedAt === 'string' ? updatedAt : '' };
            }
            catch (error) {
                if (error instanceof GitHubRequestError && error.status === 404)
                    return { exists: false };
                throw error;
            }
        },
        async put({ owner, repo, environment, name }, value, key) {
            const body = {
                encrypted_value: sealing.sealForGitHub(value, key.key),
                key_id: key.keyId
            };
            await call('secret', async () => {
                if (environment) {
                    await octokit.rest.actions.createOrUpdateEnvironmentSecret({
                        owner,
                        repo,
                        environment_name: environment,
                        secret_name: name,
                        ...body
                    });
                }
                else {
                    await octokit.rest.actions.createOrUpdateRepoSecret({
                        owner,
                        repo,
                        secret_name: name,
                        ...body
                    });
                }
            });
        }
    };
};

// EXTERNAL MODULE: ./src/certificate/distinguished-name.ts
var distinguished_name = __webpack_require__(86359);
;// CONCATENATED MODULE: ./src/inputs/issuer.ts
/**
 * The self-managed X.509 inputs: `issuer-certificate`, `issuer-key`, `key-type`, `subject-suffix`,
 * and `username` as a CUSTOMER user's name. Pure: nothing here performs I/O.
 */


const KEY_TYPES = ['ec-p256', 'rsa-2048', 'rsa-4096'];
/** `issuer-certificate`, `issuer-key` and `key-type`: undefined when no issuer is given. */
function parseIssuer(read) {
    const certificatePem = read('issuer-certificate');
    const keyPem = read('issuer-key');
    const keyTypeText = read('key-type');
    if (!certificatePem && !keyPem) {
        if (keyTypeText)
            throw new errors/* InputError */.d('key-type', 'Given without `issuer-certificate` and `issuer-key`: the key type applies only to keys made on the runner for a certificate signed there.');
        return undefined;
    }
    if (!certificatePem || !keyPem) {
        const missing = certificatePem ? 'issuer-key' : 'issuer-certificate';
        throw new errors/* InputError */.d(missing, "Self-managed X.509 needs both `issuer-certificate` (the signing CA, then its intermediates, PEM) and `issuer-key` (that CA's private key, PEM, from a secret).");
    }
    const keyType = (keyTypeText || DEFAULTS['key-type']);
    if (!KEY_TYPES.includes(keyType))
        throw new errors/* InputError */.d('key-type', `"${keyTypeText}" is not a key type: use ${KEY_TYPES.join(', ')}.`);
    return { certificatePem, keyPem, keyType };
}
/** `subject-suffix` (create-ephemeral-user): the name's parts after the CN, RFC 2253. */
function parseSubjectSuffix(read, issuer) {
    const text = read('subject-suffix');
    if (!text)
        return [];
    if (!issuer)
        throw new errors/* InputError */.d('subject-suffix', 'Given without `issuer-certificate` and `issuer-key`: a subject suffix names CUSTOMER users, whose certificates are signed on the runner.');
    let suffix;
    try {
        suffix = (0,distinguished_name/* parseDistinguishedName */.XU)(text);
    }
    catch (error) {
        throw new errors/* InputError */.d('subject-suffix', `${error.message} Accepted: ${distinguished_name/* ACCEPTED_NAME */.Qi}`);
    }
    if (suffix.some(part => part.type === 'CN'))
        throw new errors/* InputError */.d('subject-suffix', "The suffix holds a CN: the CN is the user's own part, made by the action (CN=<prefix>-<random>). Give the rest, e.g. `OU=ci,O=Acme`.");
    return suffix;
}
/** `username` of create-certificate with an issuer: the CUSTOMER user's DN, which must hold a CN. */
function parseCustomerUsername(username) {
    let name;
    try {
        name = (0,distinguished_name/* parseDistinguishedName */.XU)(username);
    }
    catch (error) {
        throw new errors/* InputError */.d('username', `With an issuer, username is the CUSTOMER user's name, its certificate subject: ${error.message} Accepted: ${distinguished_name/* ACCEPTED_NAME */.Qi}`);
    }
    if (!name.some(part => part.type === 'CN'))
        throw new errors/* InputError */.d('username', 'The name holds no CN; Atlas requires one for a CUSTOMER user.');
    if ((0,distinguished_name/* formatDistinguishedName */.D$)(name) !== username)
        throw new errors/* InputError */.d('username', `Write the name as Atlas stores it, without spaces around = and , and with upper-case types: ${(0,distinguished_name/* formatDistinguishedName */.D$)(name)}.`);
    return name;
}
/**
 * The issuer inputs of create-certificate: with an issuer, `username` is the CUSTOMER user's DN,
 * and `renew-within-days` is refused (Atlas keeps no list of certificates it did not issue).
 */
function parseCertificateIssuer(read, username, renewWithinDays) {
    const issuer = parseIssuer(read);
    if (!issuer)
        return undefined;
    if (renewWithinDays !== undefined)
        throw new errors/* InputError */.d('renew-within-days', 'Not available with an issuer: Atlas keeps no list of the certificates signed with your own CA, so nothing tells when one is due. Leave it empty to sign every run.');
    parseCustomerUsername(username);
    return issuer;
}
/**
 * The issuer inputs of create-ephemeral-user: the certificate lives `ephemeral-ttl-hours` plus
 * one hour, so `months` is refused beside an issuer.
 */
function parseEphemeralIssuer(read) {
    const issuer = parseIssuer(read);
    if (issuer && read('months'))
        throw new errors/* InputError */.d('months', 'Not used with an issuer: the certificate of an ephemeral CUSTOMER user lives ephemeral-ttl-hours plus one hour, since nothing can revoke it. Set ephemeral-ttl-hours instead.');
    return { issuer, subjectSuffix: parseSubjectSuffix(read, issuer) };
}

;// CONCATENATED MODULE: ./src/inputs/rotation.ts
/**
 * The release-pipeline inputs of create-certificate: `renew-within-days` and the GitHub secret
 * that receives the PEM. Pure: nothing here performs I/O.
 */

const MAX_RENEW_WITHIN_DAYS = 730;
/** `renew-within-days`: undefined (always issue) when empty. */
function parseRenewWithinDays(read) {
    if (read('renew-within-days') === '')
        return undefined;
    return parseInteger(read, 'renew-within-days', 0, 0, MAX_RENEW_WITHIN_DAYS);
}
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** `github-secret`, `github-token`, `github-secret-environment`: undefined when no secret is asked for. */
function parseGitHubSecret(read) {
    const name = read('github-secret');
    const token = read('github-token');
    const environment = read('github-secret-environment');
    if (!name) {
        if (environment) {
            throw new errors/* InputError */.d('github-secret-environment', 'Given without `github-secret`: name the secret that the environment should hold.');
        }
        return undefined;
    }
    if (!SECRET_NAME.test(name)) {
        throw new errors/* InputError */.d('github-secret', `"${name}" is not a secret name: use letters, digits and underscores, not starting with a digit (^[A-Za-z_][A-Za-z0-9_]*$).`);
    }
    if (/^GITHUB_/i.test(name)) {
        throw new errors/* InputError */.d('github-secret', `"${name}" starts with GITHUB_, which GitHub reserves: choose another name.`);
    }
    if (!token) {
        throw new errors/* InputError */.d('github-token', 'Required with `github-secret`: a token allowed to write Actions secrets (a fine-grained token with "Secrets: Read and write" on the repository, or "Environments: Read and write" for an environment secret). The job\'s GITHUB_TOKEN cannot write secrets.');
    }
    // The name becomes a path segment of the request: "..", "." or a "/" would address another resource.
    if (environment &&
        (environment.length > 255 ||
            [...environment].some(isControlCharacter) ||
            environment.includes('/') ||
            environment === '.' ||
            environment === '..')) {
        throw new errors/* InputError */.d('github-secret-environment', 'Expected an environment name of at most 255 printable characters, without "/", and not "." or "..".');
    }
    return { name, token, environment: environment || undefined };
}

;// CONCATENATED MODULE: ./src/certificate/connection-string.ts

/** The `connection-string` input: a MongoDB URI without credentials, or undefined. */
function parseConnectionString(value) {
    if (!value)
        return undefined;
    const match = /^(mongodb(?:\+srv)?):\/\/([^/?#]*)/.exec(value);
    if (!match) {
        throw new errors/* InputError */.d('connection-string', 'Expected a MongoDB URI starting with mongodb:// or mongodb+srv://.');
    }
    if (match[2].includes('@')) {
        throw new errors/* InputError */.d('connection-string', 'Give the URI without credentials (no user:password@): X.509 authenticates with the certificate.');
    }
    if (!match[2])
        throw new errors/* InputError */.d('connection-string', 'The URI has no host.');
    return value;
}
/** The URI with the X.509 options added (replacing any given): authMechanism, tls, key file. */
function connectionStringFor(uri, certificateFile) {
    const [base, query = ''] = splitOnce(uri, '?');
    const replaced = new Set(['authmechanism', 'tls', 'ssl', 'tlscertificatekeyfile']);
    const kept = query.split('&').filter(p => p && !replaced.has(p.split('=')[0].toLowerCase()));
    kept.push('authMechanism=MONGODB-X509', 'tls=true', `tlsCertificateKeyFile=${encodeURIComponent(certificateFile)}`);
    const hasPath = /^mongodb(?:\+srv)?:\/\/[^/]*\//.test(base);
    return `${base}${hasPath ? '' : '/'}?${kept.join('&')}`;
}
function splitOnce(value, separator) {
    const index = value.indexOf(separator);
    return index < 0 ? [value] : [value.slice(0, index), value.slice(index + 1)];
}

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(73024);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(48161);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
;// CONCATENATED MODULE: ./src/certificate/file.ts






const nodeFileSystem = {
    open: promises_.open,
    unlink: promises_.unlink,
    stat: promises_.stat,
    readFile: path => (0,promises_.readFile)(path, 'utf8'),
    lstat: promises_.lstat,
    lstatIdentity: path => (0,promises_.lstat)(path, { bigint: true })
};
/** The certificate was issued but could not be stored; it cannot be fetched from Atlas again. */
class CertificateFileError extends errors/* TitledError */.D {
    constructor(message, options) {
        super('Certificate file not written', message, options);
        this.name = 'CertificateFileError';
    }
}
/** Where the certificate goes: the given path, or a new random name under RUNNER_TEMP. */
function certificatePath(given, env, cwd) {
    if (given)
        return (0,external_node_path_.resolve)(cwd, given);
    return (0,external_node_path_.join)(env.RUNNER_TEMP || (0,external_node_os_.tmpdir)(), `atlas-x509-${(0,external_node_crypto_.randomUUID)()}.pem`);
}
/**
 * Refuses, before any request: an existing target (never overwritten), a symbolic link at the
 * target (even a dangling one: the key would land wherever it points), a missing folder, a folder
 * that is a symbolic link, or one where this process cannot create a file.
 */
async function checkCertificatePath(path, fs) {
    const target = await fs.lstat(path).then(s => s, () => undefined);
    if (target?.isSymbolicLink())
        return `${path} is a symbolic link; the private key is never written through one. Give the real path of a new file.`;
    if (target)
        return `${path} already exists; it is never overwritten. Give a new path, or leave certificate-file empty for a fresh file under RUNNER_TEMP.`;
    const folderPath = (0,external_node_path_.dirname)(path);
    const folder = await fs.lstat(folderPath).then(s => s, () => undefined);
    if (folder?.isSymbolicLink())
        return `The folder ${folderPath} is a symbolic link; give the real path of the folder.`;
    if (!folder?.isDirectory())
        return `The folder ${folderPath} does not exist.`;
    return probeFolder(folderPath, fs);
}
const EXCLUSIVE_CREATE = external_node_fs_.constants.O_WRONLY | external_node_fs_.constants.O_CREAT | external_node_fs_.constants.O_EXCL;
/**
 * Creates and removes a probe file the way the certificate file will be created: permission bits
 * alone miss read-only mounts, ACLs, quotas and root-owned folders seen by root.
 */
async function probeFolder(folderPath, fs) {
    const probe = (0,external_node_path_.join)(folderPath, `.atlas-x509-probe-${(0,external_node_crypto_.randomUUID)()}`);
    const code = (error) => error.code ?? String(error);
    try {
        await (await fs.open(probe, EXCLUSIVE_CREATE, 0o600)).close();
    }
    catch (error) {
        return `The folder ${folderPath} is not writable by the runner's user (creating a file there failed: ${code(error)}); give a folder it can write to.`;
    }
    try {
        await fs.unlink(probe);
    }
    catch (error) {
        return `The folder ${folderPath} lets the runner's user create files but not remove them (removing ${probe} failed: ${code(error)}); give a folder it can write to.`;
    }
    return undefined;
}
/**
 * Exclusive create, mode 0600: the file is new, and only the runner's user can read it. Returns
 * the created file's device and inode, read from the open handle (not from the path).
 */
async function writeCertificateFile(path, pem, fs) {
    const handle = await fs.open(path, EXCLUSIVE_CREATE, 0o600);
    let record;
    try {
        const created = await handle.stat({ bigint: true });
        record = { path, dev: String(created.dev), ino: String(created.ino) };
        await handle.writeFile(pem, 'utf8');
    }
    catch (error) {
        await handle.close();
        await fs.unlink(path).catch(() => undefined);
        throw error;
    }
    await handle.close();
    return record;
}
/** Why the path is no longer the file the record describes, or undefined when it still is. */
async function differsFromRecord(record, fs) {
    const now = await fs.lstatIdentity(record.path);
    if (now.isSymbolicLink())
        return 'it is now a symbolic link';
    if (!now.isFile())
        return 'it is no longer a regular file';
    if (String(now.dev) !== record.dev || String(now.ino) !== record.ino)
        return 'it is another file than the one the main step created (device or inode differ)';
    return undefined;
}

// EXTERNAL MODULE: ./src/certificate/pem.ts
var certificate_pem = __webpack_require__(39049);
;// CONCATENATED MODULE: ./src/operations/certificate-delivery.ts





function parseCertificateOptions(read, defaultMonths) {
    return {
        months: parseInteger(read, 'months', defaultMonths, 1, 24),
        certificateFile: parseFileInput(read, 'certificate-file') || undefined,
        outputCertificate: parseBoolean(read, 'output-certificate', DEFAULTS['output-certificate']),
        cleanup: parseBoolean(read, 'cleanup', DEFAULTS.cleanup),
        connectionString: parseConnectionString(read('connection-string'))
    };
}
/**
 * Where the certificate will go, checked before any request (a probe file proves the folder
 * writable) so no certificate is minted in vain.
 */
async function prepareCertificatePath(options, ctx) {
    const path = certificatePath(options.certificateFile, ctx.env, ctx.cwd);
    const problem = await checkCertificatePath(path, ctx.fs);
    if (problem)
        throw new errors/* InputError */.d('certificate-file', problem);
    return path;
}
/** Atlas issues the certificate and its key (MANAGED users). */
const atlasIssued = {
    x509Type: 'MANAGED',
    async issue(username, options, ctx) {
        const { io } = ctx;
        const body = await ctx.api.issueCertificate(ctx.groupId, username, options.months);
        const response = (0,certificate_pem/* readCertificateResponse */.Pw)(body);
        // Masks first: nothing below may print before the runner knows the key.
        for (const secret of response.masks)
            io.setSecret(secret);
        const issued = response.check();
        const expiryWarning = (0,certificate_pem/* checkAgainstRequest */.ll)(issued, {
            username,
            months: options.months,
            now: ctx.clock.now()
        });
        if (expiryWarning)
            io.warning(expiryWarning, 'Certificate expiry differs from the request');
        return issued;
    }
};
/**
 * Issues a certificate, then: mask, check, write the file (0600, exclusive), remember it for the
 * post step, set the certificate outputs. Returns the summary rows.
 */
async function issueAndDeliver(username, options, path, ctx, source = atlasIssued) {
    return (await deliverCertificate(username, options, path, ctx, source)).rows;
}
/** issueAndDeliver, also returning the checked certificate (for callers that store it elsewhere). */
async function deliverCertificate(username, options, path, ctx, source = atlasIssued) {
    const { io } = ctx;
    const issued = await source.issue(username, options, ctx);
    let created;
    try {
        created = await writeCertificateFile(path, issued.pem, ctx.fs);
    }
    catch (error) {
        const code = error.code ?? error.message;
        throw new CertificateFileError(`Writing ${path} failed (${code}). ${source.x509Type === 'MANAGED'
            ? `Atlas did issue the certificate for ${username} (serial ${issued.serialNumber}, expires ${issued.expiresAt}), but its private key cannot be fetched again: that certificate is unusable.`
            : `The certificate for ${username} was signed on the runner (serial ${issued.serialNumber}, expires ${issued.expiresAt}); its private key was never stored anywhere else, so that certificate is unusable.`} Check that the folder still exists, is writable and has free space, then run the step again for a new certificate.`, { cause: error });
    }
    if (options.cleanup)
        io.saveState(STATE.certificateFile, JSON.stringify(created));
    io.info(`Certificate for ${username} written to ${path} (mode 0600), valid until ${issued.expiresAt}.`);
    io.setOutput('certificate-file', path);
    if (options.outputCertificate)
        io.setOutput('certificate', issued.pem);
    io.setOutput('username', username);
    io.setOutput('x509-type', source.x509Type);
    io.setOutput('subject', issued.subject);
    io.setOutput('serial-number', issued.serialNumber);
    io.setOutput('fingerprint-sha256', issued.fingerprintSha256);
    io.setOutput('expires-at', issued.expiresAt);
    if (options.connectionString) {
        io.setOutput('connection-string', connectionStringFor(options.connectionString, path));
    }
    const rows = [
        ['User', username],
        ['Subject', issued.subject],
        ['Serial', issued.serialNumber],
        ['Expires', issued.expiresAt],
        ['File', `${path}${options.cleanup ? ' (removed by the post step)' : ''}`]
    ];
    return { rows, issued };
}

// EXTERNAL MODULE: external "node:net"
var external_node_net_ = __webpack_require__(77030);
;// CONCATENATED MODULE: ./src/run-identity.ts
const wholeNumber = (value) => {
    const number = Number.parseInt(value ?? '', 10);
    return Number.isFinite(number) ? String(number) : '0';
};
/** GITHUB_REPOSITORY, GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT, GITHUB_JOB; placeholders outside Actions. */
function runIdentity(env) {
    const repository = env.GITHUB_REPOSITORY?.includes('/') ? env.GITHUB_REPOSITORY : 'local/local';
    return {
        repository,
        runId: wholeNumber(env.GITHUB_RUN_ID),
        runAttempt: wholeNumber(env.GITHUB_RUN_ATTEMPT),
        job: env.GITHUB_JOB || 'job'
    };
}
/** `owner/repo/<run id>/<run attempt>/<job>`: the github-run label of an ephemeral user. */
function runLabel(run) {
    return `${run.repository}/${run.runId}/${run.runAttempt}/${run.job}`.slice(0, 255);
}

;// CONCATENATED MODULE: ./src/atlas/limiter.ts
/**
 * One bound on the requests a run has in flight, whatever they are for (a project's users, a
 * user's certificates, a delete): Atlas is far away, so requests overlap, but a few at a time
 * stay within its rate limits. While Atlas reports that fewer requests remain in its rate-limit
 * bucket than the bound, they go one at a time (a 429's Retry-After already holds every request
 * back, in the retry loop).
 */
class RequestLimiter {
    limit;
    remaining;
    active = 0;
    waiting = [];
    stopped;
    constructor(
    /** Requests in flight at most. */
    limit, 
    /** Atlas's `RateLimit-Remaining` on the latest answer that carried it. */
    remaining) {
        this.limit = limit;
        this.remaining = remaining;
    }
    mayStart() {
        if (this.active === 0)
            return true;
        if (this.active >= this.limit)
            return false;
        const left = this.remaining();
        return left === undefined || left > this.limit;
    }
    /**
     * Runs `work` (at most one request at a time) once a place is free, in the order asked. After
     * `stop`, work not yet started is refused with the stopping error.
     */
    async run(work) {
        if (this.waiting.length === 0 && this.mayStart())
            this.active += 1;
        // A place freed by another's end is counted for this one before it wakes.
        else
            await new Promise(resolve => this.waiting.push(resolve));
        try {
            if (this.stopped)
                throw this.stopped.error;
            return await work();
        }
        finally {
            this.active -= 1;
            this.wake();
        }
    }
    /** Nothing more starts: what is queued fails with `error`. */
    stop(error) {
        this.stopped ??= { error };
    }
    wake() {
        while (this.waiting.length > 0 && this.mayStart()) {
            this.active += 1;
            this.waiting.shift()();
        }
    }
}
/** `fn` over `items` through the limiter, results in the order of `items`; the first failure stops the rest. */
function mapLimited(limiter, items, fn) {
    return Promise.all(items.map(item => limiter
        .run(() => fn(item))
        .catch((error) => {
        limiter.stop(error);
        throw error;
    })));
}

;// CONCATENATED MODULE: ./src/operations/ephemeral-readiness.ts



/**
 * Waiting until a new database user can log in: Atlas applies it to each cluster it reaches
 * asynchronously, and while a cluster's change status is PENDING the user cannot log in there.
 */
/**
 * Status polls in flight at most: the clusters of a round are asked together, so a project of
 * many clusters waits a round trip per round, not one per cluster.
 */
const PARALLEL_POLLS = 4;
/** Status polls: a short first interval for the common case of seconds, then backing off. */
const READY_POLL = { firstIntervalMs: 1000, factor: 1.5, maxIntervalMs: 10_000 };
/** The wait ran out of time: the clusters named still report PENDING. */
class NotReadyError extends errors/* TitledError */.D {
    pending;
    waitedMs;
    constructor(pending, waitedMs, timeoutSeconds) {
        super('Ephemeral user not ready', `After ${seconds(waitedMs)} s (ready-timeout-seconds: ${timeoutSeconds}), ${list(pending)} still ${pending.length === 1 ? 'reports' : 'report'} changeStatus PENDING: the user cannot log in there yet. Raise ready-timeout-seconds if the project's clusters often take longer, or check them in the Atlas UI.`);
        this.pending = pending;
        this.waitedMs = waitedMs;
    }
}
/** A `scopes` entry that is no cluster of the project: the user could never log in there. */
class UnknownClusterError extends errors/* TitledError */.D {
    clusters;
    constructor(clusters, groupId) {
        super('Unknown cluster in scopes', `${list(clusters)} in scopes ${clusters.length === 1 ? 'is' : 'are'} not a cluster of project ${groupId} (Atlas answers CLUSTER_NOT_FOUND): the user could never log in there. Check the names in scopes.`);
        this.clusters = clusters;
    }
}
/** Seconds as the `ready-seconds` output and messages show them: at most one decimal. */
function seconds(ms) {
    return String(Math.round(ms / 100) / 10);
}
/** Clusters a message names at most: ten thousand pending ones must not make a 490 KB annotation. */
const MAX_NAMED_CLUSTERS = 20;
/** The names, the first MAX_NAMED_CLUSTERS of them and how many more. */
function list(names) {
    const named = names.slice(0, MAX_NAMED_CLUSTERS).join(', ');
    const more = names.length - MAX_NAMED_CLUSTERS;
    return more > 0 ? `${named} … and ${more} more` : named;
}
/**
 * Polls `…/clusters/{name}/status` of every cluster the user reaches (its scopes, or every
 * dedicated and Flex cluster of the project) until each has answered APPLIED once; a cluster that
 * has applied the user keeps it, so it is not asked again. The whole wait, listing included, runs
 * within `timeoutSeconds`, which replaces `timeout-seconds` for these requests, whether it is
 * shorter or longer: no request, retry or Retry-After pause of the wait outlasts it.
 */
async function waitUntilReady(scopes, timeoutSeconds, ctx) {
    const started = ctx.clock.now();
    const deadline = started + timeoutSeconds * 1000;
    return ctx.api.withinBudget(deadline, timeoutSeconds, 'ready-timeout-seconds', () => pollUntilApplied(scopes, timeoutSeconds, started, ctx));
}
async function pollUntilApplied(scopes, timeoutSeconds, started, ctx) {
    const { api, clock, groupId, io } = ctx;
    const deadline = started + timeoutSeconds * 1000;
    const elapsed = () => clock.now() - started;
    const timedOut = (pending) => new NotReadyError(pending, elapsed(), timeoutSeconds);
    const listed = scopes.length > 0
        ? undefined
        : [...(await api.listClusters(groupId)), ...(await api.listFlexClusters(groupId))];
    const clusters = listed ? listed.map(cluster => cluster.name) : scopes;
    if (clusters.length === 0) {
        io.info(`Project ${groupId} has no clusters: nothing to wait for.`);
        return { clusters, waitedMs: 0, listed };
    }
    io.info(`Waiting until ${list(clusters)} ${clusters.length === 1 ? 'has' : 'have'} applied the user (up to ${timeoutSeconds} s).`);
    const limiter = new RequestLimiter(PARALLEL_POLLS, () => api.rateLimitRemaining);
    let pending = [...clusters];
    let intervalMs = READY_POLL.firstIntervalMs;
    for (let round = 1;; round++) {
        const stillPending = [];
        const unknown = [];
        let statuses;
        try {
            statuses = await mapLimited(limiter, pending, name => api.getClusterChangeStatus(groupId, name));
        }
        catch (error) {
            // A request refused because the wait's own deadline passed is the wait timing out.
            if (error instanceof AtlasUnreachableError && clock.now() >= deadline)
                throw timedOut(pending);
            throw error;
        }
        pending.forEach((name, index) => {
            const status = statuses[index];
            if (status === 'PENDING')
                stillPending.push(name);
            else if (status === undefined) {
                // A listed cluster deleted since is nothing to wait for; a scope that names none is a mistake.
                if (scopes.length > 0)
                    unknown.push(name);
                else
                    io.debug(`${name} is gone since it was listed: not waited for.`);
            }
        });
        if (unknown.length > 0)
            throw new UnknownClusterError(unknown, groupId);
        pending = stillPending;
        io.debug(`Readiness round ${round} after ${elapsed()} ms: ${pending.length > 0 ? `pending ${list(pending)}` : 'all applied'}`);
        if (pending.length === 0)
            break;
        const remaining = deadline - clock.now();
        if (remaining <= 0)
            throw timedOut(pending);
        // The last poll lands on the deadline rather than after it.
        await clock.sleep(Math.min(intervalMs, remaining));
        intervalMs = Math.min(Math.round(intervalMs * READY_POLL.factor), READY_POLL.maxIntervalMs);
    }
    const waitedMs = elapsed();
    io.info(`The user can log in on ${list(clusters)}: every cluster reports APPLIED after ${seconds(waitedMs)} s.`);
    return { clusters, waitedMs, listed };
}

;// CONCATENATED MODULE: ./src/operations/access-list.ts









/**
 * A temporary entry on the project's IP access list for this job (a GitHub-hosted runner has a
 * new public address every job): added only where the list lacks it, with a comment naming the
 * run and a deleteAfterDate so Atlas removes it even if no post step runs, and deleted by the
 * post step. An entry already listed is never written (a POST would overwrite its comment and
 * make a permanent entry temporary) and never deleted.
 */
/** Where `runner` asks for the runner's public address by default (one address, plain text). */
const DEFAULT_RUNNER_IP_URL = DEFAULTS['runner-ip-url'];
/** Atlas keeps a temporary entry at most a week; a margin for clock skew between runner and Atlas. */
const MAX_ENTRY_LIFETIME_MS = 7 * 86_400_000 - 10 * 60_000;
/** Atlas's limit on an entry's comment. */
const MAX_COMMENT = 80;
/** An address service's answer longer than this is no single address. */
const MAX_ADDRESS_ANSWER = 100;
/**
 * An IP address, or a CIDR block with no host bits set (Atlas would list another block than the
 * one written, and the post step could not find it again); undefined when it is neither.
 */
function entryProblem(value) {
    const [address = '', prefix, extra] = value.split('/');
    const family = (0,external_node_net_.isIP)(address);
    if (family === 0 || extra !== undefined)
        return 'is not an IP address or CIDR block';
    if (prefix === undefined)
        return undefined;
    const bits = family === 4 ? 32 : 128;
    if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > bits)
        return `has a prefix length that is not 0 to ${bits}`;
    const value128 = addressBits(address);
    const hostBits = BigInt(bits - Number(prefix));
    if (hostBits > 0n && value128 % (1n << hostBits) !== 0n)
        return 'has host bits set: write the network address of the block';
    return undefined;
}
/** An address as an integer (IPv4 in 32 bits, IPv6 in 128). */
function addressBits(address) {
    if ((0,external_node_net_.isIP)(address) === 4)
        return address.split('.').reduce((sum, part) => (sum << 8n) + BigInt(Number(part)), 0n);
    const [head = '', tail = ''] = address.split('::');
    const groups = (text) => text === ''
        ? []
        : text.split(':').flatMap(group => {
            // An embedded IPv4 tail (::ffff:192.0.2.1) is two groups.
            if (!group.includes('.'))
                return [BigInt(`0x${group}`)];
            const v4 = addressBits(group);
            return [v4 >> 16n, v4 & 0xffffn];
        });
    const left = groups(head);
    const right = groups(tail);
    const all = address.includes('::')
        ? [...left, ...Array(8 - left.length - right.length).fill(0n), ...right]
        : left;
    return all.reduce((sum, group) => (sum << 16n) + group, 0n);
}
function parseRunnerIpUrl(read) {
    const value = read('runner-ip-url') || DEFAULT_RUNNER_IP_URL;
    const accepted = `Accepted: an https:// URL that answers this runner's public address as plain text (default ${DEFAULT_RUNNER_IP_URL}; http:// only for loopback hosts).`;
    let url;
    try {
        url = new URL(value);
    }
    catch {
        throw new errors/* InputError */.d('runner-ip-url', `"${value}" is not a URL. ${accepted}`);
    }
    if (url.username || url.password)
        throw new errors/* InputError */.d('runner-ip-url', `The URL must not carry credentials. ${accepted}`);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.test(url.hostname)))
        throw new errors/* InputError */.d('runner-ip-url', `${url.protocol}//${url.host} is refused. ${accepted}`);
    return url.href;
}
/** `access-list`: empty, `runner`, and/or IP addresses and CIDR blocks (commas or newlines). */
function parseAccessList(read) {
    const items = splitList(read('access-list'));
    const accepted = "Accepted: `runner` (this runner's public address) and/or IP addresses and CIDR blocks, separated by commas or newlines, e.g. `203.0.113.7, 198.51.100.0/24`.";
    const entries = [];
    let runner = false;
    for (const item of items) {
        if (item === 'runner') {
            runner = true;
            continue;
        }
        const problem = entryProblem(item);
        if (problem)
            throw new errors/* InputError */.d('access-list', `"${item}" ${problem}. ${accepted}`);
        if (!entries.includes(item))
            entries.push(item);
    }
    return { entries, runner, runnerIpUrl: runner ? parseRunnerIpUrl(read) : DEFAULT_RUNNER_IP_URL };
}
const wantsAccessList = (config) => config.runner || config.entries.length > 0;
/**
 * The entries to make sure of: those given, plus this runner's public address for `runner`,
 * asked of `runner-ip-url` before anything is created. The answer must be one address.
 */
async function resolveEntries(config, ctx) {
    if (!config.runner)
        return config.entries;
    const address = await runnerAddress(config.runnerIpUrl, ctx);
    ctx.io.info(`This runner's public address is ${address} (from ${config.runnerIpUrl}).`);
    return config.entries.includes(address) ? config.entries : [...config.entries, address];
}
async function runnerAddress(url, ctx) {
    const unknown = (what) => new errors/* TitledError */.D('Runner address unknown', `${url} ${what}, so access-list: runner has no address to add. Nothing was created. Set runner-ip-url to a service that answers the runner's public address as plain text, or list the address or block in access-list.`);
    if (!ctx.getPlainText)
        throw unknown('cannot be asked from here');
    let answer;
    try {
        answer = await ctx.getPlainText(url);
    }
    catch (error) {
        if (!(error instanceof AtlasUnreachableError))
            throw error;
        throw unknown(`did not answer (${error.message})`);
    }
    if (answer.status < 200 || answer.status >= 300)
        throw unknown(`answered HTTP ${answer.status}`);
    const text = answer.text.trim();
    if (text.length > MAX_ADDRESS_ANSWER || (0,external_node_net_.isIP)(text) === 0)
        throw unknown(`answered something that is not one IPv4 or IPv6 address (${text.length > MAX_ADDRESS_ANSWER ? `${text.length} characters` : JSON.stringify(text)})`);
    return text;
}
/** `atlas-x509-action <owner/repo> run <id>/<attempt> <nonce>`, the repository cut to fit 80. */
function entryComment(ctx, nonce) {
    const run = runIdentity(ctx.env);
    const head = 'atlas-x509-action ';
    const tail = ` run ${run.runId}/${run.runAttempt} ${nonce}`;
    const room = MAX_COMMENT - head.length - tail.length;
    const repository = run.repository.length > room ? `…${run.repository.slice(-(room - 1))}` : run.repository;
    return `${head}${repository}${tail}`.slice(0, MAX_COMMENT);
}
/** The entry's deleteAfterDate: `ttlHours` from now, at most Atlas's one week (less a margin). */
function deleteAfterDate(nowMs, ttlHours) {
    return new Date(nowMs + Math.min(ttlHours * 3600_000, MAX_ENTRY_LIFETIME_MS)).toISOString();
}
/**
 * Adds each entry the list lacks, one POST at a time (Atlas refuses concurrent POSTs to a list).
 * The record for the post step is saved before each POST, so a step cancelled mid-request still
 * has the entry looked for; an entry Atlas refused outright is taken off the record again.
 * Returns the entries added.
 */
async function addEntries(entries, ttlHours, record, ctx) {
    const { api, groupId, io } = ctx;
    const comment = entryComment(ctx, (0,external_node_crypto_.randomBytes)(4).toString('hex'));
    const added = [];
    const save = () => {
        if (record)
            io.saveState(STATE.accessListEntries, added.length ? JSON.stringify(added) : '');
    };
    for (const entry of entries) {
        const existing = await api.getAccessListEntry(groupId, entry);
        if (existing) {
            io.info(`${entry} is already on the IP access list of project ${groupId}: left as it is.`);
            continue;
        }
        const expires = deleteAfterDate(ctx.clock.now(), ttlHours);
        added.push({ entry, comment });
        save();
        try {
            await api.addAccessListEntry(groupId, entry, comment, expires);
        }
        catch (error) {
            if (error instanceof AtlasApiError && error.status < 500) {
                added.pop();
                save();
            }
            throw error;
        }
        io.info(`Added ${entry} to the IP access list of project ${groupId} until ${expires} ("${comment}").`);
    }
    return added.map(item => item.entry);
}
/** The entries did not become ACTIVE within the wait. */
class AccessListNotActiveError extends errors/* TitledError */.D {
    constructor(pending, waitedMs, timeoutSeconds) {
        super('Access-list entry not active', `After ${seconds(waitedMs)} s (ready-timeout-seconds: ${timeoutSeconds}), ${list(pending)} ${pending.length === 1 ? 'is' : 'are'} still PENDING on the project's IP access list: connections from ${pending.length === 1 ? 'it' : 'them'} may still be refused. Raise ready-timeout-seconds, or check Network Access in the Atlas UI.`);
    }
}
/**
 * Polls `…/accessList/{entry}/status` of each added entry until it reports ACTIVE, by
 * `deadlineMs`; FAILED is an error at once.
 */
async function waitUntilActive(entries, deadlineMs, timeoutSeconds, ctx) {
    if (entries.length === 0)
        return;
    const { api, clock, groupId, io } = ctx;
    const started = clock.now();
    await api.withinBudget(deadlineMs, timeoutSeconds, 'ready-timeout-seconds', async () => {
        let pending = [...entries];
        let intervalMs = READY_POLL.firstIntervalMs;
        for (;;) {
            const still = [];
            for (const entry of pending) {
                let status;
                try {
                    status = await api.getAccessListStatus(groupId, entry);
                }
                catch (error) {
                    if (error instanceof AtlasUnreachableError && clock.now() >= deadlineMs)
                        throw new AccessListNotActiveError(pending, clock.now() - started, timeoutSeconds);
                    throw error;
                }
                if (status === 'FAILED')
                    throw new errors/* TitledError */.D('Access-list entry failed', `Atlas reports FAILED for ${entry} on the IP access list of project ${groupId}: it did not apply the entry. The post step deletes it; run the step again, or check Network Access in the Atlas UI.`);
                if (status === 'PENDING')
                    still.push(entry);
            }
            pending = still;
            if (pending.length === 0)
                break;
            const remaining = deadlineMs - clock.now();
            if (remaining <= 0)
                throw new AccessListNotActiveError(pending, clock.now() - started, timeoutSeconds);
            await clock.sleep(Math.min(intervalMs, remaining));
            intervalMs = Math.min(Math.round(intervalMs * READY_POLL.factor), READY_POLL.maxIntervalMs);
        }
    });
    io.info(`${list(entries)} ${entries.length === 1 ? 'is' : 'are'} ACTIVE on the IP access list.`);
}
/** The post step's record of added entries; entries that are not text are dropped. */
function readAddedEntries(text) {
    try {
        const value = JSON.parse(text);
        if (!Array.isArray(value))
            return [];
        return value.flatMap(item => typeof item === 'object' &&
            item !== null &&
            typeof item.entry === 'string' &&
            typeof item.comment === 'string' &&
            entryProblem(item.entry) === undefined
            ? [{ entry: item.entry, comment: item.comment }]
            : []);
    }
    catch {
        return [];
    }
}
/**
 * The post step: deletes each entry the main step added, after reading it. An entry whose comment
 * is no longer the one this step wrote was written again by someone else since: left alone.
 */
async function removeAddedEntries(added, ctx) {
    const { api, groupId, io } = ctx;
    for (const { entry, comment } of added) {
        try {
            const existing = await api.getAccessListEntry(groupId, entry);
            if (!existing) {
                io.info(`${entry} was already off the IP access list of project ${groupId}.`);
                continue;
            }
            if (existing.comment !== comment) {
                io.info(`${entry} on the IP access list of project ${groupId} no longer carries this step's comment (it was written again since): left as it is.`);
                continue;
            }
            const deleted = await api.deleteAccessListEntry(groupId, entry);
            io.info(deleted
                ? `Deleted ${entry} from the IP access list of project ${groupId}.`
                : `${entry} was already off the IP access list of project ${groupId}.`);
        }
        catch (error) {
            if (!(error instanceof TitledError))
                throw error;
            io.warning(`${entry} could not be deleted from the IP access list of project ${groupId} (${error.title}: ${error.annotation}). Atlas deletes it at its deleteAfterDate; delete it sooner under Network Access in the Atlas UI.`, 'Access-list entry not deleted');
        }
    }
}

;// CONCATENATED MODULE: ./src/certificate/login-check.ts
/**
 * Proving that the issued certificate logs in: the official MongoDB driver connects with the
 * connection string, runs `ping` and `connectionStatus`, and the authenticated user is compared
 * with the certificate's. The driver is imported only here and only when a step asks for this,
 * so the bundler puts it in a chunk of its own that other steps never load.
 */
class LoginCheckError extends Error {
    layer;
    constructor(layer, message, options) {
        super(message, options);
        this.layer = layer;
        this.name = 'LoginCheckError';
    }
}
const LAYER_ADVICE = {
    'name resolution': "the cluster's host name (or its SRV record) did not resolve: check the connection string and the runner's DNS",
    TCP: "no connection reached the cluster: the runner's address is not (yet) on the project's IP access list, or a firewall blocks the port (27017)",
    TLS: "the TLS handshake failed: the cluster's certificate is not trusted here, or the client certificate was refused",
    authentication: 'the cluster refused the certificate (AuthenticationFailed): the user may not be applied there yet, or is scoped to other clusters',
    user: 'the cluster authenticated another user than the one issued'
};
function layerAdvice(layer) {
    return LAYER_ADVICE[layer];
}
/** The error and every error it wraps: causes, and each server's error in a selection failure. */
function errorChain(error, depth = 0) {
    if (typeof error !== 'object' || error === null || depth > 6)
        return [];
    const err = error;
    const servers = err.reason?.servers instanceof Map ? [...err.reason.servers.values()] : [];
    return [
        err,
        ...errorChain(err.cause, depth + 1),
        ...servers.flatMap(server => errorChain(server.error, depth + 1))
    ];
}
/** Which layer a driver error comes from (the innermost evidence wins). */
function classifyLoginError(error) {
    const chain = errorChain(error);
    const codes = chain.map(e => (typeof e.code === 'string' ? e.code : ''));
    const texts = chain.map(e => (typeof e.message === 'string' ? e.message : '')).join('\n');
    if (chain.some(e => e.code === 18 || e.codeName === 'AuthenticationFailed'))
        return 'authentication';
    if (codes.some(code => code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ESERVFAIL') ||
        chain.some(e => typeof e.syscall === 'string' && /^(query|getaddrinfo)/.test(e.syscall)))
        return 'name resolution';
    if (codes.some(code => /^(ERR_TLS|ERR_SSL)|CERT|SELF_SIGNED|UNABLE_TO/.test(code)) ||
        /certificate|ssl|tls alert|handshake failure/i.test(texts))
        return 'TLS';
    return 'TCP';
}
const firstLine = (error) => String(error?.message ?? error)
    .split('\n')[0]
    .slice(0, 300);
/**
 * One login with MONGODB-X509: connect, `ping`, `connectionStatus`; the authenticated user must
 * be `expectedUser` in $external. Throws LoginCheckError naming the layer that failed.
 */
async function checkLogin(uri, options) {
    const { MongoClient } = await __webpack_require__.e(/* import() */ 245).then(__webpack_require__.bind(__webpack_require__, 84294));
    const timeoutMs = Math.max(1, Math.floor(options.timeoutMs));
    const client = new MongoClient(uri, {
        serverSelectionTimeoutMS: timeoutMs,
        connectTimeoutMS: timeoutMs,
        socketTimeoutMS: timeoutMs,
        // One connection, no monitoring beyond what selecting the server needs.
        maxPoolSize: 1,
        appName: 'atlas-x509-action verify-login'
    });
    try {
        await client.connect();
        const admin = client.db('admin');
        await admin.command({ ping: 1 });
        const status = (await admin.command({ connectionStatus: 1 }));
        const users = status.authInfo?.authenticatedUsers ?? [];
        const match = users.find(u => u.user === options.expectedUser && u.db === '$external');
        if (!match) {
            const seen = users.map(u => `${String(u.user)} (${String(u.db)})`).join(', ') || 'none';
            throw new LoginCheckError('user', `connectionStatus reports ${seen} as authenticated, not ${options.expectedUser} ($external)`);
        }
        return { user: options.expectedUser, db: '$external' };
    }
    catch (error) {
        if (error instanceof LoginCheckError)
            throw error;
        throw new LoginCheckError(classifyLoginError(error), firstLine(error), { cause: error });
    }
    finally {
        await client.close().catch(() => undefined);
    }
}

;// CONCATENATED MODULE: ./src/operations/reachability.ts






function parseReachOptions(read) {
    return {
        accessList: parseAccessList(read),
        verifyLogin: parseBoolean(read, 'verify-login', DEFAULTS['verify-login'])
    };
}
/** A login attempt is cut off after this long, so a retry still fits in the wait. */
const MAX_LOGIN_ATTEMPT_MS = 10_000;
/**
 * The clusters the user reaches, with their connection strings: those the readiness wait listed,
 * else the scoped clusters one by one, else the project's lists.
 */
async function reachedClusters(scopes, listed, ctx) {
    if (listed)
        return listed;
    const { api, groupId } = ctx;
    if (scopes.length === 0)
        return [...(await api.listClusters(groupId)), ...(await api.listFlexClusters(groupId))];
    const clusters = [];
    for (const name of scopes) {
        const cluster = await api.getCluster(groupId, name);
        if (cluster)
            clusters.push(cluster);
    }
    return clusters;
}
/**
 * Cluster name → its public connection string with the X.509 options: `standardSrv`, or
 * `standard` where Atlas gives no SRV string (said in the log). Clusters with neither are left out.
 */
function connectionStrings(clusters, certificateFile, ctx) {
    const uris = new Map();
    for (const cluster of clusters) {
        const base = cluster.standardSrv ?? cluster.standard;
        if (!base) {
            ctx.io.debug(`Atlas gives no public connection string for ${cluster.name}: left out.`);
            continue;
        }
        if (!cluster.standardSrv)
            ctx.io.info(`Atlas gives no standardSrv connection string for ${cluster.name}: using its standard (mongodb://) one.`);
        uris.set(cluster.name, connectionStringFor(base, certificateFile));
    }
    return uris;
}
/** Sets `connection-string` (one cluster) or `connection-strings` (several, a JSON object). */
function setConnectionOutputs(uris, ctx) {
    if (uris.size === 1)
        ctx.io.setOutput('connection-string', [...uris.values()][0]);
    else if (uris.size > 1)
        ctx.io.setOutput('connection-strings', JSON.stringify(Object.fromEntries(uris)));
}
/**
 * Logs in through each URI with the issued certificate until it works or `deadlineMs` passes
 * (the user or the access-list entry may still be on its way); then one error naming the layer
 * that failed last. Returns a line per cluster for the log and summary.
 */
async function verifyLogins(uris, expectedUser, deadlineMs, timeoutSeconds, ctx) {
    const { clock, io } = ctx;
    if (uris.size === 0)
        throw new errors/* TitledError */.D('Login not verified', 'verify-login: true needs a connection string, and there is none: give the connection-string input, or let the user reach a cluster for which Atlas gives one.');
    const started = clock.now();
    const verified = [];
    for (const [name, uri] of uris) {
        let intervalMs = READY_POLL.firstIntervalMs;
        for (let attempt = 1;; attempt++) {
            const remaining = deadlineMs - clock.now();
            try {
                const login = await checkLogin(uri, {
                    expectedUser,
                    timeoutMs: Math.min(Math.max(remaining, 1000), MAX_LOGIN_ATTEMPT_MS)
                });
                const line = `${name}: logged in as ${login.user} (${login.db}); ping and connectionStatus answered`;
                io.info(`Login verified on ${line}.`);
                verified.push(line);
                break;
            }
            catch (error) {
                if (!(error instanceof LoginCheckError))
                    throw error;
                io.debug(`Login attempt ${attempt} on ${name} failed at the ${error.layer} layer: ${error.message}`);
                const left = deadlineMs - clock.now();
                if (error.layer === 'user' || left <= 0)
                    throw new errors/* TitledError */.D(`Login failed: ${error.layer}`, `The issued certificate could not log in to ${name} after ${attempt} ${attempt === 1 ? 'try' : 'tries'} in ${seconds(clock.now() - started)} s (ready-timeout-seconds: ${timeoutSeconds}). It failed at the ${error.layer} layer: ${layerAdvice(error.layer)}. Last error: ${error.message}`);
                await clock.sleep(Math.min(intervalMs, left));
                intervalMs = Math.min(Math.round(intervalMs * READY_POLL.factor), READY_POLL.maxIntervalMs);
            }
        }
    }
    if (uris.size > 1)
        io.info(`Login verified on ${list([...uris.keys()])}.`);
    return verified;
}
function parseCertificateReach(read, connectionString) {
    const reach = parseReachOptions(read);
    if (reach.verifyLogin && !connectionString)
        throw new errors/* InputError */.d('verify-login', "create-certificate needs the connection-string input to log in with: give the cluster's URI, or set verify-login to false.");
    return {
        ...reach,
        ttlHours: parseInteger(read, 'ephemeral-ttl-hours', DEFAULTS['ephemeral-ttl-hours'], 1, 720),
        readyTimeoutSeconds: parseInteger(read, 'ready-timeout-seconds', DEFAULTS['ready-timeout-seconds'], 1, 3600)
    };
}
/**
 * create-certificate after the certificate is written: the access-list entries (added, then
 * waited for until ACTIVE) and the login check, both within ready-timeout-seconds. Returns the
 * summary rows.
 */
async function reachWithCertificate(reach, entries, certificate, ctx) {
    const rows = [];
    const deadline = ctx.clock.now() + reach.readyTimeoutSeconds * 1000;
    if (wantsAccessList(reach.accessList)) {
        const added = await addEntries(entries, reach.ttlHours, certificate.cleanup, ctx);
        ctx.io.setOutput('access-list-entries', JSON.stringify(added));
        await waitUntilActive(added, deadline, reach.readyTimeoutSeconds, ctx);
        rows.push([
            'Access list',
            added.length > 0 ? `added ${added.join(', ')}` : 'every entry was already listed'
        ]);
    }
    if (reach.verifyLogin && certificate.connectionString) {
        const uris = new Map([
            [
                'the connection-string input',
                connectionStringFor(certificate.connectionString, certificate.path)
            ]
        ]);
        const lines = await verifyLogins(uris, certificate.subject, deadline, reach.readyTimeoutSeconds, ctx);
        rows.push(['Login verified', lines.join('; ')]);
    }
    return rows;
}

;// CONCATENATED MODULE: ./src/iso-date.ts
/** Dates from outside (Atlas fields, labels) are read strictly, then written by this action. */
const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?Z$/;
/**
 * The time of a strict ISO 8601 UTC date-time, `YYYY-MM-DDTHH:MM:SS(.sss)Z`, or undefined for
 * anything else. `Date.parse` alone is too lenient: it takes `1`, `Jan 1 1970` or `2024-02-30`.
 */
function parseIsoUtc(value) {
    if (typeof value !== 'string')
        return undefined;
    const match = ISO_UTC.exec(value);
    if (!match)
        return undefined;
    const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
    const millis = Number((match[7] ?? '').padEnd(3, '0'));
    const time = Date.UTC(year, month - 1, day, hour, minute, second, millis);
    const date = new Date(time);
    // Date.UTC rolls 30 February over into March: a date that does not round-trip does not exist.
    const exists = date.getUTCFullYear() === year &&
        date.getUTCMonth() === month - 1 &&
        date.getUTCDate() === day &&
        date.getUTCHours() === hour &&
        date.getUTCMinutes() === minute &&
        date.getUTCSeconds() === second;
    return exists ? time : undefined;
}
/** A strict ISO 8601 UTC date re-written as `toISOString` does, or undefined. */
function normalisedIsoUtc(value) {
    const time = parseIsoUtc(value);
    return time === undefined ? undefined : new Date(time).toISOString();
}

;// CONCATENATED MODULE: ./src/operations/renewal.ts

const DAY_MS = 86_400_000;
/**
 * GitHub stamps `updated_at` and Atlas `createdAt`, each by its own clock and to the second: a
 * secret written right after minting may look a little older than its certificate. Without this
 * allowance a skew of a second would make every run issue again.
 */
const CLOCK_SKEW_ALLOWANCE_MS = 60_000;
/**
 * Due when the secret (if there is one to keep) does not hold the latest certificate: it is
 * missing, or was last written before that certificate was created, as when a run minted it and
 * then failed to store it. Otherwise due once the latest unexpired certificate expires within
 * `renewWithinDays` days. The secret comes first: it is what the run repairs.
 */
function decideRenewal(records, renewWithinDays, now, secret) {
    // Only a strict ISO 8601 UTC notAfter counts: a server's "9999" must not make renewal never due.
    const unexpired = records
        .map(record => ({ record, expiry: parseIsoUtc(record.notAfter) }))
        .filter((entry) => entry.expiry !== undefined && entry.expiry > now);
    const latest = unexpired.reduce((best, entry) => (best === undefined || entry.expiry > best.expiry ? entry : best), undefined);
    if (secret && !secret.exists) {
        return { due: true, reason: 'secret-missing', detail: 'the GitHub secret does not exist' };
    }
    if (secret?.exists && latest) {
        const updatedAt = parseIsoUtc(secret.updatedAt);
        const createdAt = parseIsoUtc(latest.record.createdAt);
        // A date that cannot be read cannot show that the secret holds the certificate.
        if (updatedAt === undefined ||
            createdAt === undefined ||
            updatedAt < createdAt - CLOCK_SKEW_ALLOWANCE_MS) {
            return {
                due: true,
                reason: 'secret-stale',
                detail: `the GitHub secret was last updated at ${secret.updatedAt || 'an unknown time'}, before the latest certificate was created (${latest.record.createdAt ?? 'at an unknown time'}): that certificate never reached it`
            };
        }
    }
    if (!latest) {
        return { due: true, reason: 'expiring', detail: 'the user has no unexpired certificate' };
    }
    const latestExpiry = new Date(latest.expiry).toISOString();
    const dueAt = latest.expiry - renewWithinDays * DAY_MS;
    if (now >= dueAt) {
        return {
            due: true,
            reason: 'expiring',
            detail: `the latest certificate expires at ${latestExpiry}, within ${renewWithinDays} days`
        };
    }
    return { due: false, reason: 'not-due', latestExpiry, dueAt: new Date(dueAt).toISOString() };
}

;// CONCATENATED MODULE: ./src/atlas/api.ts

/**
 * The Atlas Admin API as this action uses it: the only module that knows Atlas's paths, API
 * versions and the error codes that change what happens next.
 */
const EXTERNAL_DATABASE = '$external';
/** The limit on database users per project (100 unless raised). */
const DATABASE_USERS_LIMIT = 'atlas.project.security.databaseAccess.users';
/**
 * Percent-encodes every interpolated value: `atlasPath\`/groups/${id}/databaseUsers/${name}\``.
 * `.` and `..` are refused: encoding leaves them as they are, and URL resolution would then climb
 * to another resource (a name from a server's list must not steer a DELETE elsewhere).
 */
function atlasPath(strings, ...values) {
    for (const value of values) {
        if (value === '.' || value === '..')
            throw new AtlasProtocolError(`"${value}" cannot be a path segment of an Atlas URL.`);
    }
    return strings.reduce((path, part, i) => path + part + (i < values.length ? encodeURIComponent(values[i]) : ''), '');
}
/**
 * JSON.parse, with every numeric `_id` turned into a string first: Atlas's certificate ids are
 * int64 values above 2^53 that a JavaScript number would round.
 */
function parseWithExactIds(text) {
    return JSON.parse(text.replace(/("_id"\s*:\s*)(-?\d+)/g, '$1"$2"'));
}
/**
 * API versions of the cluster routes. The cluster list's older versions answer 400
 * CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API in a project holding a Flex cluster; Flex clusters have
 * one version only. The status route is served at 2023-01-01, the client's default.
 */
/** Where the Admin API v2 lives on the Atlas origin. */
const API_V2 = '/api/atlas/v2';
/** The version every resource used here is served in, unless named otherwise below. */
const BASE_VERSION = '2023-01-01';
const CLUSTERS_VERSION = '2024-08-05';
const FLEX_CLUSTERS_VERSION = '2024-11-13';
/** Atlas for Government (`cloud.mongodbgov.com`) has no Flex clusters and no route listing them. */
function isAtlasForGovernment(baseUrl) {
    const host = new URL(baseUrl).hostname.toLowerCase();
    return host === 'mongodbgov.com' || host.endsWith('.mongodbgov.com');
}
/** The largest page Atlas serves, so most lists take one request. */
const PAGE_SIZE = 500;
const MAX_PAGES = 1000;
/** A list longer than this is refused, never cut short: no project this action serves has more. */
const MAX_LIST_ITEMS = 10_000;
/** Atlas limits database usernames to 1024 characters. */
const MAX_USERNAME_LENGTH = 1024;
const isRecord = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);
/** A user from an answer, type-checked: a record without a string name is not Atlas's. */
function readDatabaseUser(value) {
    if (!isRecord(value) ||
        typeof value.username !== 'string' ||
        typeof value.databaseName !== 'string' ||
        value.username.length === 0 ||
        value.username.length > MAX_USERNAME_LENGTH ||
        value.databaseName.length > MAX_USERNAME_LENGTH) {
        throw new AtlasProtocolError('Atlas answered with a database user that has no usable username or databaseName (each a string of at most 1024 characters).');
    }
    // Labels that are not {key, value} strings are not this action's: they are dropped.
    const labels = Array.isArray(value.labels)
        ? value.labels.flatMap(label => isRecord(label) && typeof label.key === 'string' && typeof label.value === 'string'
            ? [{ key: label.key, value: label.value }]
            : [])
        : [];
    return {
        username: value.username,
        databaseName: value.databaseName,
        ...(typeof value.x509Type === 'string' ? { x509Type: value.x509Type } : {}),
        labels
    };
}
const optionalText = (value, max) => typeof value === 'string' ? value.slice(0, max) : undefined;
/** A certificate record, type-checked: `_id` must be an id (digits, as parseWithExactIds leaves it). */
function readCertificateRecord(value) {
    if (!isRecord(value) || typeof value._id !== 'string' || !/^-?\d{1,20}$/.test(value._id)) {
        throw new AtlasProtocolError('Atlas answered with a certificate record whose _id is not a number.');
    }
    return {
        _id: value._id,
        subject: optionalText(value.subject, 1024),
        createdAt: optionalText(value.createdAt, 64),
        notAfter: optionalText(value.notAfter, 64)
    };
}
/** A project from the organisation's list: its id becomes a path segment, so it must be one. */
function readProject(value) {
    if (!isRecord(value) || typeof value.id !== 'string' || !/^[a-f0-9]{24}$/.test(value.id))
        throw new AtlasProtocolError('Atlas listed a project of the organisation whose id is not 24 hex digits.');
    return { id: value.id, name: optionalText(value.name, 64) ?? '' };
}
/** A limit's answer: `value` a whole number, `currentUsage` kept when it is one. */
function readProjectLimit(value, limitName) {
    const whole = (n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
    if (!isRecord(value) || !whole(value.value))
        throw new AtlasProtocolError(`Atlas answered the project limit ${limitName} without a whole-number value.`);
    return {
        value: value.value,
        ...(whole(value.currentUsage) ? { currentUsage: value.currentUsage } : {})
    };
}
/** A cluster's name from a list entry: a cluster without one is not Atlas's answer. */
function readClusterName(value) {
    if (!isRecord(value) || typeof value.name !== 'string' || value.name === '')
        throw new AtlasProtocolError('Atlas listed a cluster without a name.');
    return value.name;
}
const optionalUri = (value) => typeof value === 'string' && /^mongodb(\+srv)?:\/\//.test(value) && value.length <= 4096
    ? value
    : undefined;
/** A cluster with its public connection strings (`standardSrv`, `standard`), where given. */
function readClusterEndpoint(value) {
    const name = readClusterName(value);
    const strings = isRecord(value) && isRecord(value.connectionStrings) ? value.connectionStrings : {};
    const standardSrv = optionalUri(strings.standardSrv);
    const standard = optionalUri(strings.standard);
    return {
        name,
        ...(standardSrv ? { standardSrv } : {}),
        ...(standard ? { standard } : {})
    };
}
/** An IP address or CIDR block as Atlas's path wants it: the slash percent-encoded. */
const entryPath = (groupId, entry, suffix = '') => atlasPath `/groups/${groupId}/accessList/${entry}` + suffix;
const isCode = (error, status, code) => error instanceof AtlasApiError && error.status === status && error.errorCode === code;
/**
 * Atlas saying the address or block is not on the list; a 404 for a wrong path or project
 * (RESOURCE_NOT_FOUND, GROUP_NOT_FOUND) says nothing about the entry.
 */
const isEntryNotFound = (error) => isCode(error, 404, 'ATLAS_NETWORK_PERMISSION_ENTRY_NOT_FOUND');
class HttpAtlasApi {
    client;
    constructor(client) {
        this.client = client;
    }
    /** A v2 call: the path under /api/atlas/v2, in BASE_VERSION unless the options name one. */
    call(method, path, options = {}) {
        return this.client.call(method, `${API_V2}${path}`, { version: BASE_VERSION, ...options });
    }
    json(method, path, options = {}, parse) {
        const full = { version: BASE_VERSION, ...options };
        return this.client.json(method, `${API_V2}${path}`, full, parse);
    }
    get requestCount() {
        return this.client.requestCount;
    }
    get rateLimitRemaining() {
        return this.client.rateLimitRemaining;
    }
    async issueCertificate(groupId, username, months) {
        const response = await this.call('POST', atlasPath `/groups/${groupId}/databaseUsers/${username}/certs`, { body: { monthsUntilExpiration: months } });
        return response.text;
    }
    listCertificates(groupId, username) {
        return this.listAll(atlasPath `/groups/${groupId}/databaseUsers/${username}/certs`, readCertificateRecord, record => record._id, parseWithExactIds);
    }
    async createUser(groupId, user) {
        const body = {
            databaseName: EXTERNAL_DATABASE,
            groupId,
            username: user.username,
            x509Type: user.x509Type ?? 'MANAGED',
            roles: user.roles,
            ...(user.clusters.length > 0
                ? { scopes: user.clusters.map(name => ({ name, type: 'CLUSTER' })) }
                : {}),
            description: user.description,
            labels: user.labels
        };
        try {
            await this.call('POST', atlasPath `/groups/${groupId}/databaseUsers`, { body });
            return 'created';
        }
        catch (error) {
            if (isCode(error, 409, 'USER_ALREADY_EXISTS'))
                return 'exists';
            throw error;
        }
    }
    async getUser(groupId, username) {
        try {
            return readDatabaseUser(await this.json('GET', atlasPath `/groups/${groupId}/databaseUsers/${EXTERNAL_DATABASE}/${username}`));
        }
        catch (error) {
            if (isCode(error, 404, 'USERNAME_NOT_FOUND'))
                return undefined;
            throw error;
        }
    }
    async deleteUser(groupId, username) {
        try {
            await this.call('DELETE', atlasPath `/groups/${groupId}/databaseUsers/${EXTERNAL_DATABASE}/${username}`);
            return true;
        }
        catch (error) {
            // Only Atlas saying the user does not exist means it is gone: a 404 for a wrong path or
            // project (RESOURCE_NOT_FOUND, GROUP_NOT_FOUND) says nothing about the user.
            if (isCode(error, 404, 'USERNAME_NOT_FOUND'))
                return false;
            throw error;
        }
    }
    listUsers(groupId) {
        return this.listAll(atlasPath `/groups/${groupId}/databaseUsers`, readDatabaseUser, user => `${user.databaseName}/${user.username}`);
    }
    listOrganisationProjects(orgId) {
        return this.listAll(atlasPath `/orgs/${orgId}/groups`, readProject, project => project.id);
    }
    async getProjectLimit(groupId, limitName) {
        return readProjectLimit(await this.json('GET', atlasPath `/groups/${groupId}/limits/${limitName}`), limitName);
    }
    async getUserSecurity(groupId) {
        const security = await this.json('GET', atlasPath `/groups/${groupId}/userSecurity`);
        if (!isRecord(security))
            throw new AtlasProtocolError('Atlas answered GET userSecurity with something that is not an object.');
        return security;
    }
    async setCustomerCas(groupId, pem) {
        await this.call('PATCH', atlasPath `/groups/${groupId}/userSecurity`, {
            body: { customerX509: { cas: pem } },
            retry: 'no-repeat'
        });
    }
    async disableCustomerX509(groupId) {
        await this.call('DELETE', atlasPath `/groups/${groupId}/userSecurity/customerX509`, {
            retry: 'no-repeat'
        });
    }
    async listClusterNames(groupId) {
        return (await this.listClusters(groupId)).map(cluster => cluster.name);
    }
    async listFlexClusterNames(groupId) {
        return (await this.listFlexClusters(groupId)).map(cluster => cluster.name);
    }
    listClusters(groupId) {
        return this.listAll(atlasPath `/groups/${groupId}/clusters`, readClusterEndpoint, cluster => cluster.name, JSON.parse, { version: CLUSTERS_VERSION });
    }
    async listFlexClusters(groupId) {
        if (isAtlasForGovernment(this.client.baseUrl))
            return [];
        return this.listAll(atlasPath `/groups/${groupId}/flexClusters`, readClusterEndpoint, cluster => cluster.name, JSON.parse, { version: FLEX_CLUSTERS_VERSION });
    }
    async getCluster(groupId, clusterName) {
        try {
            return readClusterEndpoint(await this.json('GET', atlasPath `/groups/${groupId}/clusters/${clusterName}`, {
                version: CLUSTERS_VERSION
            }));
        }
        catch (error) {
            // A Flex cluster is not served by the cluster API: read it from its own.
            const notDedicated = isCode(error, 404, 'CLUSTER_NOT_FOUND') ||
                isCode(error, 400, 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API');
            if (!notDedicated || isAtlasForGovernment(this.client.baseUrl)) {
                if (notDedicated)
                    return undefined;
                throw error;
            }
        }
        try {
            return readClusterEndpoint(await this.json('GET', atlasPath `/groups/${groupId}/flexClusters/${clusterName}`, {
                version: FLEX_CLUSTERS_VERSION
            }));
        }
        catch (error) {
            if (isCode(error, 404, 'CLUSTER_NOT_FOUND'))
                return undefined;
            throw error;
        }
    }
    async getAccessListEntry(groupId, entry) {
        let answer;
        try {
            answer = await this.json('GET', entryPath(groupId, entry));
        }
        catch (error) {
            if (isEntryNotFound(error))
                return undefined;
            throw error;
        }
        if (!isRecord(answer))
            throw new AtlasProtocolError('Atlas answered GET …/accessList/{entry} with something that is not an access-list entry.');
        const value = typeof answer.cidrBlock === 'string'
            ? answer.cidrBlock
            : typeof answer.ipAddress === 'string'
                ? answer.ipAddress
                : entry;
        return { value, ...(typeof answer.comment === 'string' ? { comment: answer.comment } : {}) };
    }
    async addAccessListEntry(groupId, entry, comment, deleteAfterDate) {
        const address = entry.includes('/') ? { cidrBlock: entry } : { ipAddress: entry };
        // Atlas takes the entries as an array; it refuses concurrent POSTs to one list, so one at a time.
        await this.call('POST', atlasPath `/groups/${groupId}/accessList`, {
            body: [{ ...address, comment, deleteAfterDate }]
        });
    }
    async getAccessListStatus(groupId, entry) {
        const answer = await this.json('GET', entryPath(groupId, entry, '/status'));
        const status = isRecord(answer) ? answer.STATUS : undefined;
        if (status === 'ACTIVE' || status === 'FAILED' || status === 'PENDING')
            return status;
        throw new AtlasProtocolError('Atlas answered GET …/accessList/{entry}/status without a STATUS of PENDING, ACTIVE or FAILED.');
    }
    async deleteAccessListEntry(groupId, entry) {
        try {
            await this.call('DELETE', entryPath(groupId, entry));
            return true;
        }
        catch (error) {
            if (isEntryNotFound(error))
                return false;
            throw error;
        }
    }
    async getClusterChangeStatus(groupId, clusterName) {
        try {
            const status = await this.json('GET', atlasPath `/groups/${groupId}/clusters/${clusterName}/status`);
            if (!isRecord(status))
                throw new AtlasProtocolError(`Atlas answered GET …/clusters/${clusterName.slice(0, 100)}/status with something that is not a ClusterStatus object. Check base-url and any proxy in between, then run the step again.`);
            return status.changeStatus === 'APPLIED' ? 'APPLIED' : 'PENDING';
        }
        catch (error) {
            if (isCode(error, 404, 'CLUSTER_NOT_FOUND'))
                return undefined;
            throw error;
        }
    }
    withinBudget(deadlineMs, seconds, input, work) {
        return this.client.withinBudget(deadlineMs, seconds, input, work);
    }
    /**
     * Every item of a paginated list, each type-checked by `read` and kept once by `key`. Follows
     * the `next` link or `totalCount`; a page shorter than asked for is not taken as the end
     * (Atlas's `totalCount` is an estimate and pages may be short). An empty page, or one that
     * brings no item not seen before (a server that ignores pageNum repeats its first page), ends
     * the list; more than MAX_LIST_ITEMS items or MAX_PAGES pages is an error, never a cut.
     */
    async listAll(path, read, key, parse = JSON.parse, options = {}) {
        const items = new Map();
        const tooLong = (what) => new AtlasProtocolError(`GET ${path} lists ${what}; refused (a list of more than ${MAX_LIST_ITEMS} items or ${MAX_PAGES} pages is not read).`);
        for (let pageNum = 1;; pageNum++) {
            if (pageNum > MAX_PAGES)
                throw tooLong(`more than ${MAX_PAGES} pages`);
            const page = await this.json('GET', path, { ...options, query: { itemsPerPage: PAGE_SIZE, pageNum, includeCount: true } }, parse);
            if (!isRecord(page) || !Array.isArray(page.results))
                throw new AtlasProtocolError(`GET ${path} answered a page without a results array.`);
            const results = page.results;
            if (results.length === 0)
                break;
            if (results.length > MAX_LIST_ITEMS)
                throw tooLong(`${results.length} items on one page`);
            const before = items.size;
            for (const raw of results) {
                const item = read(raw);
                const id = key(item);
                if (!items.has(id))
                    items.set(id, item);
            }
            if (items.size > MAX_LIST_ITEMS)
                throw tooLong(`more than ${MAX_LIST_ITEMS} items`);
            if (items.size === before)
                break;
            const links = Array.isArray(page.links) ? page.links : [];
            const hasNext = links.some(link => isRecord(link) && link.rel === 'next');
            const countSaysMore = typeof page.totalCount === 'number' && items.size < page.totalCount;
            if (!hasNext && !countSaysMore)
                break;
        }
        return [...items.values()];
    }
}
/** The error for a user name that is taken by a user this step did not create. */
function userTakenError(detail) {
    return new AtlasApiError(409, 'USER_ALREADY_EXISTS', detail);
}

;// CONCATENATED MODULE: ./src/customer-ca.ts



/** Customer-managed X.509: the CA bundle, its checks, and what Atlas holds. */
/** A CA bundle that failed the local checks; the message names the block, never its content. */
class CaBundleError extends Error {
}
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
/** Every certificate of a PEM bundle, in order. Anything that is not a certificate is refused. */
function parseCertificates(pem) {
    const text = pem.replace(/\r\n/g, '\n');
    const blocks = [...text.matchAll(PEM_BLOCK)];
    if (blocks.length === 0)
        throw new CaBundleError('No PEM certificate block (-----BEGIN CERTIFICATE-----) was found.');
    if (text.replace(PEM_BLOCK, '').trim() !== '') {
        throw new CaBundleError('There is text outside the PEM blocks; give only -----BEGIN CERTIFICATE----- blocks.');
    }
    return blocks.map((block, i) => {
        if (block[1] !== 'CERTIFICATE') {
            throw new CaBundleError(`Block ${i + 1} is a ${block[1]}, not a CERTIFICATE${block[1].includes('PRIVATE') ? ' (never upload a private key)' : ''}.`);
        }
        try {
            return new external_node_crypto_.X509Certificate(block[0]);
        }
        catch {
            throw new CaBundleError(`Block ${i + 1} does not parse as an X.509 certificate.`);
        }
    });
}
/** Checks a bundle before it is uploaded: each certificate is a CA and none has expired. */
function checkCaBundle(pem, now) {
    const certificates = parseCertificates(pem);
    certificates.forEach((certificate, i) => {
        const name = `Certificate ${i + 1} (${(0,certificate_pem/* distinguishedName */.CG)(certificate.subject)})`;
        if (!certificate.ca)
            throw new CaBundleError(`${name} is not a CA certificate (its basic constraints do not say CA:TRUE).`);
        if (Date.parse(certificate.validTo) <= now) {
            throw new CaBundleError(`${name} expired on ${new Date(certificate.validTo).toISOString()}.`);
        }
    });
    return certificates;
}
/** The bundle as sent to Atlas: the blocks whole and in the order given, `\n` line ends. */
function normalisedPem(certificates) {
    return certificates.map(c => c.toString().trim()).join('\n') + '\n';
}
/** The same certificates, whatever the text around them and their order. */
function sameCertificates(a, b) {
    const prints = (list) => list
        .map(c => c.fingerprint256)
        .sort()
        .join('|');
    return prints(a) === prints(b);
}
function earliestExpiry(certificates) {
    const earliest = Math.min(...certificates.map(c => Date.parse(c.validTo)));
    return new Date(earliest).toISOString();
}
/** The customer CA PEM, or undefined when customer X.509 is off (absent, null, or empty `cas`). */
function customerCas(security) {
    const cas = security.customerX509?.cas;
    return typeof cas === 'string' && cas.trim() !== '' ? cas : undefined;
}
/** The certificates Atlas holds, or undefined when none or when they do not parse. */
function heldCertificates(pem) {
    try {
        return pem ? parseCertificates(pem) : undefined;
    }
    catch {
        return undefined; // what Atlas holds does not parse: replace it
    }
}
function parseCaSource(read) {
    const text = read('ca-certificates');
    const path = parseFileInput(read, 'ca-file');
    const accepted = 'Give exactly one of `ca-certificates` (PEM text) and `ca-file` (a path to a PEM file).';
    if (text && path)
        throw new errors/* InputError */.d('ca-certificates', `Both ca-certificates and ca-file were given. ${accepted}`);
    if (!text && !path)
        throw new errors/* InputError */.d('ca-certificates', `No CA was given. ${accepted}`);
    return text ? { kind: 'text', pem: text } : { kind: 'file', path };
}

;// CONCATENATED MODULE: ./src/operations/self-managed.ts







/** The ephemeral CUSTOMER user's name: `CN=<name>` then the suffix. */
function customerName(commonName, suffix) {
    return [{ type: 'CN', value: commonName }, ...suffix];
}
/**
 * Loads the X.509 library and checks the issuer (a CA, valid now, its key) before any request.
 * A failed check is an input error naming the input.
 */
async function openIssuer(options, ctx) {
    const { IssuerError, loadIssuer } = await Promise.all(/* import() */[__webpack_require__.e(631), __webpack_require__.e(162)]).then(__webpack_require__.bind(__webpack_require__, 64162));
    try {
        return await loadIssuer(options.certificatePem, options.keyPem, ctx.clock.now());
    }
    catch (error) {
        if (error instanceof IssuerError)
            throw new errors/* InputError */.d(error.input, error.message);
        throw error;
    }
}
/**
 * The project must trust the issuer (its chain reaches one of `customerX509.cas`): Atlas would
 * refuse every login otherwise. Read before anything is created.
 */
async function requireTrustedIssuer(issuer, ctx) {
    const cas = customerCas(await ctx.api.getUserSecurity(ctx.groupId));
    const title = 'Issuer not trusted by the project';
    if (!cas)
        throw new errors/* TitledError */.D(title, `Project ${ctx.groupId} has no customer CA (self-managed X.509 is off), so Atlas would refuse every login with a certificate from ${issuer.subject}. Upload the root of your CA with operation set-customer-x509 first. Nothing was created.`);
    let trusted;
    try {
        trusted = parseCertificates(cas);
    }
    catch {
        trusted = [];
    }
    if (!issuer.reaches(trusted))
        throw new errors/* TitledError */.D(title, `The chain of ${issuer.subject} reaches none of the ${trusted.length} CA certificate(s) that project ${ctx.groupId} trusts (customerX509.cas), so Atlas would refuse every login with its certificates. Sign with a CA under one of them (give its intermediates after it in issuer-certificate), or add your CA with set-customer-x509. Nothing was created.`);
}
/** create-certificate with an issuer: the user must be a CUSTOMER X.509 user in `$external`. */
async function requireCustomerUser(username, ctx) {
    const user = await ctx.api.getUser(ctx.groupId, username);
    if (!user)
        throw new errors/* TitledError */.D('CUSTOMER user not found', `Project ${ctx.groupId} has no user ${username} in ${EXTERNAL_DATABASE}. Create it with x509Type CUSTOMER and that exact name (its certificate subject), or use create-ephemeral-user. Nothing was signed.`);
    if (user.x509Type !== 'CUSTOMER')
        throw new errors/* TitledError */.D('Not a CUSTOMER X.509 user', `${username} in ${EXTERNAL_DATABASE} has x509Type ${user.x509Type ?? 'NONE'}, not CUSTOMER: Atlas accepts a certificate from your own CA only for a CUSTOMER user. Nothing was signed.`);
}
const HOUR_MS = 3600_000;
/** Clock skew allowed for: the certificate is valid from this long before now. */
const NOT_BEFORE_SKEW_MS = 5 * 60_000;
/** The lifetime of an ephemeral user's certificate: its TTL plus an hour, nothing can revoke it. */
const ephemeralNotAfter = (nowMs, ttlHours) => nowMs + (ttlHours + 1) * HOUR_MS;
const monthsNotAfter = (nowMs, months) => (0,certificate_pem/* addMonths */.PS)(nowMs, months);
/**
 * Signs on the runner: a new key pair, the certificate for `subject` up to `notAfterMs` (cut to
 * the issuer's expiry, with a warning), masked before anything else happens.
 */
function locallySigned(issuer, subject, keyType, notAfterMs) {
    return {
        x509Type: 'CUSTOMER',
        async issue(username, _options, ctx) {
            const { io } = ctx;
            const now = ctx.clock.now();
            let notAfter = Math.floor(notAfterMs / 1000) * 1000;
            if (notAfter > issuer.expiresAtMs) {
                notAfter = issuer.expiresAtMs;
                io.warning(`The certificate for ${username} would outlive its issuer chain, which expires at ${new Date(issuer.expiresAtMs).toISOString()}: it expires then instead of at ${new Date(notAfterMs).toISOString()}.`, 'Certificate cut to the issuer expiry');
            }
            const signed = await issuer.sign({
                subject,
                keyType,
                notBefore: new Date(Math.floor((now - NOT_BEFORE_SKEW_MS) / 1000) * 1000),
                notAfter: new Date(notAfter)
            });
            io.setSecret(signed.pem.trim());
            for (const line of signed.keyLines)
                io.setSecret(line);
            const { certificate } = signed;
            const subjectText = (0,distinguished_name/* formatDistinguishedName */.D$)(subject);
            io.info(`Signed a certificate for ${subjectText} on the runner with ${issuer.subject} (${keyType} key, made here; it never left the runner).`);
            return {
                pem: signed.pem,
                subject: subjectText,
                commonName: subject.find(part => part.type === 'CN')?.value,
                serialNumber: certificate.serialNumber.toUpperCase(),
                fingerprintSha256: certificate.fingerprint256,
                validFrom: new Date(certificate.validFrom).toISOString(),
                expiresAt: new Date(certificate.validTo).toISOString()
            };
        }
    };
}
/** Opens the issuer (local checks), then checks that the project trusts it: before anything is created. */
async function openTrustedIssuer(options, ctx) {
    const issuer = await openIssuer(options, ctx);
    await requireTrustedIssuer(issuer, ctx);
    return issuer;
}
/**
 * create-certificate with an issuer: the issuer checked, the CUSTOMER user read, the trust
 * checked; then a source that signs for exactly that name, `months` from now.
 */
async function customerCertificateSource(options, username, months, ctx) {
    const issuer = await openIssuer(options, ctx);
    await requireCustomerUser(username, ctx);
    await requireTrustedIssuer(issuer, ctx);
    const subject = parseCustomerUsername(username);
    return locallySigned(issuer, subject, options.keyType, monthsNotAfter(ctx.clock.now(), months));
}

;// CONCATENATED MODULE: ./src/operations/create-certificate.ts











const HEADING = 'Atlas X.509 certificate';
/**
 * POST …/databaseUsers/{username}/certs for an existing Atlas-managed X.509 user; with an issuer,
 * signed on the runner for an existing CUSTOMER user.
 */
const createCertificate = {
    name: 'create-certificate',
    parse: read => {
        const username = parseUsername(read);
        const renewWithinDays = parseRenewWithinDays(read);
        const options = parseCertificateOptions(read, 3);
        return {
            username,
            ...options,
            renewWithinDays,
            githubSecret: parseGitHubSecret(read),
            issuer: parseCertificateIssuer(read, username, renewWithinDays),
            reach: parseCertificateReach(read, options.connectionString)
        };
    },
    async run(config, ctx) {
        const path = await prepareCertificatePath(config, ctx);
        // The runner's address is asked for before anything is issued.
        const entries = await resolveEntries(config.reach.accessList, ctx);
        const target = config.githubSecret ? secretTarget(config.githubSecret, ctx.env) : undefined;
        const source = config.issuer
            ? await customerCertificateSource(config.issuer, config.username, config.months, ctx)
            : undefined;
        // Loaded before anything is minted: a missing chunk costs no certificate.
        const secret = config.githubSecret && target
            ? await openSecret(config.githubSecret.token, target, ctx)
            : undefined;
        const renewal = config.renewWithinDays === undefined
            ? undefined
            : await readRenewal(config.username, config.renewWithinDays, secret, ctx);
        if (renewal && !renewal.due) {
            const report = notDueReport(renewal, config.username, config.renewWithinDays, secret);
            return reportNotDue(report, ctx);
        }
        if (renewal)
            ctx.io.info(`Renewal due (${renewal.reason}): ${renewal.detail}.`);
        const reason = renewal?.reason ?? 'always';
        // The key proves the token and the store before the POST, and is the one the PEM is sealed with.
        const key = secret &&
            (await beforeMinting(secret.store.publicKey(secret.destination), secret.destination));
        const { rows, issued } = await deliverCertificate(config.username, config, path, ctx, source);
        ctx.io.setOutput('issued', 'true');
        ctx.io.setOutput('renewal-reason', reason);
        if (secret && key) {
            const where = source ? 'was signed on the runner' : 'exists in Atlas';
            await storeSecret(secret, key, { issued, where, path }, config.cleanup, ctx);
        }
        // After the secret: the certificate is stored before the wait for the access list and the login.
        const reachRows = await reachWithCertificate(config.reach, entries, {
            connectionString: config.connectionString,
            path,
            // MongoDB names a CUSTOMER user by its DN (the username), a MANAGED one CN=<username>.
            subject: source ? config.username : issued.subject,
            cleanup: config.cleanup
        }, ctx);
        await ctx.summary(HEADING, [
            ['Issued', renewal ? `yes: renewal was due (${reason})` : 'yes'],
            ...rows,
            ...(secret ? [secretRow(secret.destination, 'written')] : []),
            ...reachRows
        ]);
    }
};
/**
 * Whether renewal is due: Atlas's certificates and the secret's state are read side by side, and a
 * refusal of either ends the step before minting.
 */
async function readRenewal(username, renewWithinDays, secret, ctx) {
    const [records, state] = await settleBoth(ctx.api.listCertificates(ctx.groupId, username), secret
        ? beforeMinting(secret.store.secretState(secret.destination), secret.destination)
        : Promise.resolve(undefined));
    return decideRenewal(records, renewWithinDays, ctx.clock.now(), state);
}
/** The outputs, the notice and the summary rows for a renewal that is not due. */
function notDueReport(decision, username, renewWithinDays, secret) {
    const secretNote = secret
        ? ` No secret was written; ${secret.destination.name} keeps its value, written after the latest certificate was created.`
        : '';
    return {
        outputs: [
            ['renewal-reason', decision.reason],
            ['issued', 'false'],
            ['username', username],
            ['expires-at', decision.latestExpiry]
        ],
        notice: `${username}'s latest certificate expires at ${decision.latestExpiry}, more than ${renewWithinDays} days from now: nothing issued. Renewal is due from ${decision.dueAt}.${secretNote}`,
        rows: [
            ['User', username],
            ['Issued', `no: the latest certificate is valid for more than ${renewWithinDays} days`],
            ['Latest expiry', decision.latestExpiry],
            ['Renewal due from', decision.dueAt],
            ...(secret
                ? [secretRow(secret.destination, 'not written, holds the latest certificate')]
                : [])
        ]
    };
}
async function reportNotDue(report, ctx) {
    for (const [name, value] of report.outputs)
        ctx.io.setOutput(name, value);
    ctx.io.notice(report.notice, 'Certificate not due for renewal');
    await ctx.summary(HEADING, report.rows);
}
const secretRow = (destination, what) => [
    'GitHub secret',
    `${describeTarget(destination)}: ${what}`
];
const describeTarget = (destination) => `${destination.name} (${describeStore(destination)})`;
/** What GitHub refused, in words, with what the token needs. */
function refusal(error, destination) {
    const what = {
        'public-key': `reading the public key of the ${describeStore(destination)}`,
        'secret-state': `reading secret ${destination.name} of the ${describeStore(destination)}`,
        secret: `writing secret ${destination.name}`
    }[error.request];
    const outcome = error.status
        ? `GitHub refused ${what} (HTTP ${error.status}: ${error.message}).`
        : `GitHub gave no usable answer to ${what}: ${error.message.replace(/\.$/, '')}.`;
    return `${outcome} ${permissionAdvice(error, destination)}`;
}
/** Octokit and the sealing code, loaded on demand: a failure here comes before any request. */
async function openSecret(token, target, ctx) {
    const open = ctx.githubSecretStore ?? octokitSecretStore;
    try {
        const store = await open(ctx.githubConnection(token, target.baseUrl));
        return { store, destination: target.destination };
    }
    catch (error) {
        throw new errors/* TitledError */.D('GitHub secret not stored', `The GitHub secret code could not be loaded (${error.message}); nothing was issued. The action's files may be incomplete: run the step again, or pin a release of the action.`);
    }
}
/** A GitHub request before minting: its refusal ends the step with nothing issued. */
async function beforeMinting(pending, destination) {
    try {
        return await pending;
    }
    catch (error) {
        if (!(error instanceof GitHubRequestError))
            throw error;
        throw new errors/* TitledError */.D('GitHub secret not stored', `${refusal(error, destination)} Nothing was issued: no certificate is minted until the secret can be written.`);
    }
}
/** Both results, once both have settled (nothing left in flight); else the first failure. */
async function settleBoth(first, second) {
    const [a, b] = await Promise.allSettled([first, second]);
    // GitHub's refusal is reported first: it says what to change about the token.
    if (b.status === 'rejected')
        throw b.reason;
    if (a.status === 'rejected')
        throw a.reason;
    return [a.value, b.value];
}
/**
 * Seals the PEM into the GitHub secret with the key read before minting. Any failure says the
 * certificate exists all the same: its serial, its expiry and where its file is.
 */
async function storeSecret({ store, destination }, key, certificate, cleanup, ctx) {
    try {
        await store.put(destination, certificate.issued.pem, key);
        ctx.io.info(`Stored the certificate as secret ${describeTarget(destination)}.`);
    }
    catch (error) {
        const cause = error instanceof GitHubRequestError
            ? refusal(error, destination)
            : `Storing secret ${describeTarget(destination)} failed: ${error instanceof Error ? error.message : String(error)}.`;
        throw new GitHubSecretNotStoredError(`${cause} The certificate was issued all the same and ${certificate.where}: serial ${certificate.issued.serialNumber}, expires at ${certificate.issued.expiresAt}; ` +
            `it is in ${certificate.path}${cleanup ? ', which the post step removes' : ''}. The next run with \`renew-within-days\` issues again, since the secret does not hold this certificate.`, { cause: error });
    }
    finally {
        ctx.io.debug(`GitHub HTTP requests sent: ${store.requestCount}`);
    }
}

;// CONCATENATED MODULE: ./src/operations/ephemeral-labels.ts
/** The labels this action puts on the ephemeral users it creates, and how it recognises them. */
const LABELS = {
    managedBy: 'managed-by',
    expiresAt: 'expires-at',
    githubRun: 'github-run',
    /** A random value per step: tells this step's user from any other, even of the same run and job. */
    stepNonce: 'step-nonce'
};
const MANAGED_BY = 'atlas-x509-action';
/**
 * The `x509Type`s of the `$external` users this action creates: the only kinds prune may delete,
 * whatever labels another user carries.
 */
const EPHEMERAL_X509_TYPES = new Set(['MANAGED', 'CUSTOMER']);
function labelValue(user, key) {
    const labels = user.labels;
    if (!Array.isArray(labels))
        return undefined;
    const label = labels.find(l => l?.key === key);
    const value = label?.value;
    return typeof value === 'string' ? value : undefined;
}
/** Created by this action (whatever run): the only users prune may ever touch. */
function isManagedByAction(user) {
    return labelValue(user, LABELS.managedBy) === MANAGED_BY;
}
/** Created by this action in this very step: run, job and attempt, and the step's nonce. */
function isFromStep(user, githubRun, stepNonce) {
    return (stepNonce !== '' &&
        isManagedByAction(user) &&
        labelValue(user, LABELS.githubRun) === githubRun &&
        labelValue(user, LABELS.stepNonce) === stepNonce);
}

;// CONCATENATED MODULE: ./src/operations/create-ephemeral-user.ts
















/** Roles that Atlas grants only on the admin database. */
const ADMIN_ONLY_ROLES = new Set([
    'atlasAdmin',
    'backup',
    'clusterMonitor',
    'dbAdminAnyDatabase',
    'enableSharding',
    'readAnyDatabase',
    'readWriteAnyDatabase'
]);
const ROLE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
// MongoDB database names: no '/\\. "$*<>:|?', at most 64 characters.
const DATABASE_NAME = /^[^/\\. "$*<>:|?]{1,64}$/;
const CLUSTER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9-]*$/;
/** `role@database` or `role@database.collection`, separated by commas or newlines. */
function parseRoles(value) {
    const accepted = 'Each entry is role@database or role@database.collection, separated by commas or newlines, e.g. `readWrite@app, read@reports.events, readWriteAnyDatabase@admin`.';
    const entries = splitList(value);
    if (entries.length === 0)
        throw new errors/* InputError */.d('roles', `Required: at least one role. ${accepted}`);
    const repeated = firstRepeated(entries);
    if (repeated !== undefined)
        throw new errors/* InputError */.d('roles', `"${repeated}" is given more than once; give each role once.`);
    return entries.map(entry => {
        const match = /^([^@\s]+)@([^.@\s]+)(?:\.([^@\s]+))?$/.exec(entry);
        if (!match)
            throw new errors/* InputError */.d('roles', `"${entry}" is not a role. ${accepted}`);
        const [, roleName, databaseName, collectionName] = match;
        if (!ROLE_NAME.test(roleName)) {
            throw new errors/* InputError */.d('roles', `"${entry}": role names are letters, digits, _ and - (a built-in role or a custom role's name). ${accepted}`);
        }
        if (!DATABASE_NAME.test(databaseName))
            throw new errors/* InputError */.d('roles', `"${entry}": "${databaseName}" is not a database name. ${accepted}`);
        if (collectionName !== undefined &&
            (collectionName.length > 255 || collectionName.includes('$'))) {
            throw new errors/* InputError */.d('roles', `"${entry}": "${collectionName}" is not a collection name. ${accepted}`);
        }
        if (ADMIN_ONLY_ROLES.has(roleName) &&
            (databaseName !== 'admin' || collectionName !== undefined)) {
            throw new errors/* InputError */.d('roles', `"${entry}": ${roleName} is granted on the admin database only: write ${roleName}@admin.`);
        }
        return collectionName === undefined
            ? { roleName, databaseName }
            : { roleName, databaseName, collectionName };
    });
}
/** An entry that the list holds more than once, if any. */
function firstRepeated(entries) {
    const seen = new Set();
    return entries.find(entry => seen.size === seen.add(entry).size);
}
function parseScopes(value) {
    const names = splitList(value);
    const repeated = firstRepeated(names);
    if (repeated !== undefined)
        throw new errors/* InputError */.d('scopes', `The cluster "${repeated}" is given more than once; give each cluster once.`);
    return names.map(name => {
        if (!CLUSTER_NAME.test(name) || name.length > 64) {
            throw new errors/* InputError */.d('scopes', `"${name}" is not a cluster name: letters, digits and hyphens, starting with a letter or digit (^[a-zA-Z0-9][a-zA-Z0-9-]*$), separated by commas or newlines.`);
        }
        return name;
    });
}
/** Atlas's limit on a database user's name. */
const MAX_USERNAME = 64;
/** The random part of every ephemeral name: 10 base-36 characters, about 51 bits. */
const RANDOM_PART_LENGTH = 10;
const MAX_PREFIX = MAX_USERNAME - RANDOM_PART_LENGTH - 1;
function parseEphemeralUser(read) {
    const prefix = read('username');
    if (prefix && !new RegExp(`^[A-Za-z0-9_-]{1,${MAX_PREFIX}}$`).test(prefix)) {
        throw new errors/* InputError */.d('username', `"${prefix}" is not accepted as the prefix of an ephemeral user's name: 1 to ${MAX_PREFIX} letters, digits, _ and - (no dots; "-" and ${RANDOM_PART_LENGTH} random characters follow). Leave it empty to derive one from the run.`);
    }
    return {
        usernamePrefix: prefix || undefined,
        roles: parseRoles(read('roles')),
        scopes: parseScopes(read('scopes')),
        ttlHours: parseInteger(read, 'ephemeral-ttl-hours', DEFAULTS['ephemeral-ttl-hours'], 1, 720),
        waitUntilReady: parseBoolean(read, 'wait-until-ready', DEFAULTS['wait-until-ready']),
        readyTimeoutSeconds: parseInteger(read, 'ready-timeout-seconds', DEFAULTS['ready-timeout-seconds'], 1, 3600),
        certificate: parseCertificateOptions(read, 1),
        ...parseEphemeralIssuer(read),
        reach: parseReachOptions(read)
    };
}
function slug(value, max) {
    return (value
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, max)
        .replace(/-+$/, '') || 'job');
}
/**
 * `gha-<run id>-<attempt>-<job>`: the default prefix, telling people which run a user is for. Free
 * of `.` (which broke Atlas's certs path once).
 */
function derivePrefix(run) {
    return `gha-${slug(run.runId, 20)}-${slug(run.runAttempt, 4)}-${slug(run.job, 24)}`
        .slice(0, MAX_PREFIX)
        .replace(/-+$/, '');
}
/** `RANDOM_PART_LENGTH` characters of [a-z0-9], uniformly drawn. */
function randomPart() {
    const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
    return Array.from({ length: RANDOM_PART_LENGTH }, () => alphabet[(0,external_node_crypto_.randomInt)(36)]).join('');
}
/**
 * `<prefix>-<random>`: a name never used before. Atlas cannot revoke a managed certificate, and a
 * later user of an old name would accept every unexpired certificate issued to the old one.
 */
function ephemeralUsername(prefix, random = randomPart()) {
    return `${prefix.slice(0, MAX_PREFIX)}-${random}`;
}
function ephemeralDescription(run) {
    const description = `Ephemeral X.509 user for ${run.repository} run ${run.runId} (atlas-x509-action)`;
    return description.length > 100 ? `${description.slice(0, 99)}…` : description;
}
function ephemeralLabels(run, expiresAt, stepNonce) {
    return [
        { key: LABELS.managedBy, value: MANAGED_BY },
        { key: LABELS.expiresAt, value: expiresAt },
        { key: LABELS.githubRun, value: runLabel(run) },
        { key: LABELS.stepNonce, value: stepNonce }
    ];
}
const roleText = (r) => `${r.roleName}@${r.databaseName}${r.collectionName ? `.${r.collectionName}` : ''}`;
/** Names and labels for a new user: random where they must never repeat, the rest from the run. */
function planUser(config, run, now, random = {
    part: randomPart(),
    nonce: (0,external_node_crypto_.randomBytes)(12).toString('hex')
}) {
    const commonName = ephemeralUsername(config.usernamePrefix ?? derivePrefix(run), random.part);
    // With an issuer the user is named by its certificate's subject: CN=<name>,<suffix>.
    const subject = customerName(commonName, config.subjectSuffix);
    const customer = config.issuer !== undefined;
    return {
        subject,
        username: customer ? (0,distinguished_name/* formatDistinguishedName */.D$)(subject) : commonName,
        x509Type: customer ? 'CUSTOMER' : 'MANAGED',
        githubRun: runLabel(run),
        stepNonce: random.nonce,
        expiresAt: new Date(now + config.ttlHours * 3600_000).toISOString()
    };
}
/**
 * A 201 made the user; a 409 is a retried create whose first attempt got through only when the
 * user that exists (`existing`, read after the 409) carries this step's github-run and nonce.
 */
function ownershipAfterCreate(outcome, existing, user) {
    if (outcome === 'created')
        return 'created';
    return existing && isFromStep(existing, user.githubRun, user.stepNonce)
        ? 'created-by-retry'
        : 'taken';
}
/** The post step's record of the user (with cleanup): it reads the last value saved. */
function postStepRecord(user, cleanup, ctx) {
    const save = (value) => {
        if (cleanup)
            ctx.io.saveState(STATE.ephemeralUser, value);
    };
    const { username, githubRun, stepNonce } = user;
    return {
        remember: (confirmed) => {
            const state = {
                groupId: ctx.groupId,
                username,
                githubRun,
                stepNonce,
                confirmed
            };
            save(JSON.stringify(state));
        },
        // An empty value tells the post step there is nothing to delete.
        forget: () => save('')
    };
}
/**
 * Creates the user and makes sure it is this step's. The post step's record is saved before the
 * request (if the step is cancelled mid-request, the post step still looks), confirmed once the
 * user is this step's, and cleared when no user was created or the name is someone else's.
 */
async function createOwnedUser(config, user, run, ctx) {
    const { api, groupId } = ctx;
    const record = postStepRecord(user, config.certificate.cleanup, ctx);
    record.remember(false);
    let outcome;
    try {
        outcome = await api.createUser(groupId, {
            username: user.username,
            x509Type: user.x509Type,
            roles: config.roles,
            clusters: config.scopes,
            description: ephemeralDescription(run),
            labels: ephemeralLabels(run, user.expiresAt, user.stepNonce)
        });
    }
    catch (error) {
        // Refused outright (4xx): no user was created. A 5xx or no answer leaves it unknown, and
        // the post step then checks the labels before deleting.
        if (error instanceof AtlasApiError && error.status < 500)
            record.forget();
        throw error;
    }
    // A retried create whose first attempt got through answers 409: ours only if it carries
    // this step's nonce.
    const existing = outcome === 'exists' ? await api.getUser(groupId, user.username) : undefined;
    const ownership = ownershipAfterCreate(outcome, existing, user);
    if (ownership === 'taken') {
        record.forget();
        throw userTakenError(`A database user named ${user.username} already exists and was not created by this step (its labels do not carry this step's github-run and step-nonce); it is left untouched.`);
    }
    if (ownership === 'created-by-retry')
        ctx.io.info(`${user.username} was already created by this step (a retried request); using it.`);
    record.remember(true);
}
/** What becomes of the user when the step fails after creating it. */
function fateOfUser(cleanup, username, expiresAt) {
    return cleanup
        ? 'The post step deletes the user.'
        : `With cleanup false the user ${username} stays until prune-ephemeral-users deletes it after its expires-at label (${expiresAt}); delete it now with operation delete-user if it is of no use.`;
}
/**
 * After the certificate: the temporary access-list entries, the wait until every cluster applies
 * the user and the entries are active, the connection strings from Atlas and, when asked, a proven
 * login. A failure says what becomes of the user, which exists and holds a certificate.
 */
async function makeReady(config, user, made, ctx) {
    const { io } = ctx;
    const { reach, certificate, readyTimeoutSeconds: timeoutSeconds } = config;
    const deadline = ctx.clock.now() + timeoutSeconds * 1000;
    const rows = [];
    let readiness = 'not waited for (wait-until-ready: false)';
    try {
        const added = await addEntries(made.entries, config.ttlHours, certificate.cleanup, ctx);
        if (wantsAccessList(reach.accessList)) {
            io.setOutput('access-list-entries', JSON.stringify(added));
            rows.push([
                'Access list',
                added.length > 0
                    ? `added ${added.join(', ')}${certificate.cleanup ? ' (deleted by the post step)' : ''}`
                    : 'every entry was already listed'
            ]);
        }
        let listed;
        if (config.waitUntilReady) {
            const ready = await waitUntilReady(config.scopes, timeoutSeconds, ctx);
            listed = ready.listed;
            await waitUntilActive(added, deadline, timeoutSeconds, ctx);
            io.setOutput('ready-seconds', seconds(ready.waitedMs));
            readiness =
                ready.clusters.length === 0
                    ? 'no cluster in the project'
                    : `applied on ${ready.clusters.join(', ')} after ${seconds(ready.waitedMs)} s`;
        }
        // Atlas's connection strings are read for a step that makes the user ready to connect (or
        // checks it can), never only for the output: wait-until-ready false sends nothing more.
        const given = certificate.connectionString;
        const fromAtlas = !given && (config.waitUntilReady || reach.verifyLogin);
        const uris = given
            ? new Map([['the connection-string input', connectionStringFor(given, made.path)]])
            : fromAtlas
                ? connectionStrings(await reachedClusters(config.scopes, listed, ctx), made.path, ctx)
                : new Map();
        if (fromAtlas)
            setConnectionOutputs(uris, ctx);
        if (reach.verifyLogin) {
            // MongoDB names a CUSTOMER user by its DN (the username), a MANAGED one CN=<username>.
            const expectedUser = user.x509Type === 'CUSTOMER' ? user.username : made.issued.subject;
            const lines = await verifyLogins(uris, expectedUser, deadline, timeoutSeconds, ctx);
            rows.push(['Login verified', lines.join('; ')]);
        }
    }
    catch (error) {
        if (!(error instanceof errors/* TitledError */.D))
            throw error;
        // Its annotation, not its message: an Atlas error's message repeats the title and lacks the hint.
        throw new errors/* TitledError */.D(error.title, `${error.annotation} ${fateOfUser(certificate.cleanup, user.username, user.expiresAt)}`);
    }
    return { readiness, rows };
}
/** The summary rows after the certificate's: what the user may do, where, and until when. */
function ephemeralUserRows(access, readiness, expiry, reachRows = []) {
    return [
        ['Roles', access.roles.map(roleText).join(', ')],
        ['Scopes', access.scopes.length > 0 ? access.scopes.join(', ') : 'all clusters of the project'],
        ['Ready to log in', readiness],
        ...reachRows,
        [
            'User expires',
            `${expiry.expiresAt} (${expiry.cleanup ? 'deleted by the post step' : 'left for prune-ephemeral-users'})`
        ]
    ];
}
/**
 * A database user that lives for one job: created with this action's labels, given a certificate,
 * and deleted by the post step (or, if no post step ran, by prune-ephemeral-users once expired).
 */
const createEphemeralUser = {
    name: 'create-ephemeral-user',
    // The readiness polls of several clusters go out together.
    parallelRequests: PARALLEL_POLLS,
    parse: parseEphemeralUser,
    async run(config, ctx) {
        const run = runIdentity(ctx.env);
        const path = await prepareCertificatePath(config.certificate, ctx);
        const issuer = config.issuer && (await openTrustedIssuer(config.issuer, ctx));
        // The runner's address is asked for before anything is created: no answer, nothing made.
        const entries = await resolveEntries(config.reach.accessList, ctx);
        const user = planUser(config, run, ctx.clock.now());
        await createOwnedUser(config, user, run, ctx);
        ctx.io.info(`Created the ephemeral ${user.x509Type} X.509 user ${user.username} ($external) in project ${ctx.groupId}, labelled to expire at ${user.expiresAt}.`);
        const notAfter = ephemeralNotAfter(ctx.clock.now(), config.ttlHours);
        const source = issuer && locallySigned(issuer, user.subject, config.issuer.keyType, notAfter);
        const { rows, issued } = await deliverCertificate(user.username, config.certificate, path, ctx, source);
        const ready = await makeReady(config, user, { issued, path, entries }, ctx);
        await ctx.summary('Atlas ephemeral X.509 user', [
            ...rows,
            ...ephemeralUserRows(config, ready.readiness, { expiresAt: user.expiresAt, cleanup: config.certificate.cleanup }, ready.rows)
        ]);
    }
};

;// CONCATENATED MODULE: ./src/operations/delete-user.ts

/** DELETE …/databaseUsers/$external/{username}; a user already gone is a notice, not a failure. */
const deleteUser = {
    name: 'delete-user',
    parse: read => ({ username: parseUsername(read) }),
    async run({ username }, ctx) {
        const { groupId, io } = ctx;
        const deleted = await ctx.api.deleteUser(groupId, username);
        if (deleted)
            io.info(`Deleted the database user ${username} ($external) from project ${groupId}.`);
        else
            io.notice(`The database user ${username} ($external) does not exist in project ${groupId}; nothing to delete.`, 'User already absent');
        io.setOutput('deleted', String(deleted));
        await ctx.summary('Atlas database user', [
            ['User', `${username} ($external)`],
            ['Result', deleted ? 'deleted' : 'already absent']
        ]);
    }
};

;// CONCATENATED MODULE: ./src/operations/customer-x509-write.ts


/**
 * Whether a write took effect, from the customer CA that Atlas holds now (`held`, undefined when
 * none): the PATCH did when Atlas holds its certificates, the DELETE when Atlas holds none.
 */
function judgeLostAnswer(write, held, groupId) {
    if (write.method === 'DELETE') {
        return held === undefined
            ? {
                tookEffect: true,
                message: `The DELETE's answer was lost, but Atlas now holds no customer CA for project ${groupId}: it took effect.`
            }
            : {
                tookEffect: false,
                message: `Atlas still holds a customer CA for project ${groupId}: customer X.509 is on. Run the step again to disable it.`
            };
    }
    const certificates = heldCertificates(held);
    return certificates && sameCertificates(certificates, write.certificates)
        ? {
            tookEffect: true,
            message: `The PATCH's answer was lost, but Atlas now holds these CA certificates for project ${groupId}: it took effect.`
        }
        : {
            tookEffect: false,
            message: `Atlas holds ${certificates ? `${certificates.length} other CA certificate(s)` : 'no customer CA'} for project ${groupId}: the upload did not take effect. Run the step again to upload it.`
        };
}
/**
 * Sends the write once. When its answer is lost, what Atlas holds afterwards says whether it took
 * effect: if it did, the step goes on; if not, the error says so.
 */
async function sendOnceConfirmed(write, send, ctx) {
    try {
        await send();
    }
    catch (error) {
        if (!(error instanceof OutcomeUnknownError))
            throw error;
        const held = customerCas(await ctx.api.getUserSecurity(ctx.groupId));
        const verdict = judgeLostAnswer(write, held, ctx.groupId);
        if (!verdict.tookEffect)
            throw new OutcomeUnknownError(`${error.message} ${verdict.message}`);
        ctx.io.info(verdict.message);
    }
}

;// CONCATENATED MODULE: ./src/operations/disable-customer-x509.ts


const RESTART_TITLE = 'Rolling restart of the project clusters';
/**
 * Reads userSecurity first: DELETE …/customerX509 restarts every cluster of the project, so it is
 * sent only when a customer CA is actually set, and never twice.
 */
const disableCustomerX509 = {
    name: 'disable-customer-x509',
    parse: () => ({}),
    async run(_config, ctx) {
        const { api, groupId, io } = ctx;
        const wasEnabled = customerCas(await api.getUserSecurity(groupId)) !== undefined;
        if (wasEnabled) {
            await sendOnceConfirmed({ method: 'DELETE' }, () => api.disableCustomerX509(groupId), ctx);
            io.warning(`Customer-managed X.509 is now off for project ${groupId}. Atlas removed the CA and is doing a rolling restart of every cluster in the project; users who authenticate with certificates from that CA can no longer connect.`, RESTART_TITLE);
        }
        else {
            io.info(`Customer-managed X.509 is already off for project ${groupId}: nothing was sent, nothing restarts.`);
        }
        io.setOutput('customer-x509-enabled', 'false');
        await ctx.summary('Atlas customer-managed X.509', [
            [
                'Result',
                wasEnabled ? 'disabled (rolling restart started)' : 'already off (no request sent)'
            ]
        ]);
    }
};

;// CONCATENATED MODULE: ./src/operations/expiry.ts
const expiry_DAY_MS = 86_400_000;
/** Whole days from now until an ISO date (negative once past). */
function daysUntil(iso, now) {
    return Math.floor((Date.parse(iso) - now) / expiry_DAY_MS);
}
/** The runner shows at most 10 warning annotations per step. */
const MAX_WARNINGS_PER_STEP = 10;
/**
 * A warning for each item that expires within `days`, within `maxWarnings` annotations: past
 * them, the last one sums up the rest.
 */
function warnAboutExpiry(ctx, items, days, advice, maxWarnings = MAX_WARNINGS_PER_STEP) {
    const now = ctx.clock.now();
    const soon = items.filter(item => Date.parse(item.notAfter) - now <= days * expiry_DAY_MS);
    // Room kept for the warning that sums up the rest.
    const named = Math.max(0, maxWarnings - 1);
    soon.slice(0, named).forEach(item => {
        const left = Math.max(0, daysUntil(item.notAfter, now));
        ctx.io.warning(`${item.name} expires at ${item.notAfter} (in ${left} day${left === 1 ? '' : 's'}); ${advice}.`, 'Certificate expires soon');
    });
    if (soon.length > named && maxWarnings > 0) {
        ctx.io.warning(`${soon.length - named} ${named > 0 ? 'more ' : ''}expire within ${days} days; see the step summary.`, 'Certificate expires soon');
    }
    return soon.length;
}

;// CONCATENATED MODULE: ./src/operations/get-customer-x509.ts




function caOutputs(ctx, enabled, pem, count, expiresAt) {
    ctx.io.setOutput('customer-x509-enabled', String(enabled));
    ctx.io.setOutput('ca-certificates', pem);
    ctx.io.setOutput('ca-count', String(count));
    ctx.io.setOutput('ca-expires-at', expiresAt);
}
/** The CA certificates of a bundle that Atlas holds; one that does not parse is Atlas's fault. */
function parseHeldBundle(pem, groupId) {
    try {
        return parseCertificates(pem);
    }
    catch (error) {
        throw new Error(`Atlas holds a CA bundle for project ${groupId} that does not parse: ${error.message}`, { cause: error });
    }
}
/** Each CA certificate's subject and expiry, as the warnings and the summary name them. */
const describeCas = (certificates) => certificates.map(c => ({
    subject: (0,certificate_pem/* distinguishedName */.CG)(c.subject),
    notAfter: new Date(c.validTo).toISOString()
}));
/** GET …/userSecurity: is customer-managed X.509 on, with which CAs, expiring when. */
const getCustomerX509 = {
    name: 'get-customer-x509',
    parse: read => ({ expiryWarningDays: parseExpiryWarningDays(read) }),
    async run({ expiryWarningDays }, ctx) {
        const { groupId, io } = ctx;
        const heading = 'Atlas customer-managed X.509';
        const pem = customerCas(await ctx.api.getUserSecurity(groupId));
        if (!pem) {
            io.info(`Customer-managed X.509 is off for project ${groupId}.`);
            caOutputs(ctx, false, '', 0, '');
            await ctx.summary(heading, [['Customer X.509', 'off']]);
            return;
        }
        const certificates = parseHeldBundle(pem, groupId);
        const expiresAt = earliestExpiry(certificates);
        io.info(`Customer-managed X.509 is on for project ${groupId}: ${certificates.length} CA certificate(s), the first expiring at ${expiresAt}.`);
        caOutputs(ctx, true, pem, certificates.length, expiresAt);
        const cas = describeCas(certificates);
        warnAboutExpiry(ctx, cas.map(ca => ({ name: `CA ${ca.subject}`, notAfter: ca.notAfter })), expiryWarningDays, `project ${groupId}: upload a new CA with set-customer-x509 before then, or certificate users cannot connect`);
        await ctx.summary(heading, [
            ['Customer X.509', 'on'],
            ...cas.map((ca, i) => [
                `CA ${i + 1}`,
                `${ca.subject}, expires ${ca.notAfter}`
            ])
        ]);
    }
};

;// CONCATENATED MODULE: ./src/operations/projects.ts


/**
 * The projects a step covers: the one of `group-id`, or every project of the `org-id`
 * organisation, each read as far as the credential may.
 */
/**
 * Requests in flight at most across the whole step, for every project together: Atlas's rate
 * limits are per project and generous (database users refill 5,000 a minute).
 */
const PARALLEL_REQUESTS = 8;
/** Projects warned about one by one at most; more are named in one warning. */
const MAX_PROJECT_WARNINGS = 3;
/** The step's one request limiter, paced by Atlas's rate-limit headers. */
function requestLimiter(ctx) {
    return new RequestLimiter(PARALLEL_REQUESTS, () => ctx.api.rateLimitRemaining);
}
/** The project as messages name it: `name (id)`, or the id alone. */
function projectLabel(project) {
    const name = project.name.length > 64 ? `${project.name.slice(0, 64)}…` : project.name;
    return name ? `${name} (${project.id})` : project.id;
}
/** The project of `group-id`, or every project of the organisation (every page). */
async function projectsInScope(ctx, limiter) {
    const orgId = ctx.orgId;
    if (!orgId)
        return [{ id: ctx.groupId, name: '' }];
    const projects = await limiter.run(() => ctx.api.listOrganisationProjects(orgId));
    ctx.io.info(`Organisation ${orgId} has ${projects.length} project(s).`);
    return projects;
}
/**
 * Whether Atlas's answer says the credential cannot read the project (no role on it, or a
 * project it cannot see): in an organisation step that project is skipped, not the step failed.
 */
function isUnreadable(error) {
    return (error instanceof AtlasApiError &&
        (error.status === 403 ||
            error.status === 404 ||
            (error.status === 401 && error.errorCode === 'NOT_IN_GROUP')));
}
/**
 * Every database user of each project, the projects read together through the limiter. In an
 * organisation step, a project the credential cannot read is skipped with a warning and the
 * others go on; when none can be read, the first project's error is the step's. Any other error
 * stops the step, as it does for one project.
 */
async function listUsersOfProjects(ctx, limiter, projects) {
    const failures = [];
    const outcomes = await Promise.all(projects.map(project => limiter
        .run(() => ctx.api.listUsers(project.id))
        .then((users) => ({ project, users }), (error) => {
        if (ctx.orgId && isUnreadable(error)) {
            failures.push(error);
            return { project, error };
        }
        limiter.stop(error);
        throw error;
    })));
    const listed = [];
    const skipped = [];
    for (const outcome of outcomes) {
        if ('users' in outcome)
            listed.push(outcome);
        else {
            const error = outcome.error;
            skipped.push({
                groupId: outcome.project.id,
                name: outcome.project.name,
                error: `${error.status} ${error.errorCode.slice(0, 100)}`
            });
        }
    }
    if (listed.length === 0 && failures.length > 0)
        throw failures[0];
    return { listed, skipped, warnings: warnAboutSkipped(ctx, skipped) };
}
/**
 * A warning for each skipped project, or one naming them all when there are more than a few
 * (the runner shows 10 warnings per step). How many warnings it made.
 */
function warnAboutSkipped(ctx, skipped) {
    const title = 'Project skipped';
    const advice = 'give the API key or service account a role on the project (Project Read Only to list, Project Owner or Database Access Admin to prune), or leave it if it is not meant to be covered';
    const label = (s) => `${projectLabel({ id: s.groupId, name: s.name })}: ${s.error}`;
    if (skipped.length === 0)
        return 0;
    if (skipped.length <= MAX_PROJECT_WARNINGS) {
        for (const project of skipped)
            ctx.io.warning(`The credential cannot read project ${label(project)}; it is skipped. To cover it, ${advice}.`, title);
        return skipped.length;
    }
    const named = skipped.slice(0, 10).map(label).join('; ');
    const more = skipped.length > 10 ? `; … and ${skipped.length - 10} more` : '';
    ctx.io.warning(`The credential cannot read ${skipped.length} projects of the organisation (the skipped-projects output lists them all); they are skipped: ${named}${more}. To cover them, ${advice}.`, title);
    return 1;
}

;// CONCATENATED MODULE: ./src/operations/user-limit.ts


/**
 * A project holds 100 database users unless raised, and past its limit every job that creates a
 * user fails: the watch warns before that.
 */
/** The share of the limit at which the watch warns. */
const USER_LIMIT_WARNING_SHARE = 0.9;
/** Projects near their limit warned about one by one at most; more are named in one warning. */
const MAX_LIMIT_WARNINGS = 3;
/**
 * The database-user limit of each project, by project id, read through the limiter alongside the
 * rest. A limit that cannot be read is left out (debug only): the watch's other work does not
 * depend on it.
 */
async function readUserLimits(ctx, limiter, projects) {
    const limits = new Map();
    await Promise.all(projects.map(project => limiter
        .run(() => ctx.api.getProjectLimit(project.id, DATABASE_USERS_LIMIT))
        .then(limit => void limits.set(project.id, limit.value), (error) => ctx.io.debug(`The database-user limit of project ${project.id} could not be read: ${error instanceof Error ? error.message.slice(0, 300) : String(error)}`))));
    return limits;
}
/** Whether `users` database users reach the warning share of `limit`. */
function nearUserLimit(users, limit) {
    return limit > 0 && users >= limit * USER_LIMIT_WARNING_SHARE;
}
/**
 * A warning for each project whose users reach 90 % of its limit, within `maxWarnings`
 * annotations. The projects near it.
 */
function warnNearUserLimit(ctx, listed, limits, maxWarnings) {
    const near = listed.flatMap(({ project, users }) => {
        const limit = limits.get(project.id);
        return limit !== undefined && nearUserLimit(users.length, limit)
            ? [{ project, users: users.length, limit }]
            : [];
    });
    const title = 'Near the database-user limit';
    const advice = 'past it, creating a user fails (GROUP_USERS_LIMIT_EXCEEDED): delete users no longer needed, run prune-ephemeral-users for leftover ephemeral users, or ask MongoDB support to raise the limit';
    if (near.length === 0 || maxWarnings <= 0)
        return near;
    if (near.length <= Math.min(MAX_LIMIT_WARNINGS, maxWarnings)) {
        for (const { project, users, limit } of near)
            ctx.io.warning(`Project ${projectLabel(project)} holds ${users} of its ${limit} database users (${Math.floor((users / limit) * 100)} %); ${advice}.`, title);
        return near;
    }
    const named = near
        .slice(0, 10)
        .map(({ project, users, limit }) => `${projectLabel(project)} ${users}/${limit}`)
        .join(', ');
    ctx.io.warning(`${near.length} projects hold ${Math.round(USER_LIMIT_WARNING_SHARE * 100)} % or more of their database-user limit: ${named}${near.length > 10 ? ` … and ${near.length - 10} more` : ''}; ${advice}.`, title);
    return near;
}

;// CONCATENATED MODULE: ./src/operations/list-certificates.ts








/**
 * Certificate records held at most, across every user: about 50 MB. Past it the step fails rather
 * than grow until the runner runs out of memory (a project of thousands of users, each with
 * thousands of certificates).
 */
const MAX_CERTIFICATES = 100_000;
/** The `certificates` output in bytes at most: GitHub keeps an output of up to 1 MB. */
const MAX_CERTIFICATES_OUTPUT_BYTES = 1_000_000;
/** Rows of the step summary's certificate table at most: the summary holds 1 MiB. */
const MAX_TABLE_ROWS = 200;
/** Users without a certificate warned about one by one; more are named in one warning. */
const MAX_USER_WARNINGS = 3;
const list_certificates_DAY_MS = 86_400_000;
/** Atlas's date, re-written; '' (and reported) when it is not an ISO 8601 UTC date. */
const iso = (value) => normalisedIsoUtc(value) ?? '';
/** Unreadable expiries ('') sort last: they are neither the next nor the latest expiry. */
const expiryOrder = (c) => c.notAfter ? Date.parse(c.notAfter) : Number.MAX_SAFE_INTEGER;
/**
 * `fn` over `items`, at most `limit` at a time, results in the order of `items`. The first failure
 * is thrown, and no item is started after it.
 */
async function mapConcurrently(items, limit, fn) {
    const results = new Array(items.length);
    let next = 0;
    let failed = false;
    const worker = async () => {
        while (next < items.length && !failed) {
            const index = next++;
            try {
                results[index] = await fn(items[index]);
            }
            catch (error) {
                failed = true;
                throw error;
            }
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
}
/**
 * Each user's newest certificate (latest notAfter): the one whose expiry matters. An older one
 * ending while a newer one is valid needs no action.
 */
function newestPerUser(certificates) {
    const newest = new Map();
    for (const c of certificates) {
        // Users of different projects are different users, whatever their names.
        const owner = `${c.groupId}\u0000${c.username}`;
        const current = newest.get(owner);
        if (!current || Date.parse(c.notAfter) > Date.parse(current.notAfter))
            newest.set(owner, c);
    }
    return [...newest.values()];
}
/** `expired`, `renew soon` (the user's newest, within the warning window) or `ok`. */
function certificateStatus(certificate, isNewest, warningDays, now) {
    const left = Date.parse(certificate.notAfter) - now;
    if (left <= 0)
        return 'expired';
    if (isNewest && left <= warningDays * list_certificates_DAY_MS)
        return 'renew soon';
    return 'ok';
}
/** More certificates than MAX_CERTIFICATES: the list is refused, never cut short. */
class TooManyCertificatesError extends errors/* TitledError */.D {
    constructor(read, usersRead, users) {
        super('Too many certificates', `${read} certificates from ${usersRead} of ${users} user(s) read so far, more than the ${MAX_CERTIFICATES} that list-certificates holds in one step; nothing is reported rather than an incomplete list. List the users one at a time with the username input, or delete the users that are no longer needed (delete-user).`);
    }
}
/** Counts the certificate records held, and refuses more than MAX_CERTIFICATES. */
class CertificateTally {
    users;
    held = 0;
    usersRead = 0;
    constructor(users) {
        this.users = users;
    }
    add(count) {
        this.held += count;
        this.usersRead += 1;
        if (this.held > MAX_CERTIFICATES)
            throw new TooManyCertificatesError(this.held, this.usersRead, this.users);
    }
}
async function readCertificates(ctx, { groupId, username }, tally) {
    const records = await ctx.api.listCertificates(groupId, username);
    tally.add(records.length);
    return records.map(record => ({
        username,
        id: String(record._id ?? ''),
        subject: record.subject ?? '',
        createdAt: iso(record.createdAt),
        notAfter: iso(record.notAfter),
        groupId
    }));
}
/**
 * The items as a JSON array of at most `maxBytes` (UTF-8), keeping whole items from the first:
 * how many fit.
 */
function boundedJsonArray(items, maxBytes) {
    const parts = [];
    let bytes = 2;
    for (const item of items) {
        const text = JSON.stringify(item);
        const added = Buffer.byteLength(text) + (parts.length > 0 ? 1 : 0);
        if (bytes + added > maxBytes)
            break;
        parts.push(text);
        bytes += added;
    }
    return { json: `[${parts.join(',')}]`, kept: parts.length };
}
/** A name for a message that must stay short. */
const shortName = (name) => (name.length > 100 ? `${name.slice(0, 100)}…` : name);
/** Up to ten names and how many more. */
function someNames(names) {
    const more = names.length - 10;
    return names.slice(0, 10).map(shortName).join(', ') + (more > 0 ? ` … and ${more} more` : '');
}
/**
 * A warning for each user without a certificate, or one naming them all when there are more than
 * a few (the runner shows 10 warnings per step). How many warnings it made.
 */
function warnAboutUsersWithout(ctx, usernames) {
    const advice = 'issue one with create-certificate, or delete the user with delete-user if it is no longer used';
    const title = 'No unexpired certificate';
    if (usernames.length === 0)
        return 0;
    if (usernames.length <= MAX_USER_WARNINGS) {
        for (const username of usernames)
            ctx.io.warning(`The Atlas-managed X.509 user ${shortName(username)} has no unexpired certificate: nothing can log in as it; ${advice}.`, title);
        return usernames.length;
    }
    ctx.io.warning(`${usernames.length} Atlas-managed X.509 users have no unexpired certificate (the users-without-certificate output lists them all): ${someNames(usernames)}. Nothing can log in as them; ${advice}.`, title);
    return 1;
}
/**
 * What was read (`perUser[i]` is the list of `usernames[i]`), sorted, and who has no usable
 * certificate left at `now`.
 */
function takeInventory(owners, perUser, now, wholeProject) {
    // A certificate with an unreadable expiry may still be valid: its user is not called one without.
    const usable = (c) => !c.notAfter || Date.parse(c.notAfter) > now;
    const certificates = perUser
        .flat()
        .sort((a, b) => expiryOrder(a) - expiryOrder(b) || a.username.localeCompare(b.username));
    return {
        certificates,
        dated: certificates.filter(c => c.notAfter),
        undated: certificates.filter(c => !c.notAfter || !c.createdAt),
        usersWithout: wholeProject ? owners.filter((_, index) => !perUser[index].some(usable)) : []
    };
}
/** The info line that sums up the list; `whose` names the user, or counts the users. */
function inventoryLine(inventory, whose, oneUser) {
    const { certificates, dated, usersWithout } = inventory;
    if (certificates.length === 0)
        return `${whose} ha${oneUser ? 's' : 've'} no unexpired certificates.`;
    const withoutNote = usersWithout.length > 0
        ? ` ${usersWithout.length} of them ha${usersWithout.length === 1 ? 's' : 've'} no unexpired certificate.`
        : '';
    return ((dated.length === 0
        ? `${whose}: ${certificates.length} unexpired certificate(s), none with a readable expiry.`
        : `${whose}: ${certificates.length} unexpired certificate(s); the next expires at ${dated[0].notAfter}, the latest at ${dated.at(-1).notAfter}.`) +
        withoutNote);
}
/** One warning about certificates whose dates do not read; how many warnings it made. */
function warnAboutUndated(undated, ctx) {
    if (undated.length === 0)
        return 0;
    ctx.io.warning(`Atlas listed ${undated.length} certificate(s) with a createdAt or notAfter that is not an ISO 8601 UTC date (id ${undated
        .slice(0, 10)
        .map(c => c.id)
        .join(', ')}${undated.length > 10 ? ', …' : ''}); those dates are left empty.`, 'Unreadable certificate dates');
    return 1;
}
/** The list's outputs, and a warning if the certificates output was cut; how many warnings. */
function setListOutputs(inventory, oneUser, ctx) {
    const orgWide = ctx.orgId !== undefined;
    const { io } = ctx;
    const { certificates, dated } = inventory;
    const output = boundedJsonArray(certificates, MAX_CERTIFICATES_OUTPUT_BYTES);
    const cut = output.kept < certificates.length;
    if (cut) {
        io.warning(`The certificates output holds the ${output.kept} soonest-expiring of ${certificates.length} certificates: GitHub keeps an output of up to 1 MB. count, next-expiry and latest-expiry cover all of them; list one user at a time (username) for every entry.`, 'Certificates output cut');
    }
    io.setOutput('certificates', output.json);
    io.setOutput('count', String(certificates.length));
    io.setOutput('next-expiry', dated[0]?.notAfter ?? '');
    io.setOutput('latest-expiry', dated.at(-1)?.notAfter ?? '');
    // One project: the usernames; an organisation: each with its project.
    if (!oneUser)
        io.setOutput('users-without-certificate', JSON.stringify(orgWide ? inventory.usersWithout : inventory.usersWithout.map(owner => owner.username)));
    return cut ? 1 : 0;
}
/**
 * The rows of the certificate table, users without a certificate first (they need action before
 * any certificate does), cut at MAX_TABLE_ROWS with a row saying how many more there are.
 */
function certificateTableRows(inventory, newest, warningDays, now, 
/** An organisation's projects in order: rows then lead with the project and group by it. */
projectOrder) {
    const where = (owner) => (projectOrder ? [owner.groupId] : []);
    const rowsOf = [
        ...inventory.usersWithout.map((owner) => [
            owner,
            [...where(owner), owner.username, '', '', '', '', 'none']
        ]),
        ...inventory.certificates.map((c) => [
            c,
            [
                ...where(c),
                c.username,
                c.id,
                c.subject,
                c.notAfter || 'unreadable',
                c.notAfter ? String(daysUntil(c.notAfter, now)) : '',
                c.notAfter ? certificateStatus(c, newest.has(c), warningDays, now) : 'unknown'
            ]
        ])
    ];
    if (projectOrder)
        rowsOf.sort(([a], [b]) => projectOrder.get(a.groupId) - projectOrder.get(b.groupId));
    const rows = rowsOf.map(([, row]) => row);
    const more = rows.length - MAX_TABLE_ROWS;
    const last = [...where({ groupId: '…', username: '' }), projectOrder ? '' : '…'];
    return more > 0
        ? [
            ...rows.slice(0, MAX_TABLE_ROWS),
            [...last, `${more} more rows not listed here`, '', '', '', '']
        ]
        : rows;
}
const isManagedX509 = (user) => user.databaseName === EXTERNAL_DATABASE && user.x509Type === 'MANAGED';
/**
 * The project's (or, with org-id, every project's) users and database-user limits, read together
 * through the limiter.
 */
async function readProjects(ctx, limiter) {
    const inScope = await projectsInScope(ctx, limiter);
    const listing = listUsersOfProjects(ctx, limiter, inScope);
    const limitsRead = readUserLimits(ctx, limiter, inScope);
    const { listed, skipped, warnings } = await listing;
    return { projects: listed, skipped, limits: await limitsRead, warnings };
}
/** The Atlas-managed X.509 users of the projects read: those list-certificates looks at. */
function managedOwners(projects) {
    return projects.flatMap(({ project, users }) => users.filter(isManagedX509).map(user => ({ groupId: project.id, username: user.username })));
}
/** Each user's certificates, in the order of `owners`, through the step's limiter. */
async function readEveryUser(owners, limiter, ctx) {
    const tally = new CertificateTally(owners.length);
    return mapLimited(limiter, owners, owner => readCertificates(ctx, owner, tally));
}
/** The organisation step's table of projects: what each holds, and those skipped. */
function projectTableRows(read, owners, perUser) {
    const managed = new Map();
    const held = new Map();
    owners.forEach((owner, index) => {
        managed.set(owner.groupId, (managed.get(owner.groupId) ?? 0) + 1);
        held.set(owner.groupId, (held.get(owner.groupId) ?? 0) + perUser[index].length);
    });
    const rows = [
        ...read.projects.map(({ project, users }) => {
            const limit = read.limits.get(project.id);
            return [
                project.id,
                project.name,
                limit === undefined ? String(users.length) : `${users.length} of ${limit}`,
                String(managed.get(project.id) ?? 0),
                String(held.get(project.id) ?? 0),
                limit !== undefined && nearUserLimit(users.length, limit) ? 'near the user limit' : 'read'
            ];
        }),
        ...read.skipped.map(s => [s.groupId, s.name, '', '', '', `skipped: ${s.error}`])
    ];
    const more = rows.length - MAX_TABLE_ROWS;
    return more > 0
        ? [
            ...rows.slice(0, MAX_TABLE_ROWS),
            ['…', `${more} more projects not listed here`, '', '', '', '']
        ]
        : rows;
}
/** The summary's rows: whose certificates, how many, and how many users need action. */
function listSummaryRows(username, users, inventory, warningDays, renewSoon, organisation) {
    return [
        ...(organisation
            ? [
                [
                    'Projects',
                    `${organisation.projects} read${organisation.skipped > 0 ? `, ${organisation.skipped} skipped (the credential cannot read them)` : ''}`
                ]
            ]
            : []),
        username ? ['User', username] : ['Atlas-managed X.509 users', String(users)],
        ['Unexpired certificates', String(inventory.certificates.length)],
        ...(username
            ? []
            : [
                ['Users without an unexpired certificate', String(inventory.usersWithout.length)]
            ]),
        [`Users to renew within ${warningDays} days`, String(renewSoon)],
        ...(organisation && organisation.nearLimit > 0
            ? [
                [
                    `Projects at ${Math.round(USER_LIMIT_WARNING_SHARE * 100)} % of their database-user limit`,
                    String(organisation.nearLimit)
                ]
            ]
            : [])
    ];
}
/**
 * Every unexpired certificate of a user, or without `username` of every Atlas-managed X.509 user
 * of the project (or of every project of the `org-id` organisation), sorted by expiry, with a
 * warning per user whose newest certificate ends soon and per project near its database-user limit.
 */
const listCertificates = {
    name: 'list-certificates',
    parallelRequests: PARALLEL_REQUESTS,
    orgWide: read => !read('username'),
    parse: read => ({
        username: read('username') ? parseUsername(read) : undefined,
        expiryWarningDays: parseExpiryWarningDays(read)
    }),
    async run({ username, expiryWarningDays }, ctx) {
        const oneUser = username !== undefined;
        const orgWide = ctx.orgId !== undefined;
        const limiter = requestLimiter(ctx);
        const read = oneUser
            ? { projects: [], skipped: [], limits: new Map(), warnings: 0 }
            : await readProjects(ctx, limiter);
        if (!oneUser)
            ctx.io.setOutput('skipped-projects', JSON.stringify(read.skipped));
        const owners = username ? [{ groupId: ctx.groupId, username }] : managedOwners(read.projects);
        const perUser = await readEveryUser(owners, limiter, ctx);
        const now = ctx.clock.now();
        const inventory = takeInventory(owners, perUser, now, !oneUser);
        let warnings = read.warnings + warnAboutUndated(inventory.undated, ctx);
        warnings += setListOutputs(inventory, oneUser, ctx);
        const whose = username ??
            `${owners.length} Atlas-managed X.509 user(s)${orgWide ? ` in ${read.projects.length} project(s)` : ''}`;
        ctx.io.info(inventoryLine(inventory, whose, oneUser));
        warnings += warnAboutUsersWithout(ctx, inventory.usersWithout.map(owner => orgWide ? `${owner.username} (project ${owner.groupId})` : owner.username));
        const nearLimit = warnNearUserLimit(ctx, read.projects, read.limits, MAX_WARNINGS_PER_STEP - 1 - warnings);
        if (nearLimit.length > 0)
            warnings += 1;
        const newest = new Set(newestPerUser(inventory.dated));
        const soon = warnAboutExpiry(ctx, [...newest].map(c => ({
            name: `The newest certificate of ${c.username} (${orgWide ? `project ${c.groupId}, ` : ''}${c.id})`,
            notAfter: c.notAfter
        })), expiryWarningDays, 'issue a new one with create-certificate before then', MAX_WARNINGS_PER_STEP - warnings);
        await ctx.summary(username ? `Atlas X.509 certificates of ${username}` : 'Atlas X.509 certificates', listSummaryRows(username, owners.length, inventory, expiryWarningDays, soon, orgWide
            ? {
                projects: read.projects.length,
                skipped: read.skipped.length,
                nearLimit: nearLimit.length
            }
            : undefined));
        if (orgWide) {
            await ctx.io.summaryTable('Projects', [
                'Project',
                'Name',
                'Database users',
                'Atlas-managed X.509 users',
                'Unexpired certificates',
                'Status'
            ], projectTableRows(read, owners, perUser));
        }
        const projectOrder = orgWide
            ? new Map(read.projects.map(({ project }, index) => [project.id, index]))
            : undefined;
        const rows = certificateTableRows(inventory, newest, expiryWarningDays, now, projectOrder);
        if (rows.length > 0) {
            await ctx.io.summaryTable('Certificates by days left', [
                ...(orgWide ? ['Project'] : []),
                'User',
                'Certificate',
                'Subject',
                'Expires',
                'Days left',
                'Status'
            ], rows);
        }
    }
};

;// CONCATENATED MODULE: ./src/operations/prune-ephemeral-users.ts







/** One project: users are their names. */
const BY_NAME = { keyOf: user => user.username, nameOf: user => user.username };
/** Up to ten names, for a message that must stay short. */
const someUsernames = (users) => users
    .slice(0, 10)
    .map(user => user.username)
    .join(', ') + (users.length > 10 ? ', …' : '');
/** Deletes in flight at most: the step's bound on requests in flight. */
const PARALLEL_DELETES = PARALLEL_REQUESTS;
/** Rows of the step summary's user list at most: the summary has a size limit (1 MiB). */
const MAX_SUMMARY_ROWS = 50;
const isStop = (error) => error instanceof AtlasUnreachableError || (error instanceof AtlasApiError && error.status === 429);
/**
 * Deletes users through the step's limiter (a few at a time, one at a time while Atlas's
 * rate-limit bucket runs low; a 429's Retry-After already holds every request back). The first
 * budget error, or a 429 left after every retry, stops every delete not yet sent, and what is left
 * stays for the next run.
 */
async function deleteInParallel(items, limiter, remove) {
    const outcomes = new Map();
    let started = 0;
    let stopped;
    const removeOne = async (item) => {
        if (stopped)
            return;
        started += 1;
        try {
            outcomes.set(item, (await remove(item)) ? 'deleted' : 'gone');
        }
        catch (error) {
            if (isStop(error))
                stopped ??= error;
            else {
                const message = error instanceof Error ? error.message : String(error);
                // A long Atlas detail per user would make the one error unreadable.
                outcomes.set(item, { failure: message.slice(0, 300) });
            }
        }
    };
    await Promise.all(items.map(item => limiter.run(() => removeOne(item))));
    return { outcomes, started, stopped };
}
/** Failed deletes named in the error at most. */
const MAX_NAMED_FAILURES = 10;
/** Which users are ours, which have expired (by `now`), and which of those this run deletes. */
function planPrune(users, now, limit) {
    const labelled = users.filter(isManagedByAction);
    const ours = labelled.filter(user => user.databaseName === EXTERNAL_DATABASE && EPHEMERAL_X509_TYPES.has(user.x509Type ?? ''));
    const oursSet = new Set(ours);
    // Only a strict ISO 8601 UTC label is a date: anything else is left alone, never read as past.
    const expiry = new Map(ours.map(user => [user, parseIsoUtc(labelValue(user, LABELS.expiresAt))]));
    const expiresBy = (user) => expiry.get(user) ?? Infinity;
    const expired = ours
        .filter(user => expiresBy(user) <= now)
        .sort((a, b) => expiresBy(a) - expiresBy(b) || a.username.localeCompare(b.username));
    return {
        listed: users.length,
        ours,
        // Our label on another kind of user (a password or LDAP user, another database) is not ours.
        notOurKind: labelled.filter(user => !oursSet.has(user)),
        undated: ours.filter(user => expiry.get(user) === undefined),
        expired,
        due: expired.slice(0, limit),
        leftOver: expired.slice(limit)
    };
}
/** The warnings and lines that say what the plan leaves alone, and what it deletes. */
function reportPlan(plan, limit, ctx, naming, where) {
    const { io } = ctx;
    const someNames = (users) => someUsernames(users.map(user => ({ username: naming.nameOf(user) })));
    if (plan.notOurKind.length > 0) {
        io.warning(`${plan.notOurKind.length} user(s) labelled ${LABELS.managedBy}=${MANAGED_BY} are not ${EXTERNAL_DATABASE} users of x509Type ${[...EPHEMERAL_X509_TYPES].join(' or ')}, so this action did not create them; they are left alone: ${someNames(plan.notOurKind)}.`, 'Users left alone');
    }
    if (plan.undated.length > 0) {
        io.warning(`${plan.undated.length} user(s) labelled ${LABELS.managedBy}=${MANAGED_BY} have an expires-at label that is not an ISO 8601 UTC date (YYYY-MM-DDTHH:MM:SS.sssZ) and are left alone: ${someNames(plan.undated)}. Delete them with delete-user once they are no longer needed.`, 'Ephemeral users left alone');
    }
    io.info(`${plan.listed} database users in ${where}; ${plan.ours.length} created by this action; ${plan.expired.length} expired.`);
    if (plan.leftOver.length > 0) {
        io.info(`${plan.leftOver.length} more expired user(s) are beyond prune-limit (${limit}) and left for the next run: ${someNames(plan.leftOver)}.`);
    }
}
const expiredNote = (user) => `expired ${labelValue(user, LABELS.expiresAt)}`;
/** The users counted as pruned: every due one in a dry run, else those this step deleted. */
function prunedNames(plan, deletes, dryRun, naming = BY_NAME) {
    const names = plan.due.map(naming.keyOf);
    return dryRun ? names : names.filter(name => deletes.outcomes.get(name) === 'deleted');
}
/** A line per delete; the failures, for the error. */
function reportDeletes(plan, deletes, io, naming) {
    const byKey = new Map(plan.due.map(user => [naming.keyOf(user), user]));
    const failures = [];
    for (const [key, outcome] of deletes.outcomes) {
        const user = byKey.get(key);
        const name = naming.nameOf(user);
        if (outcome === 'deleted')
            io.info(`Deleted ${name} (${expiredNote(user)}).`);
        // Counted only when this step deleted it: a user already gone was pruned by someone else.
        else if (outcome === 'gone')
            io.info(`${name} was already gone (deleted by someone else); not counted.`);
        else
            failures.push(`${name}: ${outcome.failure}`);
    }
    return failures;
}
/** The summary's rows: the counts, then what became of each due user (MAX_SUMMARY_ROWS at most). */
function pruneSummaryRows(plan, deletes, pruned, run, naming = BY_NAME) {
    const { due, leftOver } = plan;
    const result = (user) => {
        const outcome = deletes.outcomes.get(naming.keyOf(user));
        if (run.dryRun || outcome === 'deleted')
            return '';
        return outcome === 'gone' ? '; already gone' : '; NOT deleted';
    };
    return [
        ['Users listed', String(plan.listed)],
        [run.dryRun ? 'Would delete' : 'Deleted', String(pruned.length)],
        ...(leftOver.length > 0
            ? [
                [
                    run.dryRun ? 'Would be left for the next run' : 'Left for the next run',
                    `${leftOver.length} expired user(s) beyond prune-limit (${run.limit})`
                ]
            ]
            : []),
        ...due
            .slice(0, MAX_SUMMARY_ROWS)
            .map((user) => [
            naming.nameOf(user),
            `${expiredNote(user)}; ${labelValue(user, LABELS.githubRun) ?? 'no github-run label'}${result(user)}`
        ]),
        ...(due.length > MAX_SUMMARY_ROWS
            ? [
                [
                    '…',
                    `${due.length - MAX_SUMMARY_ROWS} more not listed here; the pruned output has every deleted name`
                ]
            ]
            : [])
    ];
}
/**
 * The step's one error when deletes were stopped or failed, saying what was deleted and what is
 * left for the next run; undefined when every due delete went through.
 */
function pruneFailure(plan, deletes, pruned, limit, failures) {
    const { due, leftOver } = plan;
    const { stopped, started } = deletes;
    const unanswered = started - deletes.outcomes.size;
    const tally = (what) => `Deleted ${pruned.length} of ${due.length} expired user(s) before ${what}; ${due.length - started} not tried${leftOver.length > 0 ? ` and ${leftOver.length} beyond prune-limit (${limit})` : ''} are left for the next run.`;
    if (stopped instanceof AtlasApiError) {
        // Atlas's rate limit outlasted every retry: one Atlas error, with its hint.
        return new AtlasApiError(stopped.status, stopped.errorCode, `${stopped.detail} ${tally(`Atlas's rate limit stopped the run; ${unanswered} refused`)}`, stopped.retryAfterMs);
    }
    if (stopped) {
        return new AtlasUnreachableError(`${stopped.message} ${tally(`stopping; ${unanswered} delete(s) got no answer (they may have taken effect)`)}`);
    }
    if (failures.length === 0)
        return undefined;
    const named = failures.slice(0, MAX_NAMED_FAILURES).join('; ');
    const more = failures.length > MAX_NAMED_FAILURES
        ? `; … and ${failures.length - MAX_NAMED_FAILURES} more`
        : '';
    return new errors/* TitledError */.D('Ephemeral users not deleted', `Could not delete ${failures.length} of ${due.length} expired ephemeral user(s) due this run: ${named}${more}. They stay until a later run deletes them: check the errors above (the credentials' role, the project), then run prune-ephemeral-users again.`);
}
/**
 * Deletes the users this action created whose `expires-at` has passed: what a post step that
 * never ran (a dead runner) left behind, the longest expired first, at most `prune-limit` per run.
 * Only `$external` users of a type this action creates and with its `managed-by` label are ever
 * touched.
 */
const pruneEphemeralUsers = {
    name: 'prune-ephemeral-users',
    parallelRequests: PARALLEL_DELETES,
    orgWide: () => true,
    parse: read => ({
        dryRun: parseBoolean(read, 'dry-run', DEFAULTS['dry-run']),
        limit: parseInteger(read, 'prune-limit', DEFAULTS['prune-limit'], 1, MAX_LIST_ITEMS)
    }),
    summaryName: ({ dryRun }) => `prune-ephemeral-users${dryRun ? ' (dry run)' : ''}`,
    async run({ dryRun, limit }, ctx) {
        const { api, io } = ctx;
        const orgWide = ctx.orgId !== undefined;
        const limiter = requestLimiter(ctx);
        const { listed, skipped } = await listUsersOfProjects(ctx, limiter, await projectsInScope(ctx, limiter));
        // Each listed user is its own object: its project is found by identity.
        const projectOf = new Map(listed.flatMap(({ project, users }) => users.map(user => [user, project.id])));
        const groupOf = (user) => projectOf.get(user) ?? ctx.groupId;
        const naming = orgWide
            ? {
                keyOf: user => `${groupOf(user)}\u0000${user.username}`,
                nameOf: user => `${user.username} (project ${groupOf(user)})`
            }
            : BY_NAME;
        // Grouped by project in an organisation step, in the order Atlas lists the projects; the
        // plan's order (longest expired first) within each.
        const users = listed.flatMap(project => project.users);
        const plan = planPrune(users, ctx.clock.now(), limit);
        if (orgWide) {
            const order = new Map(listed.map(({ project }, index) => [project.id, index]));
            const byProject = (a, b) => order.get(groupOf(a)) - order.get(groupOf(b));
            plan.due = [...plan.due].sort(byProject);
        }
        reportPlan(plan, limit, ctx, naming, orgWide
            ? `${listed.length} project(s) of organisation ${ctx.orgId}`
            : `project ${ctx.groupId}`);
        let deletes = { outcomes: new Map(), started: 0 };
        if (dryRun) {
            for (const user of plan.due)
                io.info(`Would delete ${naming.nameOf(user)} (${expiredNote(user)}).`);
        }
        else {
            const byKey = new Map(plan.due.map(user => [naming.keyOf(user), user]));
            deletes = await deleteInParallel([...byKey.keys()], limiter, key => {
                const user = byKey.get(key);
                return api.deleteUser(groupOf(user), user.username);
            });
        }
        const pruned = prunedNames(plan, deletes, dryRun, naming);
        const failures = reportDeletes(plan, deletes, io, naming);
        // One project: the usernames, as always; an organisation: each with its project.
        const byKey = new Map(plan.due.map(user => [naming.keyOf(user), user]));
        io.setOutput('pruned', JSON.stringify(orgWide
            ? pruned.map(key => {
                const user = byKey.get(key);
                return { groupId: groupOf(user), username: user.username };
            })
            : pruned));
        io.setOutput('count', String(pruned.length));
        if (orgWide)
            io.setOutput('skipped-projects', JSON.stringify(skipped));
        await ctx.summary(`Atlas ephemeral users ${dryRun ? 'that would be pruned (dry run)' : 'pruned'}`, [
            ...(orgWide ? [projectsRow(listed.length, skipped)] : []),
            ...pruneSummaryRows(plan, deletes, pruned, { dryRun, limit }, naming)
        ]);
        const failure = pruneFailure(plan, deletes, pruned, limit, failures);
        if (failure)
            throw failure;
    }
};
/** The organisation step's row of projects read, naming those skipped. */
function projectsRow(read, skipped) {
    const named = skipped
        .slice(0, 20)
        .map(s => `${s.groupId}${s.name ? ` ${s.name}` : ''} (${s.error})`)
        .join(', ');
    return [
        'Projects',
        `${read} read${skipped.length > 0 ? `, ${skipped.length} skipped (the credential cannot read them): ${named}${skipped.length > 20 ? ', …' : ''}` : ''}`
    ];
}

;// CONCATENATED MODULE: ./src/operations/set-customer-x509.ts




async function readCaSource(source, ctx) {
    if (source.kind === 'text')
        return { pem: source.pem, input: 'ca-certificates' };
    try {
        return { pem: await ctx.fs.readFile(source.path), input: 'ca-file' };
    }
    catch (error) {
        const code = error.code ?? error.message;
        throw new errors/* InputError */.d('ca-file', `Cannot read ${source.path} (${code}). A relative path is read from the workspace: check that the file is committed and that actions/checkout ran before this step.`);
    }
}
/** The bundle given, checked as a CA bundle; what is wrong with it is an error of its input. */
function checkedBundle(pem, input, now) {
    try {
        return checkCaBundle(pem, now);
    }
    catch (error) {
        if (error instanceof CaBundleError) {
            throw new errors/* InputError */.d(input, `${error.message} Accepted: one or more PEM CA certificates (basic constraints CA:TRUE), not expired.`);
        }
        throw error;
    }
}
/** The summary rows after an upload, or after finding the same certificates already there. */
function uploadSummaryRows(unchanged, count, expiresAt, now) {
    return [
        [
            'Result',
            unchanged ? 'unchanged (no request sent, no restart)' : 'uploaded (rolling restart started)'
        ],
        ['CA certificates', String(count)],
        ['Earliest expiry', `${expiresAt} (${daysUntil(expiresAt, now)} days)`]
    ];
}
/**
 * Uploads the project's CA bundle. Checked locally first (each block a CA certificate, none
 * expired), then compared with what Atlas holds: the PATCH restarts every cluster of the project,
 * so it is sent only when the certificates differ, and never twice.
 */
const setCustomerX509 = {
    name: 'set-customer-x509',
    parse: read => ({ ca: parseCaSource(read) }),
    async run({ ca }, ctx) {
        const { api, groupId, io } = ctx;
        const { pem: given, input } = await readCaSource(ca, ctx);
        const certificates = checkedBundle(given, input, ctx.clock.now());
        const expiresAt = earliestExpiry(certificates);
        const current = customerCas(await api.getUserSecurity(groupId));
        const currentCertificates = heldCertificates(current);
        const unchanged = currentCertificates !== undefined && sameCertificates(currentCertificates, certificates);
        if (unchanged) {
            io.info(`Project ${groupId} already has these ${certificates.length} CA certificate(s): nothing was sent, nothing restarts.`);
        }
        else {
            const pem = normalisedPem(certificates);
            await sendOnceConfirmed({ method: 'PATCH', certificates }, () => api.setCustomerCas(groupId, pem), ctx);
            io.warning(`Customer-managed X.509 CA ${current ? 'replaced' : 'set'} for project ${groupId} (${certificates.length} certificate(s)). Atlas is doing a rolling restart of every cluster in the project.`, 'Rolling restart of the project clusters');
        }
        io.setOutput('customer-x509-enabled', 'true');
        io.setOutput('ca-count', String(certificates.length));
        io.setOutput('ca-expires-at', expiresAt);
        await ctx.summary('Atlas customer-managed X.509', uploadSummaryRows(unchanged, certificates.length, expiresAt, ctx.clock.now()));
    }
};

;// CONCATENATED MODULE: ./src/operations/registry.ts









/** Every operation, once: the `operation` input's accepted values and dispatch derive from it. */
const OPERATIONS = [
    createCertificate,
    disableCustomerX509,
    listCertificates,
    createEphemeralUser,
    deleteUser,
    pruneEphemeralUsers,
    getCustomerX509,
    setCustomerX509
];
const OPERATION_NAMES = OPERATIONS.map(operation => operation.name);
/** The operation an `operation` input names ('' means the default). */
function findOperation(value, fallback) {
    const name = value || fallback;
    const operation = OPERATIONS.find(candidate => candidate.name === name);
    if (!operation) {
        throw new errors/* InputError */.d('operation', `"${name}" is not an operation. Use one of: ${OPERATION_NAMES.join(', ')}.`);
    }
    return operation;
}

;// CONCATENATED MODULE: ./src/report.ts


/** One annotation for a failure: its title says what kind, its message what to do. */
function describeFailure(error) {
    if (error instanceof errors/* TitledError */.D)
        return { title: error.title, message: error.annotation };
    // A failure nothing named: a defect of the action. It may quote what it choked on, so it is
    // cut to a readable length, and it says what to do rather than leave a bare JavaScript error.
    const kind = error instanceof Error ? error.name : typeof error;
    const message = error instanceof Error ? error.message : String(error);
    return {
        title: 'atlas-x509-action failed',
        message: `An unexpected ${kind} inside the action: ${message.slice(0, 2000)}. This is a defect of atlas-x509-action: re-run the step with debug logging and report it with that log.`
    };
}
/** The step's one error annotation, repeated in the step summary where people look first. */
async function reportFailure(error, io) {
    const { title, message } = describeFailure(error);
    if (error instanceof Error && error.stack)
        io.debug(error.stack);
    io.fail(message, title);
    try {
        await io.summary('Atlas X.509 action failed', [
            ['Error', title],
            ['Detail', message]
        ]);
    }
    catch (summaryError) {
        io.debug(`No step summary written: ${summaryError.message}`);
    }
}

;// CONCATENATED MODULE: ./src/atlas/auth/digest.ts


const ALGORITHMS = {
    MD5: 'MD5',
    'MD5-SESS': 'MD5-sess',
    'SHA-256': 'SHA-256',
    'SHA-256-SESS': 'SHA-256-sess'
};
/** Splits `key=value, key="quoted, value"` auth-params, honouring quoted-string escapes. */
function parseAuthParams(text) {
    const params = new Map();
    const pattern = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
    for (const match of text.matchAll(pattern)) {
        const value = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? '');
        params.set(match[1].toLowerCase(), value);
    }
    return params;
}
/** Returns the Digest challenge of a `WWW-Authenticate` header, or undefined if it offers none. */
function parseDigestChallenge(header) {
    const headers = Array.isArray(header) ? header : header ? [header] : [];
    for (const value of headers) {
        const start = value.search(/(^|,\s*)Digest\s/i);
        if (start < 0)
            continue;
        const params = parseAuthParams(value.slice(value.indexOf('igest', start) + 5));
        const nonce = params.get('nonce');
        const realm = params.get('realm');
        if (!nonce || realm === undefined)
            continue;
        const algorithm = ALGORITHMS[(params.get('algorithm') ?? 'MD5').toUpperCase()];
        if (!algorithm)
            continue;
        // Atlas's documented header says `op="auth"` for `qop`; accept both spellings.
        const qop = params.get('qop') ?? params.get('op');
        return {
            realm,
            nonce,
            algorithm,
            qop,
            opaque: params.get('opaque'),
            stale: (params.get('stale') ?? '').toLowerCase() === 'true'
        };
    }
    return undefined;
}
function hashFor(algorithm) {
    const name = algorithm.startsWith('SHA-256') ? 'sha256' : 'md5';
    return data => (0,external_node_crypto_.createHash)(name).update(data, 'utf8').digest('hex');
}
/** The `response` value of RFC 7616 §3.4.1 (qop=auth). */
function digestResponse(input) {
    const hash = hashFor(input.algorithm);
    let ha1 = hash(`${input.username}:${input.realm}:${input.password}`);
    if (input.algorithm.endsWith('-sess'))
        ha1 = hash(`${ha1}:${input.nonce}:${input.cnonce}`);
    const ha2 = hash(`${input.method}:${input.uri}`);
    return hash(`${ha1}:${input.nonce}:${input.nc}:${input.cnonce}:${input.qop}:${ha2}`);
}
function quote(value) {
    return `"${value.replace(/(["\\])/g, '\\$1')}"`;
}
/**
 * Signs requests with one server challenge, reusing its nonce with an increasing nonce count
 * so that a step pays the challenge round trip once, not once per request.
 */
class DigestSigner {
    username;
    password;
    newCnonce;
    challenge;
    nonceCount = 0;
    constructor(username, password, newCnonce = () => (0,external_node_crypto_.randomBytes)(16).toString('hex')) {
        this.username = username;
        this.password = password;
        this.newCnonce = newCnonce;
    }
    /** True when the last request signed reused a nonce an earlier request had used (nc above 1). */
    get reusedNonce() {
        return this.nonceCount > 1;
    }
    accept(challenge) {
        this.challenge = challenge;
        this.nonceCount = 0;
    }
    /** The Authorization header for this request, or undefined before the first challenge. */
    authorization(method, uri) {
        const challenge = this.challenge;
        if (!challenge)
            return undefined;
        const qop = 'auth';
        if (challenge.qop && !challenge.qop.split(',').some(q => q.trim() === qop)) {
            throw new AtlasProtocolError(`The server's Digest challenge asks for qop="${challenge.qop}"; only "auth" is supported. Is base-url an Atlas origin?`);
        }
        this.nonceCount += 1;
        const nc = this.nonceCount.toString(16).padStart(8, '0');
        const cnonce = this.newCnonce();
        const response = digestResponse({
            algorithm: challenge.algorithm,
            username: this.username,
            password: this.password,
            realm: challenge.realm,
            method,
            uri,
            nonce: challenge.nonce,
            nc,
            cnonce,
            qop
        });
        const parts = [
            `username=${quote(this.username)}`,
            `realm=${quote(challenge.realm)}`,
            `nonce=${quote(challenge.nonce)}`,
            `uri=${quote(uri)}`,
            `algorithm=${challenge.algorithm}`,
            `qop=${qop}`,
            `nc=${nc}`,
            `cnonce=${quote(cnonce)}`,
            `response=${quote(response)}`
        ];
        if (challenge.opaque !== undefined)
            parts.push(`opaque=${quote(challenge.opaque)}`);
        return `Digest ${parts.join(', ')}`;
    }
}

;// CONCATENATED MODULE: ./src/atlas/auth/methods.ts

/** Programmatic API key: HTTP Digest (RFC 7616), MD5 or SHA-256 as the server's challenge says. */
class DigestAuth {
    signer;
    constructor(publicKey, privateKey, newCnonce) {
        this.signer = new DigestSigner(publicKey, privateKey, newCnonce);
    }
    // async although nothing is awaited: the interface is a promise (a token may be fetched), and a
    // challenge the signer refuses must reach the caller as a rejection, not a synchronous throw.
    // eslint-disable-next-line @typescript-eslint/require-await
    async authorize(method, uri) {
        return this.signer.authorization(method, uri);
    }
    acceptUnauthorized(wwwAuthenticate, sentAuthorization) {
        const challenge = parseDigestChallenge(wwwAuthenticate);
        if (!challenge)
            return false;
        // First contact, a stale nonce, or a refused reuse of a nonce (servers need not accept one,
        // stale flag or not): take the new challenge. A fresh nonce refused means the key is wrong.
        if (!sentAuthorization || challenge.stale || this.signer.reusedNonce) {
            this.signer.accept(challenge);
            return true;
        }
        return false;
    }
}
/** Service account: a Bearer token from its token source, the same one for every request. */
class BearerAuth {
    tokens;
    constructor(tokens) {
        this.tokens = tokens;
    }
    async authorize() {
        return `Bearer ${await this.tokens.token()}`;
    }
    acceptUnauthorized() {
        return false;
    }
}

;// CONCATENATED MODULE: ./src/atlas/auth/oauth.ts

/** OAuth 2.0 client credentials for Atlas service accounts (RFC 6749 §4.4). */
/** RFC 6749 §2.3.1: client id and secret are form-encoded before Basic encoding. */
function formEncode(value) {
    return encodeURIComponent(value).replace(/%20/g, '+');
}
function basicAuthorization(clientId, clientSecret) {
    const pair = `${formEncode(clientId)}:${formEncode(clientSecret)}`;
    return `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
}
const TOKEN_PATH = '/api/oauth/token';
const REVOKE_PATH = '/api/oauth/revoke';
const TOKEN_REQUEST_BODY = 'grant_type=client_credentials';
/** Atlas's documented token lifetime: used when an answer does not say, and never exceeded. */
const DEFAULT_LIFETIME_SECONDS = 3600;
/** A longer lifetime is no answer of Atlas's (1e306 s once made the expiry Infinity). */
const MAX_CLAIMED_LIFETIME_SECONDS = 86_400;
/**
 * A token is saved to state, which the runner passes to the post step in its environment: a huge
 * one (128 KiB) made that step impossible to start ("Argument list too long").
 */
const MAX_ACCESS_TOKEN_LENGTH = 8 * 1024;
/**
 * Registered as a mask: a shorter value would blank common text in the whole log. Visible ASCII
 * only (the token68 of a Bearer header fits in it): no control character reaches a header, the
 * state or the mask.
 */
const ACCESS_TOKEN = /^[\x21-\x7e]{8,}$/;
/** A token handed over from the main step is reused only while it has this long left. */
const MIN_REUSE_MS = 60_000;
/** A token value fit for a header, a mask and the state (readAccessToken's checks of it). */
function isAccessTokenValue(value) {
    return value.length <= MAX_ACCESS_TOKEN_LENGTH && ACCESS_TOKEN.test(value);
}
const unexpected = (what) => new AtlasProtocolError(`The token endpoint answered 200 with ${what}: not an answer of Atlas's. No token was used or saved; check base-url and any proxy in between.`);
/**
 * Reads the access token from a 200 token response. A body without a usable token (none, one
 * that cannot be a header value, a mask or a state entry, an `expires_in` that is not a plausible
 * number of seconds) is an unexpected answer.
 */
function readAccessToken(body, now) {
    let parsed;
    try {
        parsed = JSON.parse(body);
    }
    catch {
        throw new AtlasProtocolError('The token endpoint answered 200 with a body that is not JSON: is base-url an Atlas origin?');
    }
    const doc = (parsed ?? {});
    const token = doc.access_token;
    if (typeof token !== 'string' || token.length === 0) {
        throw new AtlasProtocolError('The token endpoint answered 200 without an access_token.');
    }
    if (token.length > MAX_ACCESS_TOKEN_LENGTH)
        throw unexpected(`an access_token of ${token.length} characters (at most ${MAX_ACCESS_TOKEN_LENGTH})`);
    if (!isAccessTokenValue(token))
        throw unexpected('an access_token that is not 8 or more visible ASCII characters (a control character, a space or a short value)');
    const claimed = doc.expires_in;
    if (claimed !== undefined &&
        !(typeof claimed === 'number' && claimed > 0 && claimed <= MAX_CLAIMED_LIFETIME_SECONDS)) {
        throw unexpected(`an expires_in that is not a positive number of seconds up to ${MAX_CLAIMED_LIFETIME_SECONDS}`);
    }
    const lifetime = Math.min(claimed ?? DEFAULT_LIFETIME_SECONDS, DEFAULT_LIFETIME_SECONDS);
    return { value: token, expiresAt: now + lifetime * 1000 };
}
/**
 * One token per job from the service account's token endpoint: fetched on first use, handed from
 * the main step to the post step, revoked there. The endpoint is rate-limited, and a service
 * account holds at most 100 active tokens.
 */
class ClientCredentialsTokenSource {
    send;
    options;
    current;
    pending;
    /** Every token this step used: the post step revokes them all. */
    used = new Map();
    basic;
    constructor(clientId, clientSecret, send, options) {
        this.send = send;
        this.options = options;
        this.basic = basicAuthorization(clientId, clientSecret);
        // The Basic credential carries the client secret in another encoding: mask it before any request.
        options.registerSecret(this.basic.slice('Basic '.length));
        const handed = options.handedOver;
        // State is text a later step could have touched: only a token the main step could have saved.
        if (handed && isAccessTokenValue(handed.value) && Number.isFinite(handed.expiresAt)) {
            options.registerSecret(handed.value);
            this.used.set(handed.value, handed);
            if (handed.expiresAt - options.clock.now() >= MIN_REUSE_MS)
                this.current = handed;
        }
    }
    /** The token in use, if any (what the main step hands over). */
    get accessToken() {
        return this.current;
    }
    async token() {
        if (this.current && this.current.expiresAt - this.options.clock.now() > 0)
            return this.current.value;
        this.pending ??= this.fetch().finally(() => (this.pending = undefined));
        return (await this.pending).value;
    }
    /** Revokes every token this step used; answers how many. */
    async revokeAll() {
        let revoked = 0;
        for (const token of this.used.values()) {
            await this.send(this.form(REVOKE_PATH, `token=${encodeURIComponent(token.value)}&token_type_hint=access_token`));
            revoked += 1;
        }
        this.used.clear();
        this.current = undefined;
        return revoked;
    }
    form(target, body) {
        return {
            method: 'POST',
            target,
            headers: {
                authorization: this.basic,
                'content-type': 'application/x-www-form-urlencoded',
                accept: 'application/json'
            },
            body
        };
    }
    async fetch() {
        const response = await this.send(this.form(TOKEN_PATH, TOKEN_REQUEST_BODY));
        const token = readAccessToken(response.text, this.options.clock.now());
        this.options.registerSecret(token.value);
        this.used.set(token.value, token);
        this.current = token;
        this.options.onToken?.(token);
        return token;
    }
}

;// CONCATENATED MODULE: ./src/atlas/client.ts






/**
 * The one way the action talks to Atlas: the transport within the step's budget, Digest or
 * Bearer auth, the retry loop, and turning answers that are not 2xx into errors.
 */
class AtlasClient {
    transport;
    retrier;
    /** Idle signers: a request takes one and gives it back, so parallel requests never share a Digest nonce. */
    idleAuths = [];
    newAuth;
    tokens;
    constructor(options) {
        const budget = options.budget;
        this.transport = new Transport({
            baseUrl: options.baseUrl,
            dispatcher: options.dispatcher,
            budget,
            clock: options.clock,
            userAgent: options.userAgent ?? 'atlas-x509-action',
            debug: options.debug
        });
        this.retrier = {
            maxRetries: options.maxRetries,
            budget,
            clock: options.clock,
            random: options.random ?? Math.random,
            backoff: DEFAULT_BACKOFF,
            debug: options.debug,
            notice: options.notice,
            baseUrl: options.baseUrl,
            pause: { until: 0 }
        };
        const credentials = options.credentials;
        if (credentials.kind === 'api-key') {
            // One Digest session (nonce and count) per request in flight: one in all for a sequential step.
            this.newAuth = () => new DigestAuth(credentials.publicKey, credentials.privateKey);
        }
        else {
            this.tokens = new ClientCredentialsTokenSource(credentials.clientId, credentials.clientSecret, 
            // The token endpoint's requests carry their own Basic credential: sent unsigned.
            request => this.send(request, 'retry-safe', false), {
                clock: options.clock,
                registerSecret: options.registerSecret,
                handedOver: options.handedOverToken,
                onToken: options.onAccessToken
            });
            const bearer = new BearerAuth(this.tokens);
            this.newAuth = () => bearer;
        }
    }
    /** Revokes the service account's access tokens this step used (none for an API key). */
    revokeAccessTokens() {
        return this.tokens ? this.tokens.revokeAll() : Promise.resolve(0);
    }
    get requestCount() {
        return this.transport.requestCount;
    }
    /** Atlas's `RateLimit-Remaining` on the latest answer that carried it. */
    get rateLimitRemaining() {
        return this.transport.rateLimitRemaining;
    }
    get baseUrl() {
        return this.transport.baseUrl;
    }
    /** Runs `work` with requests (their retries, waits and connections) bounded by `deadlineMs` alone. */
    withinBudget(deadlineMs, seconds, input, work) {
        return this.transport.budget.within(deadlineMs, seconds, input, work);
    }
    /**
     * Sends one API call to a path of the Atlas origin; answers 2xx, or throws AtlasApiError /
     * AtlasUnreachableError.
     */
    async call(method, path, options) {
        const query = options.query
            ? '?' +
                new URLSearchParams(Object.entries(options.query).map(([k, v]) => [k, String(v)])).toString()
            : '';
        const mediaType = `application/vnd.atlas.${options.version}+json`;
        const exchange = {
            method,
            target: `${path}${query}`,
            headers: { accept: mediaType },
            body: options.body === undefined ? undefined : JSON.stringify(options.body)
        };
        if (exchange.body !== undefined)
            exchange.headers['content-type'] = mediaType;
        const response = await this.send(exchange, options.retry ?? 'retry-safe', true);
        return { status: response.status, text: response.text };
    }
    /**
     * The one road to the network, for API and token requests alike: the request within the step's
     * budget, retried by `policy`, signed when `signed`; answers 2xx or throws the answer's error.
     */
    async send(exchange, policy, signed) {
        const response = await withRetries(`${exchange.method} ${exchange.target}`, policy, this.retrier, () => (signed ? this.authenticated(exchange) : this.transport.send(exchange)));
        if (response.status < 200 || response.status >= 300)
            throw errorForAnswer(response, this.transport.baseUrl);
        return response;
    }
    /** Like call, for JSON answers; `parse` may replace JSON.parse (exact int64 ids). */
    async json(method, path, options, parse = JSON.parse) {
        const response = await this.call(method, path, options);
        try {
            return parse(response.text);
        }
        catch {
            throw new AtlasProtocolError(`${method} ${path} answered ${response.status} with a body that is not JSON: an answer that is not Atlas's (a proxy's page?). Check base-url and any proxy in between.`);
        }
    }
    /** One attempt: the request, plus the Digest challenge round trip when the auth method needs one. */
    async authenticated(exchange) {
        const auth = this.idleAuths.pop() ?? this.newAuth();
        try {
            return await this.signedExchange(auth, exchange);
        }
        finally {
            this.idleAuths.push(auth);
        }
    }
    async signedExchange(auth, exchange) {
        for (let challenges = 0;; challenges++) {
            const authorization = await auth.authorize(exchange.method, exchange.target);
            const headers = authorization ? { ...exchange.headers, authorization } : exchange.headers;
            const response = await this.transport.send({ ...exchange, headers });
            if (response.status === 401 &&
                challenges < 2 &&
                auth.acceptUnauthorized(response.headers['www-authenticate'], authorization !== undefined)) {
                continue;
            }
            return response;
        }
    }
}

;// CONCATENATED MODULE: ./src/atlas/dispatcher.ts


const first = (env, names) => names.map(name => env[name]).find(value => value !== undefined && value !== '');
/**
 * The HTTP dispatcher: through the proxy named by HTTPS_PROXY/HTTP_PROXY (NO_PROXY honoured, either
 * case) in the step's environment, as the runner's other tools do, or direct.
 */
function createDispatcher(env, options) {
    const httpsProxy = first(env, ['HTTPS_PROXY', 'https_proxy']);
    const httpProxy = first(env, ['HTTP_PROXY', 'http_proxy']);
    // Read per connection, so that a connection made late in the step gets only what is left.
    const timeout = () => Math.max(1, Math.floor(options.remainingMs()));
    const direct = (connectOptions, callback) => (0,undici.buildConnector)({ timeout: timeout() + 1000 })(connectOptions, callback);
    if (httpsProxy || httpProxy) {
        return new undici.EnvHttpProxyAgent({
            httpProxy,
            httpsProxy,
            noProxy: first(env, ['NO_PROXY', 'no_proxy']) ?? '',
            connections: options.connections,
            // EnvHttpProxyAgent hands the two factories to its ProxyAgent (its type does not list them).
            // The connection to the proxy itself (TCP, and TLS to an https proxy):
            clientFactory: (proxyOrigin) => new undici.Pool(proxyOrigin, {
                connect: (connectOptions, callback) => connectWithin(timeout(), direct, connectOptions, callback)
            }),
            // Each connection to the origin, direct (NO_PROXY) or through the tunnel. ProxyAgent hands
            // its tunnel-making connect here; undici's own timers for it (the CONNECT answer, the
            // tunnel's TLS) run 300 s or a budget fixed at the start, so ours bound it instead.
            factory: (origin, agentOptions) => {
                const viaProxy = agentOptions.connect;
                const connect = (connectOptions, callback) => viaProxy
                    ? connectThroughTunnel(timeout, viaProxy, direct, connectOptions, callback)
                    : connectWithin(timeout(), direct, connectOptions, callback);
                const clientOptions = { ...agentOptions, connect };
                return options.connections === 1
                    ? new undici.Client(origin, clientOptions)
                    : new undici.Pool(origin, clientOptions);
            }
        });
    }
    return new undici.Agent({
        connections: options.connections,
        connect: (connectOptions, callback) => {
            const handedOver = options.preconnection?.takeFor(connectOptions, timeout());
            if (!handedOver)
                return connectWithin(timeout(), direct, connectOptions, callback);
            // A handshake that failed is made again the usual way, which reports what went wrong.
            void handedOver.then(socket => socket ? callback(null, socket) : connectWithin(timeout(), direct, connectOptions, callback));
        }
    });
}
/**
 * Runs one connection attempt within `ms`. undici times this phase on a coarse clock that fires up
 * to half a second early or late, and a request's abort signal does not reach a connection still
 * being made, so a timer of our own ends the attempt when the budget does: it aborts the attempt's
 * signal (ProxyAgent's CONNECT exchange listens to it) and destroys a socket still being made.
 */
function connectWithin(ms, connector, connectOptions, callback) {
    let settled = false;
    const settle = (...args) => {
        clearTimeout(timer);
        if (settled) {
            args[1]?.destroy();
            return;
        }
        settled = true;
        callback(...args);
    };
    const aborted = new AbortController();
    const attempt = {};
    const timer = setTimeout(() => {
        const error = new undici.errors.ConnectTimeoutError();
        aborted.abort(error);
        if (attempt.socket instanceof external_node_net_.Socket)
            attempt.socket.destroy(error);
        else
            settle(error, null);
    }, ms);
    // undici's connector returns the socket it makes (its types say void): destroyed on time.
    attempt.socket = connector({ ...connectOptions, signal: aborted.signal }, settle);
}
/**
 * Through a proxy: the CONNECT exchange, then for an https origin the TLS handshake over the
 * tunnel, each within what is then left of the budget. ProxyAgent is asked for a bare tunnel (as
 * for http) so that the handshake is made here, where its socket can be destroyed on time.
 */
function connectThroughTunnel(timeout, viaProxy, direct, connectOptions, callback) {
    if (connectOptions.protocol !== 'https:') {
        connectWithin(timeout(), viaProxy, connectOptions, callback);
        return;
    }
    // ProxyAgent's CONNECT target is `host`, with a default port added only when `port` is empty,
    // and that default is the protocol's: the https port is spelled out here.
    const port = connectOptions.port || '443';
    const tunnelOptions = {
        ...connectOptions,
        protocol: 'http:',
        port,
        host: connectOptions.port ? connectOptions.host : `${connectOptions.hostname}:${port}`
    };
    connectWithin(timeout(), viaProxy, tunnelOptions, (error, tunnel) => {
        if (!tunnel)
            return callback(error ?? new undici.errors.ConnectTimeoutError(), null);
        connectWithin(timeout(), direct, { ...connectOptions, httpSocket: tunnel }, (handshakeError, socket) => {
            if (!socket) {
                tunnel.destroy();
                return callback(handshakeError ?? new undici.errors.ConnectTimeoutError(), null);
            }
            callback(null, socket);
        });
    });
}

;// CONCATENATED MODULE: ./src/atlas/plain-text.ts


/**
 * One GET of a URL outside Atlas (the runner's "what is my IP" service): through the step's
 * dispatcher (proxies honoured) and within its budget, with no credential of any kind, no retry
 * and no redirect followed. Throws AtlasUnreachableError when no answer comes.
 */
async function getPlainText(url, options) {
    const target = new URL(url);
    const transport = new Transport({ ...options, baseUrl: target.origin });
    try {
        return await transport.send({
            method: 'GET',
            target: `${target.pathname}${target.search}`,
            headers: { accept: 'text/plain' }
        });
    }
    catch (error) {
        if (error instanceof AtlasUnreachableError)
            throw error;
        const what = isTimeout(error)
            ? `no answer within ${options.budget.description}`
            : describeNetworkError(error);
        throw new AtlasUnreachableError(`GET ${target.origin}${target.pathname}: ${what}.`, {
            cause: error
        });
    }
}

;// CONCATENATED MODULE: ./src/clock.ts
const systemClock = {
    now: () => Date.now(),
    sleep: ms => new Promise(resolve => setTimeout(resolve, ms))
};

;// CONCATENATED MODULE: ./src/inputs/issuer-key.ts
/**
 * What the runner must mask of `issuer-key` before anything prints: the whole value and every
 * non-empty line (without `\r`).
 */
function issuerKeyMasks(value) {
    const lines = value.split('\n').map(line => line.replace(/\r/g, '').trim());
    return [value.trim(), ...lines].filter(Boolean);
}

;// CONCATENATED MODULE: ./src/runtime.ts












const USER_AGENT = 'atlas-x509-action/1.0.0';
function defaultDependencies() {
    return {
        env: process.env,
        readInput: name => core/* getInput */.V4(name),
        io: coreIO(),
        clock: systemClock,
        fs: nodeFileSystem,
        cwd: process.cwd()
    };
}
/** Registers secret inputs (and their environment fallbacks) before anything can print them. */
function maskSecretInputs(deps) {
    for (const value of secretCredentialValues(deps.readInput, deps.env))
        deps.io.setSecret(value);
    const githubToken = deps.readInput('github-token');
    if (githubToken)
        deps.io.setSecret(githubToken);
    const issuerKey = deps.readInput('issuer-key');
    if (issuerKey)
        for (const value of issuerKeyMasks(issuerKey))
            deps.io.setSecret(value);
}
/**
 * Runs work with an operation context: one Atlas client for the step, its dispatcher closed
 * afterwards so idle keep-alive connections do not hold the step open.
 */
async function withStepContext(config, deps, work, session = { accessToken: { handOver: true } }) {
    const parallelRequests = session.parallelRequests ?? 1;
    const budget = new Budget(config.timeoutSeconds, deps.clock);
    const dispatcher = deps.dispatcher ??
        createDispatcher(deps.env, {
            connections: parallelRequests,
            remainingMs: () => budget.remainingMs(),
            ...(deps.preconnection ? { preconnection: deps.preconnection } : {})
        });
    const tokenHandling = session.accessToken;
    const client = new AtlasClient({
        baseUrl: config.baseUrl,
        credentials: config.credentials,
        dispatcher,
        budget,
        maxRetries: config.maxRetries,
        clock: deps.clock,
        registerSecret: value => deps.io.setSecret(value),
        debug: message => deps.io.debug(message),
        notice: message => deps.io.notice(message, 'Atlas rate limit'),
        userAgent: USER_AGENT,
        ...(tokenHandling.handOver
            ? {
                onAccessToken: token => deps.io.saveState(STATE.accessToken, JSON.stringify(token))
            }
            : { handedOverToken: tokenHandling.handedOver })
    });
    const api = new HttpAtlasApi(client);
    try {
        return await work({
            groupId: config.groupId,
            ...(config.orgId ? { orgId: config.orgId } : {}),
            api,
            io: deps.io,
            env: deps.env,
            fs: deps.fs,
            cwd: deps.cwd,
            clock: deps.clock,
            githubSecretStore: deps.githubSecretStore,
            githubConnection: (token, baseUrl) => ({
                token,
                baseUrl,
                budget,
                clock: deps.clock,
                dispatcher,
                maxRetries: config.maxRetries,
                debug: message => deps.io.debug(message),
                notice: message => deps.io.notice(message, 'GitHub rate limit')
            }),
            summary: (heading, rows) => deps.io.summary(heading, [
                ...commonSummaryRows(session.operation, config.groupId, config.orgId),
                ...rows
            ]),
            getPlainText: url => getPlainText(url, {
                dispatcher,
                budget,
                clock: deps.clock,
                userAgent: USER_AGENT,
                debug: message => deps.io.debug(message)
            })
        });
    }
    finally {
        if (!tokenHandling.handOver)
            await revokeAccessTokens(client, deps);
        deps.io.debug(`Atlas HTTP requests sent: ${api.requestCount}`);
        if (!deps.dispatcher)
            await dispatcher.destroy().catch(() => undefined);
    }
}
/** The rows every summary starts with: which operation ran, on which project. */
function commonSummaryRows(operation, groupId, 
/** Set when the step covers every project of an organisation instead of one. */
orgId) {
    return [
        ...(operation === undefined ? [] : [['Operation', operation]]),
        orgId ? ['Organisation', orgId] : ['Project', groupId]
    ];
}
/** The post step's last call: no access token of the job is left active (a warning if one is). */
async function revokeAccessTokens(client, deps) {
    try {
        const revoked = await client.revokeAccessTokens();
        if (revoked > 0)
            deps.io.info(`Revoked the service account's access token (${revoked}).`);
    }
    catch (error) {
        deps.io.warning(`Could not revoke the service account's access token: ${error.message} It stays active until it expires (1 hour after it was issued) and counts against the service account's limit of 100 active tokens.`, 'Access token not revoked');
    }
}

;// CONCATENATED MODULE: ./src/main.ts







/**
 * Every key the post step reads, saved empty before anything else: the runner gives the post step
 * the main step's value of each saved key, so no `STATE_*` line a later step appends to
 * $GITHUB_ENV can stand in for one, even after an input error.
 */
function clearPostStepRecord(io) {
    for (const name of Object.values(STATE))
        io.saveState(name, '');
}
/** Where and as whom the main step works: the post step goes there with that credential only. */
function recordSession(common, io) {
    io.saveState(STATE.atlasOrigin, common.baseUrl);
    io.saveState(STATE.project, common.groupId);
    io.saveState(STATE.credential, JSON.stringify(credentialIdentity(common.credentials)));
}
/** The main step: inputs → one operation → outputs, summary, or one error annotation. */
async function run(overrides = {}) {
    const deps = { ...defaultDependencies(), ...overrides };
    try {
        clearPostStepRecord(deps.io);
        maskSecretInputs(deps);
        const operation = findOperation(deps.readInput('operation'), DEFAULTS.operation);
        const common = parseCommonConfig(deps.readInput, deps.env, operation.orgWide?.(deps.readInput) ?? false);
        const config = operation.parse(deps.readInput);
        recordSession(common, deps.io);
        await withStepContext(common, deps, ctx => operation.run(config, ctx), {
            operation: operation.summaryName?.(config) ?? operation.name,
            parallelRequests: operation.parallelRequests,
            accessToken: { handOver: true }
        });
    }
    catch (error) {
        await reportFailure(error, deps.io);
    }
}


/***/ })

};
