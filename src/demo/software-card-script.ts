/**
 * TEST AND DEMO STAND-IN — NEVER FOR PRODUCTION. A "software card": browser JavaScript that
 * pretends to be the Web eID extension's content script, with the private key embedded in the
 * page. It proves nothing about a card or a PIN. Used as a Playwright init script (the test
 * extension) and, in demo mode only, served as a clearly labelled software card.
 *
 * Protocol (web-eid.js 0.0.x, research/protocol-facts.md §C4): the page posts
 * `{id, hwcrypto: true, version: {}}` or `{id, hwcrypto: true, authenticate: {nonce}}` to its own
 * window; the content script answers on the window with `{id, version}`, `{id, token}` or
 * `{id, error}` and no `hwcrypto` field.
 */
export interface SoftwareCardOptions {
  /** The card's authentication certificate, standard base64 DER. */
  certificateDer: string;
  /** Its private key, standard base64 PKCS#8 DER. */
  privateKeyPkcs8: string;
  /** RSA → RSASSA-PKCS1-v1_5 SHA-256 (RS256); EC → ECDSA P-256 SHA-256 (ES256). */
  keyAlgorithm: 'RSA' | 'EC';
  /** `jws`: the legacy "OpenID X509 ID Token"; `web-eid:1`: the current Web eID JSON token. */
  format: 'jws' | 'web-eid:1';
  /** The portal origin the token is bound to, e.g. `http://localhost:4230` (no trailing slash). */
  origin: string;
  /** `cancel`: the PIN dialog was cancelled; `no-card`: no card in the reader. */
  behaviour?: 'ok' | 'cancel' | 'no-card';
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function softwareCardScript(options: SoftwareCardOptions): string {
  if (!BASE64.test(options.certificateDer)) throw new Error('softwareCardScript: certificateDer must be standard base64');
  if (!BASE64.test(options.privateKeyPkcs8)) throw new Error('softwareCardScript: privateKeyPkcs8 must be standard base64');
  if (options.keyAlgorithm !== 'RSA' && options.keyAlgorithm !== 'EC') throw new Error('softwareCardScript: keyAlgorithm must be RSA or EC');
  if (options.format !== 'jws' && options.format !== 'web-eid:1') throw new Error('softwareCardScript: format must be jws or web-eid:1');
  const origin = new URL(options.origin).origin;
  const config = {
    certificate: options.certificateDer,
    privateKey: options.privateKeyPkcs8,
    keyAlgorithm: options.keyAlgorithm,
    format: options.format,
    origin,
    behaviour: options.behaviour ?? 'ok',
  };
  // JSON is valid JavaScript; `<` is escaped so the script can also sit inside an HTML <script>.
  const configLiteral = JSON.stringify(config).replace(/</g, '\\u003c');
  return `/* HPKI SSO software card: a TEST/DEMO stand-in for the Web eID extension. Not a card, not for production. */
(function () {
  'use strict';
  var config = ${configLiteral};
  var marker = '__hpkiSoftwareCard';
  if (window[marker]) return;
  Object.defineProperty(window, marker, { value: { format: config.format, keyAlgorithm: config.keyAlgorithm } });

  var ec = config.keyAlgorithm === 'EC';
  var alg = ec ? 'ES256' : 'RS256';
  var importParams = ec ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  var signParams = ec ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5' };

  function fromBase64(b64) {
    var binary = atob(b64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }
  function toBase64(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = '';
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary);
  }
  function toBase64Url(buffer) {
    return toBase64(buffer).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  }
  function utf8(text) {
    return new TextEncoder().encode(text);
  }
  function sha256(bytes) {
    return crypto.subtle.digest('SHA-256', bytes);
  }

  var keyPromise;
  function privateKey() {
    keyPromise = keyPromise || crypto.subtle.importKey('pkcs8', fromBase64(config.privateKey), importParams, false, ['sign']);
    return keyPromise;
  }
  function sign(bytes) {
    // WebCrypto ECDSA already returns raw R||S, which both token formats want.
    return privateKey().then(function (key) { return crypto.subtle.sign(signParams, key, bytes); });
  }

  // Legacy "OpenID X509 ID Token" (web-eid.js 0.0.x authenticate result).
  function jwsToken(nonce) {
    return sha256(fromBase64(config.certificate)).then(function (thumbprint) {
      var iat = Math.floor(Date.now() / 1000);
      var header = { typ: 'JWT', alg: alg, x5c: [config.certificate] };
      var payload = {
        iss: 'https://self-issued.me',
        sub: toBase64Url(thumbprint),
        aud: config.origin,
        nonce: nonce,
        iat: iat,
        exp: iat + 300,
        cnf: { tbh: '' }
      };
      var signingInput = toBase64Url(utf8(JSON.stringify(header))) + '.' + toBase64Url(utf8(JSON.stringify(payload)));
      return sign(utf8(signingInput)).then(function (signature) {
        return signingInput + '.' + toBase64Url(signature);
      });
    });
  }

  // Current Web eID token: the card signs H(H(origin) || H(nonce)); WebCrypto applies the outer hash.
  function webEidToken(nonce) {
    return Promise.all([sha256(utf8(config.origin)), sha256(utf8(nonce))]).then(function (hashes) {
      var signed = new Uint8Array(64);
      signed.set(new Uint8Array(hashes[0]), 0);
      signed.set(new Uint8Array(hashes[1]), 32);
      return sign(signed).then(function (signature) {
        return {
          format: 'web-eid:1.0',
          unverifiedCertificate: config.certificate,
          algorithm: alg,
          signature: toBase64(signature),
          appVersion: 'https://web-eid.eu/web-eid-app/releases/2.5.0'
        };
      });
    });
  }

  function answer(request) {
    if (request.version !== undefined) return Promise.resolve({ version: 'software-card' });
    if (request.authenticate !== undefined) {
      if (config.behaviour === 'cancel') return Promise.resolve({ error: 'CKR_FUNCTION_CANCELED' });
      if (config.behaviour === 'no-card') return Promise.resolve({ error: 'SCARD_E_NO_SMARTCARD' });
      // It is an HPKI card: a page asking the card bridge for the My Number Card gets what the bridge says.
      if (request.authenticate && request.authenticate.card === 'jpki') return Promise.resolve({ error: 'wrong_card_type' });
      var nonce = request.authenticate && request.authenticate.nonce;
      if (typeof nonce !== 'string' || nonce.length === 0) return Promise.resolve({ error: 'invalid_argument' });
      if (!window.crypto || !crypto.subtle) return Promise.resolve({ error: 'software_card_needs_secure_context' });
      var token = config.format === 'jws' ? jwsToken(nonce) : webEidToken(nonce);
      return token.then(function (t) { return { token: t }; });
    }
    return Promise.resolve({ error: 'not_supported' });
  }

  // PC/SC pass-through (My Number Card) belongs to another card: stay silent so it can answer.
  function isPassThrough(request) {
    return ['SCardConnect', 'SCardTransmit', 'SCardDisconnect', 'SCardReconnect', 'SCardControl'].some(function (k) { return request[k] !== undefined; });
  }

  window.addEventListener('message', function (event) {
    if (event.source !== window) return;
    var request = event.data;
    if (!request || typeof request !== 'object' || request.hwcrypto !== true || typeof request.id !== 'string') return;
    if (isPassThrough(request)) return;
    answer(request)
      .catch(function () { return { error: 'software_card_failure' }; })
      .then(function (reply) {
        reply.id = request.id;
        window.postMessage(reply, '*');
      });
  });
})();
`;
}
