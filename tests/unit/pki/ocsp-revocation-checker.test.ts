import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as asn1Ocsp from '@peculiar/asn1-ocsp';
import { OctetString } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { createTrustStore, crlRevocationChecker, validateCertificate } from '../../../src/pki/index.ts';
import type { RevocationStatus, TrustStore } from '../../../src/pki/index.ts';
import { ocspRevocationChecker, ocspResponderUrls } from '../../../src/pki/revocation/ocsp-revocation-checker.ts';
import type { OcspRevocationCheckerOptions } from '../../../src/pki/revocation/ocsp-revocation-checker.ts';
import { createHpkiTestPki, generateKeys, issueCrl, issuePractitionerCertificate } from '../../../src/pki/test-pki/index.ts';
import { createOutboundFetch } from '../../../src/net/outbound-fetch.ts';
import type { HpkiTestPki, IssuedCertificate } from '../../../src/pki/test-pki/index.ts';
import {
  issueOcspResponderCertificate,
  ocspResponderHandler,
  parseOcspRequest,
  requestNonce,
  startOcspHttpServer,
} from '../../../src/pki/test-pki/ocsp-responder.ts';
import type { OcspHttpHandler, OcspHttpServer, OcspResponseOptions } from '../../../src/pki/test-pki/ocsp-responder.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

describe('ocspRevocationChecker', () => {
  let pki: HpkiTestPki;
  let server: OcspHttpServer;
  /** What the responder does for the current test; reset before each test. */
  let handler: OcspHttpHandler;
  let responder: Partial<OcspResponseOptions>;
  /** Practitioner certificates naming the test server in Authority Information Access. */
  let leaf: IssuedCertificate;
  let revokedLeaf: IssuedCertificate;
  let delegated: IssuedCertificate;
  let delegatedRsa: IssuedCertificate;
  let delegatedWithoutEku: IssuedCertificate;
  let delegatedExpired: IssuedCertificate;
  let foreignResponder: IssuedCertificate;
  let unrelatedKeys: CryptoKeyPair;

  beforeAll(async () => {
    pki = await createHpkiTestPki({ keyAlgorithm: 'ecdsa-p256' });
    server = await startOcspHttpServer((request) => handler(request));
    const current = { notBefore: new Date(pki.now.getTime() - 30 * DAY), notAfter: new Date(pki.now.getTime() + 365 * DAY) };
    [leaf, revokedLeaf, delegated, delegatedRsa, delegatedWithoutEku, delegatedExpired, foreignResponder, unrelatedKeys] = await Promise.all([
      issuePractitionerCertificate({ issuer: pki.authCa, kind: 'authentication', hcRoles: [{ role: 'Medical Doctor' }], ocspUrl: server.url, ...current }),
      issuePractitionerCertificate({ issuer: pki.authCa, kind: 'authentication', hcRoles: [{ role: 'Medical Doctor' }], ocspUrl: server.url, ...current }),
      issueOcspResponderCertificate({ issuer: pki.authCa, now: pki.now }),
      issueOcspResponderCertificate({ issuer: pki.authCa, now: pki.now, keyAlgorithm: 'rsa-2048' }),
      issueOcspResponderCertificate({ issuer: pki.authCa, now: pki.now, ocspSigning: false }),
      issueOcspResponderCertificate({ issuer: pki.authCa, now: pki.now, notBefore: new Date(pki.now.getTime() - 60 * DAY), notAfter: new Date(pki.now.getTime() - DAY) }),
      issueOcspResponderCertificate({ issuer: pki.untrusted.authCa, now: pki.now }),
      generateKeys('ecdsa-p256'),
    ]);
  });
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(() => {
    responder = {};
    handler = ocspResponderHandler(() => ({
      issuer: pki.authCa,
      now: pki.now,
      answer: (serial) =>
        serial === revokedLeaf.certificate.serialNumber.toLowerCase()
          ? { status: 'revoked', revokedAt: new Date(pki.now.getTime() - DAY), reason: asn1X509.CRLReasons.keyCompromise }
          : { status: 'good' },
      ...responder,
    }));
  });

  // The test responder is on this machine (localhost): allowed here as PRIVATE_FETCH_HOSTS would allow a LAN responder.
  const allowLoopback = createOutboundFetch({ allowHosts: ['localhost'], proxy: {} });
  afterAll(() => allowLoopback.close());
  const check = (options: OcspRevocationCheckerOptions = {}, certificate = leaf.certificate, issuer = pki.authCa.certificate, now = pki.now): Promise<RevocationStatus> =>
    ocspRevocationChecker({ fetch: allowLoopback, ...options }).check(certificate, issuer, now);

  it('reads the responder URL from Authority Information Access', () => {
    expect(ocspResponderUrls(leaf.certificate)).toEqual([server.url]);
    expect(ocspResponderUrls(pki.practitioners.valid.certificate)).toEqual([]);
  });

  it('answers good, sending a SHA-256 CertID and a 32-byte nonce by POST', async () => {
    const before = server.requests.length;
    expect(await check()).toEqual({ status: 'good', source: 'ocsp' });
    const [sent] = server.requests.slice(before);
    expect(sent).toMatchObject({ method: 'POST', contentType: 'application/ocsp-request' });
    const request = parseOcspRequest(sent!.body);
    expect(request.tbsRequest.requestList).toHaveLength(1);
    const certId = request.tbsRequest.requestList[0]!.reqCert;
    expect(certId.hashAlgorithm.algorithm).toBe('2.16.840.1.101.3.4.2.1');
    expect(certId.issuerNameHash.byteLength).toBe(32);
    expect(Buffer.from(certId.serialNumber).toString('hex').replace(/^00/, '')).toBe(leaf.certificate.serialNumber.toLowerCase().replace(/^00/, ''));
    expect(requestNonce(request)).toHaveLength(32);
  });

  it('sends a fresh nonce on every request', async () => {
    const before = server.requests.length;
    await check();
    await check();
    const nonces = server.requests.slice(before).map((r) => Buffer.from(requestNonce(parseOcspRequest(r.body))!).toString('hex'));
    expect(nonces).toHaveLength(2);
    expect(nonces[0]).not.toBe(nonces[1]);
  });

  it('answers revoked with time and reason', async () => {
    const status = await check({}, revokedLeaf.certificate);
    expect(status).toMatchObject({ status: 'revoked', source: 'ocsp', reason: asn1X509.CRLReasons.keyCompromise });
    expect(status.status === 'revoked' && status.revokedAt.getTime()).toBe(Math.floor((pki.now.getTime() - DAY) / 1000) * 1000);
  });

  it('passes on certStatus unknown as ocsp_unknown_certificate', async () => {
    responder = { answer: { status: 'unknown' } };
    expect(await check()).toMatchObject({ status: 'unknown', code: 'ocsp_unknown_certificate' });
  });

  it('accepts an answer signed by the issuing CA, named by key hash too', async () => {
    responder = { signer: pki.authCa, responderId: { by: 'key' } };
    expect(await check()).toMatchObject({ status: 'good' });
  });

  it('accepts an answer signed by a delegated responder certificate with id-kp-OCSPSigning', async () => {
    responder = { signer: delegated };
    expect(await check()).toMatchObject({ status: 'good' });
    responder = { signer: delegated, responderId: { by: 'key' } };
    expect(await check({}, revokedLeaf.certificate)).toMatchObject({ status: 'revoked' });
    responder = { signer: delegatedRsa };
    expect(await check()).toMatchObject({ status: 'good' });
  });

  it('refuses a delegated responder certificate without id-kp-OCSPSigning', async () => {
    responder = { signer: delegatedWithoutEku };
    const status = await check();
    expect(status).toMatchObject({ status: 'unknown', code: 'ocsp_invalid' });
    expect(status.status === 'unknown' && status.detail).toContain('id-kp-OCSPSigning');
  });

  it('refuses a delegated responder certificate that has expired', async () => {
    responder = { signer: delegatedExpired };
    expect(await check()).toMatchObject({ status: 'unknown', code: 'ocsp_invalid' });
  });

  it('refuses a responder certificate issued by another CA (same names, other keys)', async () => {
    responder = { signer: foreignResponder };
    const status = await check();
    expect(status).toMatchObject({ status: 'unknown', code: 'ocsp_invalid' });
    expect(status.status === 'unknown' && status.detail).toContain('not signed by the issuing CA');
  });

  it('refuses an answer signed by an unrelated key claiming to be the CA, even a revoked one', async () => {
    responder = { signer: { keys: unrelatedKeys } };
    expect(await check()).toMatchObject({ status: 'unknown', code: 'ocsp_invalid' });
    expect(await check({}, revokedLeaf.certificate)).toMatchObject({ status: 'unknown', code: 'ocsp_invalid' });
  });

  it('refuses an answer signed by an impostor CA with the same name but another key', async () => {
    responder = { signer: pki.untrusted.authCa };
    const status = await check();
    expect(status).toMatchObject({ status: 'unknown', code: 'ocsp_invalid' });
    expect(status.status === 'unknown' && status.detail).toContain('does not verify with the CA key');
  });

  it('refuses an answer that echoes no nonce', async () => {
    responder = { nonce: 'omit' };
    const status = await check();
    expect(status).toMatchObject({ status: 'unknown', code: 'ocsp_invalid' });
    expect(status.status === 'unknown' && status.detail).toContain('does not echo');
  });

  it('refuses an answer with a wrong nonce', async () => {
    responder = { nonce: 'alter' };
    expect(await check()).toMatchObject({ status: 'unknown', code: 'ocsp_invalid' });
    responder = { nonce: new Uint8Array(32) };
    expect(await check()).toMatchObject({ status: 'unknown', code: 'ocsp_invalid' });
  });

  it('accepts an answer without nonce when useNonce is false', async () => {
    responder = { nonce: 'omit' };
    const before = server.requests.length;
    expect(await check({ useNonce: false })).toMatchObject({ status: 'good' });
    expect(requestNonce(parseOcspRequest(server.requests[before]!.body))).toBeUndefined();
  });

  it('refuses a stale thisUpdate (default 15 minutes, configurable)', async () => {
    responder = { thisUpdate: new Date(pki.now.getTime() - 16 * MINUTE) };
    expect(await check()).toMatchObject({ status: 'unknown', code: 'ocsp_invalid' });
    responder = { thisUpdate: new Date(pki.now.getTime() - 10 * MINUTE) };
    expect(await check()).toMatchObject({ status: 'good' });
    expect(await check({ maxAgeMs: 2 * MINUTE })).toMatchObject({ status: 'unknown', code: 'ocsp_invalid' });
  });

  it('still refuses a revoked certificate on a stale answer', async () => {
    responder = { thisUpdate: new Date(pki.now.getTime() - 2 * DAY), nextUpdate: new Date(pki.now.getTime() - DAY), nonce: 'omit' };
    expect(await check({}, revokedLeaf.certificate)).toMatchObject({ status: 'revoked' });
  });

  it('refuses a thisUpdate in the future beyond the allowed skew', async () => {
    responder = { thisUpdate: new Date(pki.now.getTime() + 16 * MINUTE) };
    expect(await check()).toMatchObject({ status: 'unknown', code: 'ocsp_invalid' });
    responder = { thisUpdate: new Date(pki.now.getTime() + 5 * MINUTE) };
    expect(await check()).toMatchObject({ status: 'good' });
  });

  it('refuses a nextUpdate that has passed', async () => {
    responder = { thisUpdate: new Date(pki.now.getTime() - 5 * MINUTE), nextUpdate: new Date(pki.now.getTime() - 20 * MINUTE) };
    expect(await check()).toMatchObject({ status: 'unknown', code: 'ocsp_invalid' });
    responder = { nextUpdate: null };
    expect(await check()).toMatchObject({ status: 'good' });
  });

  it('limits the nextUpdate grace to 5 minutes, separately from the 15-minute clock skew', async () => {
    // Within the 15-minute skew but past the 5-minute staleness limit: stale (the old code accepted it).
    responder = { thisUpdate: new Date(pki.now.getTime() - 12 * MINUTE), nextUpdate: new Date(pki.now.getTime() - 6 * MINUTE) };
    const status = await check();
    expect(status).toMatchObject({ status: 'unknown', code: 'ocsp_invalid' });
    expect(status.status === 'unknown' && status.detail).toContain('nextUpdate');
    responder = { thisUpdate: new Date(pki.now.getTime() - 12 * MINUTE), nextUpdate: new Date(pki.now.getTime() - 4 * MINUTE) };
    expect(await check()).toMatchObject({ status: 'good' });
    expect(await check({ nextUpdateGraceMs: 0 })).toMatchObject({ status: 'unknown', code: 'ocsp_invalid' });
    // A skew setting does not widen it, and more than 5 minutes cannot be configured.
    expect(await check({ maxSkewMs: 60 * MINUTE }, leaf.certificate)).toMatchObject({ status: 'good' });
    responder = { thisUpdate: new Date(pki.now.getTime() - 12 * MINUTE), nextUpdate: new Date(pki.now.getTime() - 6 * MINUTE) };
    expect(await check({ maxSkewMs: 60 * MINUTE })).toMatchObject({ status: 'unknown', code: 'ocsp_invalid' });
    expect(() => ocspRevocationChecker({ nextUpdateGraceMs: 6 * MINUTE })).toThrow(RangeError);
  });

  it('asks through the outbound fetch: a loopback responder is refused unless its host is allowed', async () => {
    const before = server.requests.length;
    const strict = createOutboundFetch({ proxy: {} });
    try {
      const status = await ocspRevocationChecker({ fetch: strict }).check(leaf.certificate, pki.authCa.certificate, pki.now);
      expect(status).toMatchObject({ status: 'unknown', code: 'ocsp_unavailable' });
      expect(status.status === 'unknown' && status.detail).toContain('private or special-use');
      // The default (no fetch given) is the same strict outbound fetch.
      expect(await ocspRevocationChecker().check(leaf.certificate, pki.authCa.certificate, pki.now)).toMatchObject({ status: 'unknown', code: 'ocsp_unavailable' });
      expect(server.requests.length).toBe(before);
    } finally {
      await strict.close();
    }
  });

  it.each(['serialNumber', 'issuerNameHash', 'issuerKeyHash'] as const)('refuses an answer whose CertID differs in %s', async (field) => {
    responder = { alterCertId: field };
    const status = await check({}, revokedLeaf.certificate);
    expect(status).toMatchObject({ status: 'unknown', code: 'ocsp_invalid' });
    expect(status.status === 'unknown' && status.detail).toContain('no answer for serial');
  });

  it('refuses an answer with an unknown critical extension', async () => {
    responder = { responseExtensions: [new asn1X509.Extension({ extnID: '1.2.3.4', critical: true, extnValue: new OctetString(new Uint8Array([5, 0])) })] };
    expect(await check()).toMatchObject({ status: 'unknown', code: 'ocsp_invalid' });
  });

  it('passes on a responseStatus other than successful as ocsp_unavailable', async () => {
    responder = { responseStatus: asn1Ocsp.OCSPResponseStatus.tryLater };
    expect(await check()).toMatchObject({ status: 'unknown', code: 'ocsp_unavailable' });
  });

  it('passes on HTTP 500 as ocsp_unavailable', async () => {
    handler = () => ({ status: 500, body: 'internal error', contentType: 'text/plain' });
    const status = await check();
    expect(status).toMatchObject({ status: 'unknown', code: 'ocsp_unavailable' });
    expect(status.status === 'unknown' && status.detail).toContain('HTTP 500');
  });

  it('gives up after timeoutMs on a responder that never answers', async () => {
    handler = () => 'hang';
    const started = Date.now();
    const status = await check({ timeoutMs: 200 });
    expect(status).toMatchObject({ status: 'unknown', code: 'ocsp_unavailable' });
    expect(status.status === 'unknown' && status.detail).toContain('within 200 ms');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('passes on a garbage body as ocsp_invalid', async () => {
    handler = () => ({ body: 'this is not DER at all' });
    expect(await check()).toMatchObject({ status: 'unknown', code: 'ocsp_invalid' });
    handler = () => ({ body: new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x00]) });
    expect(await check()).toMatchObject({ status: 'unknown', code: 'ocsp_invalid' });
  });

  it('refuses a body larger than the limit', async () => {
    handler = () => ({ body: new Uint8Array(70 * 1024) });
    expect(await check()).toMatchObject({ status: 'unknown', code: 'ocsp_unavailable' });
  });

  it('passes on a network error as ocsp_unavailable', async () => {
    const failing: typeof fetch = async () => Promise.reject(new TypeError('fetch failed'));
    expect(await check({ fetch: failing })).toMatchObject({ status: 'unknown', code: 'ocsp_unavailable' });
  });

  it('is not applicable to a certificate without an OCSP URL, without asking anyone', async () => {
    const before = server.requests.length;
    const status = await check({}, pki.practitioners.valid.certificate);
    expect(status).toMatchObject({ status: 'not-applicable', source: 'ocsp' });
    expect(server.requests.length).toBe(before);
  });

  it('asks responderUrlOverride instead of the certificate', async () => {
    expect(await check({ responderUrlOverride: server.url }, pki.practitioners.valid.certificate)).toMatchObject({ status: 'good' });
    expect(await check({ responderUrlOverride: 'ftp://example.invalid/ocsp' })).toMatchObject({ status: 'unknown', code: 'ocsp_unavailable' });
  });

  it('ignores non-http OCSP URLs in Authority Information Access', async () => {
    const ldapOnly = await issuePractitionerCertificate({
      issuer: pki.authCa,
      kind: 'authentication',
      notBefore: leaf.certificate.notBefore,
      notAfter: leaf.certificate.notAfter,
      ocspUrl: 'ldap://hpki-test.invalid/ocsp',
    });
    expect(ocspResponderUrls(ldapOnly.certificate)).toEqual([]);
    expect(await check({}, ldapOnly.certificate)).toMatchObject({ status: 'not-applicable' });
  });

  describe('through validateCertificate with [ocsp, crl]', () => {
    let fullStore: TrustStore;
    let storeWithoutAuthCrl: TrustStore;
    let storeRevokingLeaf: TrustStore;
    beforeAll(async () => {
      const crlRevokingLeaf = await issueCrl({
        issuer: pki.authCa,
        thisUpdate: new Date(pki.now.getTime() - DAY),
        nextUpdate: new Date(pki.now.getTime() + 7 * DAY),
        revoked: [leaf.certificate.serialNumber],
      });
      [fullStore, storeWithoutAuthCrl, storeRevokingLeaf] = await Promise.all([
        createTrustStore(pki.trustStoreInput),
        createTrustStore({ ...pki.trustStoreInput, crls: [pki.rootCrl.der, pki.signCaCrl.der] }),
        createTrustStore({ ...pki.trustStoreInput, crls: [pki.rootCrl.der, crlRevokingLeaf.der] }),
      ]);
    });
    const validate = (certificate: IssuedCertificate, trustStore: TrustStore, options: OcspRevocationCheckerOptions = {}) =>
      validateCertificate(certificate.der, {
        trustStore,
        profile: 'hpki-auth',
        now: pki.now,
        revocationCheckers: [ocspRevocationChecker({ timeoutMs: 1000, fetch: allowLoopback, ...options }), crlRevocationChecker(trustStore)],
      });

    it('lets an OCSP good answer decide when the CRL cannot (CA certificate checked by CRL)', async () => {
      const result = await validate(leaf, storeWithoutAuthCrl);
      expect(result).toMatchObject({ ok: true });
      // Without OCSP the same store fails closed.
      expect(await validateCertificate(leaf.der, { trustStore: storeWithoutAuthCrl, profile: 'hpki-auth', now: pki.now })).toMatchObject({
        ok: false,
        code: 'crl_missing',
      });
    });

    it('refuses a certificate OCSP says is revoked, even if the CRL does not list it', async () => {
      expect(await validate(revokedLeaf, fullStore)).toMatchObject({ ok: false, code: 'certificate_revoked' });
    });

    it('falls back to the CRL when OCSP is unavailable', async () => {
      handler = () => ({ status: 500 });
      expect(await validate(leaf, fullStore)).toMatchObject({ ok: true });
      expect(await validate(leaf, storeRevokingLeaf)).toMatchObject({ ok: false, code: 'certificate_revoked' });
    });

    it('falls back to the CRL when the OCSP answer is invalid or the certificate has no OCSP URL', async () => {
      responder = { signer: { keys: unrelatedKeys } };
      expect(await validate(leaf, fullStore)).toMatchObject({ ok: true });
      expect(await validate(pki.practitioners.valid, fullStore)).toMatchObject({ ok: true });
      expect(await validate(pki.practitioners.revoked, fullStore)).toMatchObject({ ok: false, code: 'certificate_revoked' });
    });

    it('shows the CRL code, not an OCSP one, for a certificate that names no responder', async () => {
      const expired = new Date(pki.now.getTime() + 8 * DAY);
      const later = (c: IssuedCertificate, store: TrustStore) =>
        validateCertificate(c.der, { trustStore: store, profile: 'hpki-auth', now: expired, revocationCheckers: [ocspRevocationChecker({ fetch: allowLoopback }), crlRevocationChecker(store)] });
      // No OCSP URL in the certificate: what the CRL says decides the code.
      expect(await validate(pki.practitioners.valid, storeWithoutAuthCrl)).toMatchObject({ ok: false, code: 'crl_missing' });
      expect(await later(pki.practitioners.valid, fullStore)).toMatchObject({ ok: false, code: 'crl_expired' });
    });

    it('fails closed with the OCSP code when neither source answers', async () => {
      handler = () => 'hang';
      expect(await validate(leaf, storeWithoutAuthCrl, { timeoutMs: 150 })).toMatchObject({ ok: false, code: 'ocsp_unavailable' });
      responder = { nonce: 'omit' };
      handler = ocspResponderHandler(() => ({ issuer: pki.authCa, now: pki.now, answer: { status: 'good' }, ...responder }));
      expect(await validate(leaf, storeWithoutAuthCrl)).toMatchObject({ ok: false, code: 'ocsp_invalid' });
    });
  });
});
