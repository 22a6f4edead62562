/**
 * TEST AND DEMO STAND-IN — NEVER FOR PRODUCTION. A software My Number Card: the JPKI AP of the
 * card emulated in JavaScript, with the private key and the PIN in memory (or embedded in the
 * page). It proves nothing about a card, a PIN or a person.
 *
 * (a) `createMyNumberCardEmulator` runs the card in Node for unit tests.
 * (b) `softwareMyNumberCardScript` returns browser JavaScript that acts as the Web eID extension's
 *     content script for the PC/SC pass-through messages of web-eid.js 0.0.x
 *     (research/protocol-facts.md §C4), for Playwright (the test extension) and demo mode.
 *
 * Both run the same APDU state machine, `JPKI_CARD_CORE_SOURCE`, a plain-JavaScript source string
 * (a function's `toString()` would carry the TypeScript transform's helpers into the page).
 * The card's private operation differs: Node uses `crypto.privateEncrypt` with PKCS#1 v1.5
 * padding, which is exactly the card's COMPUTE DIGITAL SIGNATURE on a DigestInfo. WebCrypto
 * cannot sign a pre-hashed DigestInfo, so the browser script does the RSA private operation with
 * BigInt arithmetic (`RSA_PKCS1_TYPE1_SOURCE`) — emulator code, not the product's cryptography;
 * its output is tested byte for byte against `crypto.privateEncrypt`.
 */
import { constants, createPrivateKey, privateEncrypt } from 'node:crypto';
import type { JsonWebKey, KeyObject } from 'node:crypto';

/** What a My Number Card answers for SCardConnect (a commonly reported ATR; UNVERIFIED against a card). */
export const SOFTWARE_MY_NUMBER_CARD_ATR = Uint8Array.of(0x3b, 0xe0, 0x00, 0xff, 0x81, 0x31, 0xfe, 0x45, 0x14);
export const SOFTWARE_MY_NUMBER_CARD_READER = 'Software My Number Card';
export const JPKI_PIN_MAX_TRIES = 3;

/**
 * The card: `createJpkiCardCore(config, signRaw)` with config `{ certificate: Uint8Array,
 * pin: string, triesLeft: number, keyBytes: number }` and `signRaw(data) → Uint8Array` the RSA
 * private operation with type-1 padding. Returns `{ transmit(apdu) → response, reset(),
 * triesLeft(), commands() }`. Short APDUs only; status words per ISO 7816-4.
 */
export const JPKI_CARD_CORE_SOURCE = String.raw`
function createJpkiCardCore(config, signRaw) {
  var AID = [0xd3, 0x92, 0xf0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];
  var EF_CERT = 0x000a, EF_KEY = 0x0017, EF_PIN = 0x0018;
  var MAX_TRIES = 3;
  var certificate = config.certificate;
  var pin = config.pin;
  var keyBytes = config.keyBytes;
  var tries = config.triesLeft;
  var apSelected = false;
  var currentEf = null;
  var verified = false;
  var log = [];

  function sw(value, data) {
    var body = data || new Uint8Array(0);
    var out = new Uint8Array(body.length + 2);
    out.set(body, 0);
    out[body.length] = (value >> 8) & 0xff;
    out[body.length + 1] = value & 0xff;
    return out;
  }
  function hex(bytes) {
    var s = '';
    for (var i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16).toUpperCase();
    return s;
  }
  // Short APDU cases 1-4; null when malformed or extended.
  function parse(apdu) {
    if (apdu.length < 4) return null;
    var c = { cla: apdu[0], ins: apdu[1], p1: apdu[2], p2: apdu[3], data: new Uint8Array(0), le: -1 };
    if (apdu.length === 4) return c;
    if (apdu.length === 5) { c.le = apdu[4] === 0 ? 256 : apdu[4]; return c; }
    var lc = apdu[4];
    if (lc === 0) return null;
    if (apdu.length === 5 + lc) { c.data = apdu.subarray(5, 5 + lc); return c; }
    if (apdu.length === 6 + lc) { c.data = apdu.subarray(5, 5 + lc); c.le = apdu[5 + lc] === 0 ? 256 : apdu[5 + lc]; return c; }
    return null;
  }
  function sameBytes(a, b) {
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  function select(c) {
    if (c.p2 !== 0x0c) return sw(0x6a86);
    if (c.p1 === 0x04) {
      if (c.le !== -1 || !sameBytes(c.data, AID)) return sw(0x6a82);
      apSelected = true;
      currentEf = null;
      verified = false;
      return sw(0x9000);
    }
    if (c.p1 === 0x02) {
      if (c.data.length !== 2 || c.le !== -1) return sw(0x6700);
      var id = (c.data[0] << 8) | c.data[1];
      if (!apSelected || (id !== EF_CERT && id !== EF_KEY && id !== EF_PIN)) return sw(0x6a82);
      currentEf = id;
      return sw(0x9000);
    }
    return sw(0x6a86);
  }
  function readBinary(c) {
    if (c.p1 & 0x80) return sw(0x6a81);
    if (c.data.length !== 0 || c.le === -1) return sw(0x6700);
    if (currentEf === null) return sw(0x6986);
    if (currentEf !== EF_CERT) return sw(0x6981);
    var offset = (c.p1 << 8) | c.p2;
    if (offset >= certificate.length) return sw(0x6b00);
    var end = Math.min(certificate.length, offset + c.le);
    return sw(end - offset < c.le ? 0x6282 : 0x9000, certificate.slice(offset, end));
  }
  function verify(c) {
    if (c.p1 !== 0x00 || c.p2 !== 0x80) return sw(0x6a86);
    if (currentEf !== EF_PIN) return sw(0x6986);
    if (c.le !== -1) return sw(0x6700);
    if (tries === 0) return sw(0x6983);
    if (c.data.length === 0) return sw(0x63c0 | tries);
    if (c.data.length !== 4) return sw(0x6700);
    var given = String.fromCharCode(c.data[0], c.data[1], c.data[2], c.data[3]);
    if (given === pin) {
      tries = MAX_TRIES;
      verified = true;
      return sw(0x9000);
    }
    tries -= 1;
    verified = false;
    return sw(0x63c0 | tries);
  }
  function sign(c) {
    if (c.p1 !== 0x00 || c.p2 !== 0x80) return sw(0x6a86);
    if (c.data.length === 0 || c.le === -1) return sw(0x6700);
    if (currentEf !== EF_KEY) return sw(0x6986);
    if (!verified) return sw(0x6982);
    if (c.data.length > keyBytes - 11) return sw(0x6700);
    return sw(0x9000, signRaw(c.data));
  }
  function transmit(apdu) {
    var c = parse(apdu);
    if (!c) { log.push('malformed'); return sw(0x6700); }
    // Only the header is kept: a VERIFY body is the PIN.
    log.push(hex([c.cla, c.ins, c.p1, c.p2]) + (c.data.length === 0 ? '' : c.ins === 0x20 ? ' ****' : ' ' + hex(c.data)) + (c.le === -1 ? '' : ' Le=' + c.le));
    if (c.cla === 0x00 && c.ins === 0xa4) return select(c);
    if (c.cla === 0x00 && c.ins === 0xb0) return readBinary(c);
    if (c.cla === 0x00 && c.ins === 0x20) return verify(c);
    if (c.cla === 0x80 && c.ins === 0x2a) return sign(c);
    if (c.cla !== 0x00 && c.cla !== 0x80) return sw(0x6e00);
    return sw(0x6d00);
  }
  return {
    transmit: transmit,
    // A new card session (reset or reconnect): nothing selected, PIN no longer verified.
    reset: function () { apSelected = false; currentEf = null; verified = false; },
    triesLeft: function () { return tries; },
    commands: function () { return log.slice(); }
  };
}
`;

/**
 * `rsaPkcs1Type1Sign(jwk, data) → Uint8Array`: EMSA-PKCS1-v1_5 type-1 block `00 01 FF… 00 data`
 * and m^d mod n with the CRT parameters of a private RSA JWK. Throws on data longer than k − 11.
 * TEST/DEMO EMULATOR CODE: the product verifies signatures with WebCrypto and never runs this.
 */
export const RSA_PKCS1_TYPE1_SOURCE = String.raw`
function rsaPkcs1Type1Sign(jwk, data) {
  function fromB64url(s) {
    var b64 = s.replace(/-/g, '+').replace(/_/g, '/');
    while (b64.length % 4) b64 += '=';
    var bin = atob(b64);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function toBig(bytes) {
    var h = '0';
    for (var i = 0; i < bytes.length; i++) h += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
    return BigInt('0x' + h);
  }
  function modPow(base, exponent, modulus) {
    var result = BigInt(1);
    base = base % modulus;
    while (exponent > BigInt(0)) {
      if (exponent & BigInt(1)) result = (result * base) % modulus;
      exponent >>= BigInt(1);
      base = (base * base) % modulus;
    }
    return result;
  }
  var nBytes = fromB64url(jwk.n);
  while (nBytes.length > 1 && nBytes[0] === 0) nBytes = nBytes.subarray(1);
  var k = nBytes.length;
  if (data.length > k - 11) throw new Error('data too large for the key size');
  var block = new Uint8Array(k);
  block[0] = 0x00;
  block[1] = 0x01;
  for (var i = 2; i < k - data.length - 1; i++) block[i] = 0xff;
  block[k - data.length - 1] = 0x00;
  block.set(data, k - data.length);

  var n = toBig(nBytes), e = toBig(fromB64url(jwk.e));
  var p = toBig(fromB64url(jwk.p)), q = toBig(fromB64url(jwk.q));
  var dp = toBig(fromB64url(jwk.dp)), dq = toBig(fromB64url(jwk.dq)), qi = toBig(fromB64url(jwk.qi));
  var m = toBig(block);
  var s1 = modPow(m, dp, p);
  var s2 = modPow(m, dq, q);
  var h = (qi * (((s1 - s2) % p) + p)) % p;
  var s = s2 + h * q;
  // A wrong CRT result would leak the key on a real card; here it only means a broken JWK.
  if (modPow(s, e, n) !== m) throw new Error('RSA private operation failed its check');

  var out = new Uint8Array(k);
  var hexS = s.toString(16);
  if (hexS.length % 2) hexS = '0' + hexS;
  var len = hexS.length / 2;
  for (var j = 0; j < len; j++) out[k - len + j] = parseInt(hexS.substr(j * 2, 2), 16);
  return out;
}
`;

/** The APDU state machine of `JPKI_CARD_CORE_SOURCE`, as seen from TypeScript. */
interface JpkiCardCore {
  transmit(apdu: Uint8Array): Uint8Array;
  reset(): void;
  triesLeft(): number;
  commands(): string[];
}
type CreateJpkiCardCore = (
  config: { certificate: Uint8Array; pin: string; triesLeft: number; keyBytes: number },
  signRaw: (data: Uint8Array) => Uint8Array,
) => JpkiCardCore;

// Test/demo code evaluating its own constant source, never input.
const createJpkiCardCore = new Function(`${JPKI_CARD_CORE_SOURCE}\nreturn createJpkiCardCore;`)() as CreateJpkiCardCore;

/** The browser RSA operation, callable from Node so tests can compare it with `crypto.privateEncrypt`. */
export const rsaPkcs1Type1Sign = new Function(`${RSA_PKCS1_TYPE1_SOURCE}\nreturn rsaPkcs1Type1Sign;`)() as (
  jwk: JsonWebKey,
  data: Uint8Array,
) => Uint8Array;

/** Binary input: bytes, or standard base64 text. */
export type BinaryOrBase64 = Uint8Array | string;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function toBytes(input: BinaryOrBase64, label: string): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (typeof input !== 'string' || !BASE64.test(input)) throw new Error(`${label} must be bytes or standard base64`);
  return new Uint8Array(Buffer.from(input, 'base64'));
}

function checkCardSettings(certificate: Uint8Array, pin: string, triesLeft: number, caller: string): void {
  if (certificate.length === 0 || certificate.length > 0x7fff) throw new Error(`${caller}: the certificate must be 1..32767 bytes`);
  if (!/^[0-9]{4}$/.test(pin)) throw new Error(`${caller}: the PIN must be 4 digits`);
  if (!Number.isInteger(triesLeft) || triesLeft < 0 || triesLeft > JPKI_PIN_MAX_TRIES) throw new Error(`${caller}: triesLeft must be 0..3`);
}

function rsaPrivateKey(pkcs8: Uint8Array, caller: string): KeyObject {
  const key = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  if (key.asymmetricKeyType !== 'rsa') throw new Error(`${caller}: the JPKI card key is RSA`);
  return key;
}

export interface MyNumberCardEmulatorOptions {
  /** The user-authentication certificate (EF 000A). */
  certificateDer: BinaryOrBase64;
  /** Its RSA private key (EF 0017), PKCS#8 DER. */
  privateKeyPkcs8: BinaryOrBase64;
  /** The 4-digit user-authentication PIN (EF 0018). */
  pin: string;
  /** Verifications left before the PIN locks; 0 = already locked. Default 3. */
  triesLeft?: number;
}

export interface MyNumberCardEmulator {
  /** One command APDU in, the response APDU (status word included) out. */
  transmit(apdu: Uint8Array): Promise<Uint8Array>;
  /** A new card session, as after a reconnect: nothing selected, the PIN no longer verified. */
  reset(): void;
  readonly triesLeft: number;
  /** Every command so far: `CLA INS P1 P2` hex, its data (VERIFY's shown as `****`) and `Le=n`, e.g. `00B00004 Le=256`. */
  readonly commands: readonly string[];
}

/** (a) The card in Node: the JPKI AP with EF 000A, 0017 and 0018. */
export function createMyNumberCardEmulator(options: MyNumberCardEmulatorOptions): MyNumberCardEmulator {
  const caller = 'createMyNumberCardEmulator';
  const certificate = toBytes(options.certificateDer, 'certificateDer').slice();
  const triesLeft = options.triesLeft ?? JPKI_PIN_MAX_TRIES;
  checkCardSettings(certificate, options.pin, triesLeft, caller);
  const key = rsaPrivateKey(toBytes(options.privateKeyPkcs8, 'privateKeyPkcs8'), caller);
  const keyBytes = Math.ceil(key.asymmetricKeyDetails!.modulusLength! / 8);
  const core = createJpkiCardCore({ certificate, pin: options.pin, triesLeft, keyBytes }, (data) =>
    new Uint8Array(privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, data)),
  );
  return {
    transmit: async (apdu) => core.transmit(new Uint8Array(apdu)),
    reset: () => core.reset(),
    get triesLeft() {
      return core.triesLeft();
    },
    get commands() {
      return core.commands();
    },
  };
}

export interface SoftwareMyNumberCardOptions {
  /** The user-authentication certificate, bytes or standard base64 DER. */
  certificateDer: BinaryOrBase64;
  /** Its RSA private key, bytes or standard base64 PKCS#8 DER; embedded in the page as a JWK. */
  privateKeyPkcs8: BinaryOrBase64;
  pin: string;
  triesLeft?: number;
  /** `no-card`: SCardConnect fails with SCARD_E_NO_SMARTCARD. */
  behaviour?: 'ok' | 'no-card';
}

/**
 * (b) The card as the web-eid.js 0.0.x extension's content script: answers `{version:{}}`,
 * `SCardConnect` → `{name, atr, protocol:'T1'}`, `SCardTransmit {reader, bytes}` → `{bytes}`,
 * `SCardDisconnect` → `{}`, each with the request's `id`, on the page's own window. Exposes
 * `window.__hpkiSoftwareMyNumberCard` with `triesLeft()` and `commands()` (headers only).
 */
export function softwareMyNumberCardScript(options: SoftwareMyNumberCardOptions): string {
  const caller = 'softwareMyNumberCardScript';
  const certificate = toBytes(options.certificateDer, 'certificateDer');
  const triesLeft = options.triesLeft ?? JPKI_PIN_MAX_TRIES;
  checkCardSettings(certificate, options.pin, triesLeft, caller);
  const key = rsaPrivateKey(toBytes(options.privateKeyPkcs8, 'privateKeyPkcs8'), caller);
  const jwk = key.export({ format: 'jwk' });
  const behaviour = options.behaviour ?? 'ok';
  if (behaviour !== 'ok' && behaviour !== 'no-card') throw new Error(`${caller}: behaviour must be ok or no-card`);
  const config = {
    certificate: Buffer.from(certificate).toString('base64'),
    jwk: { n: jwk.n, e: jwk.e, p: jwk.p, q: jwk.q, dp: jwk.dp, dq: jwk.dq, qi: jwk.qi },
    keyBytes: Math.ceil(key.asymmetricKeyDetails!.modulusLength! / 8),
    pin: options.pin,
    triesLeft,
    behaviour,
    reader: SOFTWARE_MY_NUMBER_CARD_READER,
    atr: Buffer.from(SOFTWARE_MY_NUMBER_CARD_ATR).toString('base64'),
  };
  // JSON is valid JavaScript; `<` is escaped so the script can also sit inside an HTML <script>.
  const configLiteral = JSON.stringify(config).replace(/</g, '\\u003c');
  return `/* HPKI SSO software My Number Card: a TEST/DEMO stand-in for a card behind the Web eID extension. Not a card, not for production. */
(function () {
  'use strict';
  var marker = '__hpkiSoftwareMyNumberCard';
  if (window[marker]) return;
  var config = ${configLiteral};
${JPKI_CARD_CORE_SOURCE}
${RSA_PKCS1_TYPE1_SOURCE}
  function fromBase64(b64) {
    var binary = atob(b64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }
  function toBase64(bytes) {
    var binary = '';
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary);
  }
  var card = createJpkiCardCore(
    { certificate: fromBase64(config.certificate), pin: config.pin, triesLeft: config.triesLeft, keyBytes: config.keyBytes },
    function (data) { return rsaPkcs1Type1Sign(config.jwk, data); }
  );
  var connected = false;
  Object.defineProperty(window, marker, {
    value: Object.freeze({
      reader: config.reader,
      triesLeft: function () { return card.triesLeft(); },
      commands: function () { return card.commands(); }
    })
  });

  function answer(request) {
    if (request.version !== undefined) return { version: 'software-my-number-card' };
    if (request.SCardConnect !== undefined) {
      if (config.behaviour === 'no-card') return { error: 'SCARD_E_NO_SMARTCARD' };
      card.reset();
      connected = true;
      return { name: config.reader, atr: config.atr, protocol: 'T1' };
    }
    if (request.SCardTransmit !== undefined) {
      var t = request.SCardTransmit || {};
      if (!connected || t.reader !== config.reader) return { error: 'SCARD_E_INVALID_HANDLE' };
      if (typeof t.bytes !== 'string') return { error: 'SCARD_E_INVALID_PARAMETER' };
      return { bytes: toBase64(card.transmit(fromBase64(t.bytes))) };
    }
    if (request.SCardDisconnect !== undefined) {
      connected = false;
      card.reset();
      return {};
    }
    return { error: 'not_supported' };
  }

  window.addEventListener('message', function (event) {
    if (event.source !== window) return;
    var request = event.data;
    if (!request || typeof request !== 'object' || request.hwcrypto !== true || typeof request.id !== 'string') return;
    var reply;
    try {
      reply = answer(request);
    } catch (e) {
      reply = { error: 'software_card_failure' };
    }
    reply.id = request.id;
    // Asynchronous like a real reader, so replies never overtake the page's own bookkeeping.
    setTimeout(function () { window.postMessage(reply, '*'); }, 0);
  });
})();
`;
}
