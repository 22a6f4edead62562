import { beforeAll, describe, expect, it } from 'vitest';
import { certificateProfiles, createTrustStore, validateCertificate } from '../../../src/pki/index.ts';
import type { TrustStore } from '../../../src/pki/index.ts';
import { createHpkiTestPki, createJpkiTestPki, JPKI_TEST_CARD_IDS } from '../../../src/pki/test-pki/index.ts';
import type { HpkiTestPki, JpkiTestPki } from '../../../src/pki/test-pki/index.ts';

describe('validateCertificate (jpki-auth)', () => {
  let jpki: JpkiTestPki;
  let hpki: HpkiTestPki;
  let trustStore: TrustStore;
  beforeAll(async () => {
    jpki = await createJpkiTestPki();
    hpki = await createHpkiTestPki({ now: jpki.now });
    trustStore = await createTrustStore(jpki.trustStoreInput);
  });

  const validate = (der: Uint8Array, store = trustStore) => validateCertificate(der, { trustStore: store, profile: 'jpki-auth', now: jpki.now });

  it('is a profile requiring the JPKI user-authentication policy and refusing the JPKI signing arc', () => {
    expect(certificateProfiles['jpki-auth']).toMatchObject({
      id: 'jpki-auth',
      acceptedPolicyArcs: ['1.2.392.200149.8.5.1.3.30'],
      signingPolicyArcs: ['1.2.392.200149.8.5.1.1'],
      revocationScope: 'chain',
    });
  });

  it('accepts a valid card certificate: leaf → J-LIS root, no hcRole, the opaque CN as subject', async () => {
    const result = await validate(jpki.cards.valid.der);
    if (!result.ok) throw new Error(`${result.code}: ${result.detail}`);
    expect(result.chain.map((c) => c.subject)).toEqual([jpki.cards.valid.certificate.subject, jpki.root.certificate.subject]);
    expect(result.hcRoles).toEqual([]);
    expect(result.subject).toMatchObject({ country: 'JP', commonName: JPKI_TEST_CARD_IDS.valid });
    expect(result.issuer).toBe('C=JP, O=JPKI-TEST, OU=JPKI for user authentication, OU=Japan Agency for Local Authority Information Systems');
    expect(result.profile).toBe('jpki-auth');
  });

  it('accepts the second holder’s card with its own subject', async () => {
    const result = await validate(jpki.cards.secondHolder.der);
    expect(result).toMatchObject({ ok: true, subject: { commonName: JPKI_TEST_CARD_IDS.secondHolder } });
  });

  it('refuses the revoked card with certificate_revoked', async () => {
    expect(await validate(jpki.cards.revoked.der)).toMatchObject({ ok: false, code: 'certificate_revoked' });
  });

  it('refuses the expired card with certificate_expired', async () => {
    expect(await validate(jpki.cards.expired.der)).toMatchObject({ ok: false, code: 'certificate_expired' });
  });

  it('refuses a card from a look-alike root (same DN, other key) with certificate_untrusted', async () => {
    expect(jpki.untrustedRoot.certificate.subject).toBe(jpki.root.certificate.subject);
    expect(await validate(jpki.cards.untrustedIssuer.der)).toMatchObject({ ok: false, code: 'certificate_untrusted' });
  });

  it('fails closed without the root CRL', async () => {
    const store = await createTrustStore({ ...jpki.trustStoreInput, crls: [] });
    expect(await validate(jpki.cards.valid.der, store)).toMatchObject({ ok: false, code: 'crl_missing' });
  });

  it('refuses an HPKI authentication certificate with certificate_policy_invalid', async () => {
    const store = await createTrustStore({
      anchors: [...jpki.trustStoreInput.anchors, ...hpki.trustStoreInput.anchors],
      intermediates: hpki.trustStoreInput.intermediates,
      crls: [...jpki.trustStoreInput.crls, ...hpki.trustStoreInput.crls],
    });
    expect(await validate(hpki.practitioners.valid.der, store)).toMatchObject({ ok: false, code: 'certificate_policy_invalid' });
  });

  it('is refused by the hpki-auth profile, even when the J-LIS root is trusted', async () => {
    const result = await validateCertificate(jpki.cards.valid.der, { trustStore, profile: 'hpki-auth', now: jpki.now });
    expect(result).toMatchObject({ ok: false, code: 'certificate_policy_invalid' });
  });

  it('refuses the root certificate itself', async () => {
    expect(await validate(jpki.root.der)).toMatchObject({ ok: false });
  });
});
