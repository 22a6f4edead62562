import { beforeAll, describe, expect, it } from 'vitest';
import { CrlIndex, validateCertificate, validateCertificateChain, validateSignatureAlgorithms, certificateProfiles } from '../../../src/pki/index.ts';
import type { TrustStore } from '../../../src/pki/index.ts';
import { nonConformingTestPki } from '../../../src/pki/test-pki/index.ts';
import type { HpkiTestPki, NonConformingCertificates } from '../../../src/pki/test-pki/index.ts';
import { craftCrl } from './craft-crl.ts';

const DAY = 86400_000;

/** Issue 13 rule 3 (RFC 5280 §4.1.1.2, §5.1.1.2): the algorithm inside the signed part equals the outer one. */
describe('validateSignatureAlgorithms', () => {
  let pki: HpkiTestPki, nc: NonConformingCertificates, store: TrustStore;
  beforeAll(async () => ({ pki, nc, store } = await nonConformingTestPki()));

  it('refuses a certificate whose tbsCertificate names another algorithm than the outer one, though the signature verifies', async () => {
    const mismatch = nc.certificates.signatureAlgorithmMismatch;
    // The signature is a real SHA-384 one over the edited tbsCertificate: the chain step alone accepts it.
    const chain = await validateCertificateChain(mismatch.certificate, store, certificateProfiles['hpki-auth'], pki.now);
    expect(chain).toHaveLength(3);
    const result = await validateCertificate(mismatch.der, { trustStore: store, profile: 'hpki-auth', now: pki.now });
    expect(result).toMatchObject({ ok: false, code: 'certificate_signature_algorithm_mismatch' });
    expect(() => validateSignatureAlgorithms(mismatch.certificate)).toThrow(expect.objectContaining({ code: 'certificate_signature_algorithm_mismatch' }));
  });

  it('accepts the generator’s certificates, RSA and ECDSA', () => {
    for (const c of [pki.practitioners.valid, pki.practitioners.validEcdsa, pki.authCa, pki.root]) expect(() => validateSignatureAlgorithms(c.certificate)).not.toThrow();
  });

  it('refuses a CRL whose tbsCertList names another algorithm than the outer one, though its signature verifies', async () => {
    const thisUpdate = new Date(pki.now.getTime() - DAY);
    const nextUpdate = new Date(pki.now.getTime() + DAY);
    const matching = craftCrl({ issuer: pki.authCa, thisUpdate, nextUpdate });
    expect((await CrlIndex.load(matching, pki.authCa.certificate)).size).toBe(0);
    const mismatch = craftCrl({ issuer: pki.authCa, thisUpdate, nextUpdate, innerAlgorithm: 'sha256WithRSAEncryption', outerAlgorithm: 'sha384WithRSAEncryption' });
    await expect(CrlIndex.load(mismatch, pki.authCa.certificate)).rejects.toMatchObject({ code: 'crl_invalid', detail: expect.stringContaining('tbsCertList') });
    await expect(CrlIndex.load(mismatch, pki.authCa.certificate, { offThread: true })).rejects.toMatchObject({ code: 'crl_invalid' });
  });
});
