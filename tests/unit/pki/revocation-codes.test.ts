import { beforeAll, describe, expect, it } from 'vitest';
import { createTrustStore, crlRevocationChecker, ocspRevocationChecker, validateCertificate, validateRevocation } from '../../../src/pki/index.ts';
import type { RevocationChecker, TrustStore, x509 } from '../../../src/pki/index.ts';
import { createHpkiTestPki } from '../../../src/pki/test-pki/index.ts';
import type { HpkiTestPki } from '../../../src/pki/test-pki/index.ts';

const DAY = 86400_000;

/** Issue 13 rule 11: the code people and administrators see is the one of the source that covers the certificate. */
describe('revocation codes that tell the truth', () => {
  let pki: HpkiTestPki;
  let store: TrustStore;
  let withoutAuthCrl: TrustStore;
  let chain: x509.X509Certificate[];
  beforeAll(async () => {
    pki = await createHpkiTestPki({ keyAlgorithm: 'ecdsa-p256' });
    [store, withoutAuthCrl] = await Promise.all([createTrustStore(pki.trustStoreInput), createTrustStore({ ...pki.trustStoreInput, crls: [pki.rootCrl.der, pki.signCaCrl.der] })]);
    chain = [pki.practitioners.valid.certificate, pki.authCa.certificate, pki.root.certificate];
  });
  // The certificate names no OCSP responder: OCSP is not applicable and asks nobody.
  const withOcsp = (trustStore: TrustStore, now = pki.now) =>
    validateCertificate(pki.practitioners.valid.der, { trustStore, profile: 'hpki-auth', now, revocationCheckers: [ocspRevocationChecker(), crlRevocationChecker(trustStore)] });

  it('gives crl_missing, not ocsp_unavailable, when the certificate names no responder and no CRL is loaded', async () => {
    expect(await withOcsp(withoutAuthCrl)).toMatchObject({ ok: false, code: 'crl_missing' });
  });

  it('gives crl_expired when the CRL is past its nextUpdate', async () => {
    expect(await withOcsp(store, new Date(pki.now.getTime() + 8 * DAY))).toMatchObject({ ok: false, code: 'crl_expired' });
  });

  it('gives crl_not_yet_valid for a CRL dated in the future', async () => {
    expect(await withOcsp(store, new Date(pki.now.getTime() - 2 * DAY))).toMatchObject({ ok: false, code: 'crl_not_yet_valid' });
  });

  it('skips a not-applicable checker and keeps the first applicable code', async () => {
    const notApplicable: RevocationChecker = { name: 'ocsp', check: async () => ({ status: 'not-applicable', source: 'ocsp', code: 'ocsp_unavailable', detail: 'no responder' }) };
    const unavailable: RevocationChecker = { name: 'ocsp', check: async () => ({ status: 'unknown', source: 'ocsp', code: 'ocsp_unavailable', detail: 'down' }) };
    const codeOf = (checkers: RevocationChecker[]) =>
      validateRevocation(chain, { checkers, now: pki.now, scope: 'chain' }).then(
        () => undefined,
        (e: { code: string }) => e.code,
      );
    expect(await codeOf([notApplicable, crlRevocationChecker(withoutAuthCrl)])).toBe('crl_missing');
    // A responder the certificate names but that cannot be reached is a true OCSP code.
    expect(await codeOf([unavailable, crlRevocationChecker(withoutAuthCrl)])).toBe('ocsp_unavailable');
    // Nothing applies: fail closed with the not-applicable checker's code.
    expect(await codeOf([notApplicable])).toBe('ocsp_unavailable');
    expect(await codeOf([notApplicable, crlRevocationChecker(store)])).toBeUndefined();
  });
});
