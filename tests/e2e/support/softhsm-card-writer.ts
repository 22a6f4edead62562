/**
 * Puts one HPKI authentication certificate and its key pair on a SoftHSM2 token, the way a card
 * holds them: a certificate object, a public key and a private key sharing one CKA_ID (how NSS pairs
 * a certificate with its key), the private key sensitive and never extractable, so every signature
 * of the TLS handshake is made by the token.
 *
 * One difference from a card, on purpose: the private key is CKA_PRIVATE=false. Headless Chromium
 * has no PIN dialog; NSS must find and use the key without C_Login (the module is loaded FRIENDLY,
 * so NSS never tries to log in to list certificates either). The PIN step of a real card is therefore
 * not exercised by the browser tests.
 *
 * Runs as a process of its own (`node --import tsx softhsm-card-writer.ts <request.json>`) with
 * SOFTHSM2_CONF in its environment: SoftHSM2 reads it when the library is initialised, and every
 * test browser has a token directory of its own.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

type Pkcs11Module = typeof import('pkcs11js');

export interface CardWriteRequest {
  module: string;
  tokenLabel: string;
  pin: string;
  /** CKA_LABEL of the three objects (NSS shows the certificate as "<token>:<label>"). */
  label: string;
  certificateDerBase64: string;
  privateKeyPkcs8Base64: string;
}

/** One DER element: where its contents start and where it ends. */
interface Element {
  tag: number;
  start: number;
  contents: number;
  end: number;
}

function element(der: Buffer, at: number): Element {
  const tag = der[at]!;
  let length = der[at + 1]!;
  let contents = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new Error('unsupported DER length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[at + 2 + i]!;
    contents += count;
  }
  if (contents + length > der.length) throw new Error('truncated DER');
  return { tag, start: at, contents, end: contents + length };
}

/** The DER of the certificate's serialNumber, issuer and subject (PKCS#11 wants them as encoded). */
export function certificateNames(der: Buffer): { serialNumber: Buffer; issuer: Buffer; subject: Buffer } {
  const certificate = element(der, 0);
  const tbs = element(der, certificate.contents);
  let next = tbs.contents;
  let field = element(der, next);
  if (field.tag === 0xa0) field = element(der, (next = field.end)); // [0] version
  const serial = field;
  const signature = element(der, serial.end);
  const issuer = element(der, signature.end);
  const validity = element(der, issuer.end);
  const subject = element(der, validity.end);
  if (serial.tag !== 0x02 || issuer.tag !== 0x30 || subject.tag !== 0x30) throw new Error('not an X.509 certificate');
  return {
    serialNumber: der.subarray(serial.start, serial.end),
    issuer: der.subarray(issuer.start, issuer.end),
    subject: der.subarray(subject.start, subject.end),
  };
}

const P256_EC_PARAMS = Buffer.from('06082a8648ce3d030107', 'hex');
const b64url = (value: string | undefined) => Buffer.from(value ?? '', 'base64url');

/** The key's PKCS#11 attributes, public and private, and the CKA_ID NSS itself would give it. */
function keyAttributes(p: Pkcs11Module, pkcs8: Buffer) {
  const key = crypto.createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty === 'RSA') {
    const modulus = b64url(jwk.n);
    const exponent = b64url(jwk.e);
    return {
      // NSS's own convention (PK11_MakeIDFromPubKey): SHA-1 of the modulus.
      id: crypto.createHash('sha1').update(modulus).digest(),
      public: [
        { type: p.CKA_KEY_TYPE, value: p.CKK_RSA },
        { type: p.CKA_MODULUS, value: modulus },
        { type: p.CKA_PUBLIC_EXPONENT, value: exponent },
      ],
      private: [
        { type: p.CKA_KEY_TYPE, value: p.CKK_RSA },
        { type: p.CKA_MODULUS, value: modulus },
        { type: p.CKA_PUBLIC_EXPONENT, value: exponent },
        { type: p.CKA_PRIVATE_EXPONENT, value: b64url(jwk.d) },
        { type: p.CKA_PRIME_1, value: b64url(jwk.p) },
        { type: p.CKA_PRIME_2, value: b64url(jwk.q) },
        { type: p.CKA_EXPONENT_1, value: b64url(jwk.dp) },
        { type: p.CKA_EXPONENT_2, value: b64url(jwk.dq) },
        { type: p.CKA_COEFFICIENT, value: b64url(jwk.qi) },
      ],
    };
  }
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') {
    const point = Buffer.concat([Buffer.from([0x04]), b64url(jwk.x), b64url(jwk.y)]);
    return {
      id: crypto.createHash('sha1').update(point).digest(),
      public: [
        { type: p.CKA_KEY_TYPE, value: p.CKK_EC },
        { type: p.CKA_EC_PARAMS, value: P256_EC_PARAMS },
        // CKA_EC_POINT is the DER OCTET STRING of the uncompressed point.
        { type: p.CKA_EC_POINT, value: Buffer.concat([Buffer.from([0x04, point.length]), point]) },
      ],
      private: [
        { type: p.CKA_KEY_TYPE, value: p.CKK_EC },
        { type: p.CKA_EC_PARAMS, value: P256_EC_PARAMS },
        { type: p.CKA_VALUE, value: b64url(jwk.d) },
      ],
    };
  }
  throw new Error(`unsupported key type ${jwk.kty}${jwk.crv ? ` ${jwk.crv}` : ''}`);
}

export function writeCard(request: CardWriteRequest): { id: string } {
  const p = createRequire(import.meta.url)('pkcs11js') as Pkcs11Module;
  const lib = new p.PKCS11();
  lib.load(request.module);
  lib.C_Initialize();
  try {
    const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === request.tokenLabel);
    if (!slot) throw new Error(`no token labelled ${request.tokenLabel} (SOFTHSM2_CONF=${process.env.SOFTHSM2_CONF})`);
    const session = lib.C_OpenSession(slot, p.CKF_SERIAL_SESSION | p.CKF_RW_SESSION);
    lib.C_Login(session, p.CKU_USER, request.pin);
    const der = Buffer.from(request.certificateDerBase64, 'base64');
    const names = certificateNames(der);
    const keys = keyAttributes(p, Buffer.from(request.privateKeyPkcs8Base64, 'base64'));
    const common = [
      { type: p.CKA_TOKEN, value: true },
      { type: p.CKA_ID, value: keys.id },
      { type: p.CKA_LABEL, value: request.label },
    ];
    lib.C_CreateObject(session, [
      ...common,
      { type: p.CKA_CLASS, value: p.CKO_CERTIFICATE },
      { type: p.CKA_CERTIFICATE_TYPE, value: p.CKC_X_509 },
      { type: p.CKA_PRIVATE, value: false },
      { type: p.CKA_VALUE, value: der },
      { type: p.CKA_SUBJECT, value: names.subject },
      { type: p.CKA_ISSUER, value: names.issuer },
      { type: p.CKA_SERIAL_NUMBER, value: names.serialNumber },
    ]);
    lib.C_CreateObject(session, [
      ...common,
      { type: p.CKA_CLASS, value: p.CKO_PUBLIC_KEY },
      { type: p.CKA_PRIVATE, value: false },
      { type: p.CKA_SUBJECT, value: names.subject },
      { type: p.CKA_VERIFY, value: true },
      ...keys.public,
    ]);
    lib.C_CreateObject(session, [
      ...common,
      { type: p.CKA_CLASS, value: p.CKO_PRIVATE_KEY },
      { type: p.CKA_PRIVATE, value: false },
      { type: p.CKA_SENSITIVE, value: true },
      { type: p.CKA_EXTRACTABLE, value: false },
      { type: p.CKA_SUBJECT, value: names.subject },
      { type: p.CKA_SIGN, value: true },
      { type: p.CKA_DECRYPT, value: false },
      { type: p.CKA_UNWRAP, value: false },
      { type: p.CKA_DERIVE, value: false },
      ...keys.private,
    ]);
    lib.C_Logout(session);
    lib.C_CloseSession(session);
    return { id: keys.id.toString('hex') };
  } finally {
    lib.C_Finalize();
  }
}

// As a script: the request is the JSON file named by the first argument; the answer goes to stdout.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const request = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8')) as CardWriteRequest;
  process.stdout.write(`${JSON.stringify(writeCard(request))}\n`);
}
