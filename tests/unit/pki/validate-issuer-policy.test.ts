import { beforeAll, describe, expect, it } from 'vitest';
import { certificateFingerprint, certificateProfiles, createTrustStore, validateCertificate, validateIssuerPolicy } from '../../../src/pki/index.ts';
import type { TrustStore } from '../../../src/pki/index.ts';
import { createJpkiTestPki, nonConformingTestPki } from '../../../src/pki/test-pki/index.ts';
import type { HpkiTestPki, NonConformingCertificates } from '../../../src/pki/test-pki/index.ts';

/** Issue 13 rule 4: an authentication leaf comes from an authentication CA, not from a signing CA or the root. */
describe('validateIssuerPolicy', () => {
  let pki: HpkiTestPki, nc: NonConformingCertificates, store: TrustStore;
  beforeAll(async () => ({ pki, nc, store } = await nonConformingTestPki()));
  const validate = (der: Uint8Array, trustStore = store) => validateCertificate(der, { trustStore, profile: 'hpki-auth', now: pki.now });

  it('refuses an authentication-policy certificate issued by the signing CA', async () => {
    const result = await validate(nc.certificates.fromSigningCa.der);
    expect(result).toMatchObject({ ok: false, code: 'certificate_issuer_not_authentication_ca' });
    expect(!result.ok && result.detail).toContain('1.2.392.100495.1.5.1.1.3.1');
  });

  it('refuses one issued by a CA whose certificate names no policy', async () => {
    expect(await validate(nc.certificates.fromCaWithoutPolicy.der)).toMatchObject({ ok: false, code: 'certificate_issuer_not_authentication_ca' });
  });

  it('accepts that CA once the installation configures it as an authentication CA (HPKI_AUTHENTICATION_CAS)', async () => {
    const configured = await createTrustStore({ ...nc.trustStoreInput, rules: { authenticationCaFingerprints: [certificateFingerprint(nc.caWithoutPolicy.certificate).toUpperCase()] } });
    expect(await validate(nc.certificates.fromCaWithoutPolicy.der, configured)).toMatchObject({ ok: true });
    // Configuring one CA does not open the signing CA.
    expect(await validate(nc.certificates.fromSigningCa.der, configured)).toMatchObject({ ok: false, code: 'certificate_issuer_not_authentication_ca' });
  });

  it('refuses a certificate issued directly by the root anchor, unless the installation allows it', async () => {
    const result = await validate(nc.certificates.fromRoot.der);
    expect(result).toMatchObject({ ok: false, code: 'certificate_issued_by_anchor' });
    expect(!result.ok && result.detail).toContain('HPKI_ALLOW_LEAF_FROM_ROOT');
    const allowing = await createTrustStore({ ...nc.trustStoreInput, rules: { allowLeafFromAnchor: true } });
    expect(await validate(nc.certificates.fromRoot.der, allowing)).toMatchObject({ ok: true });
    expect(await validateCertificate(nc.certificates.fromRoot.der, { trustStore: store, profile: 'hpki-auth', now: pki.now, rules: { allowLeafFromAnchor: true } })).toMatchObject({ ok: true });
  });

  it('checks an issuing CA configured as the anchor itself by its policies, not as a root', async () => {
    const authCaAsAnchor = await createTrustStore({ anchors: [pki.authCa.der], crls: [pki.authCaCrl.der] });
    expect(await validate(pki.practitioners.valid.der, authCaAsAnchor)).toMatchObject({ ok: true });
    const signCaAsAnchor = await createTrustStore({ anchors: [pki.signCa.der], crls: [pki.signCaCrl.der] });
    expect(await validate(nc.certificates.fromSigningCa.der, signCaAsAnchor)).toMatchObject({ ok: false, code: 'certificate_issuer_not_authentication_ca' });
  });

  it('accepts the test PKI’s authentication CA (policy 1.2.392.100495.1.5.1.2.3.1)', () => {
    expect(() => validateIssuerPolicy([pki.practitioners.valid.certificate, pki.authCa.certificate, pki.root.certificate], certificateProfiles['hpki-auth'])).not.toThrow();
  });

  it('does not apply to the JPKI profile: the J-LIS root issues card certificates itself', async () => {
    const jpki = await createJpkiTestPki();
    const jpkiStore = await createTrustStore(jpki.trustStoreInput);
    expect(await validateCertificate(jpki.cards.valid.der, { trustStore: jpkiStore, profile: 'jpki-auth', now: jpki.now })).toMatchObject({ ok: true });
  });
});
