import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTrustStore, validateCertificate } from '../../../src/pki/index.ts';
import type { PkiErrorCode, TrustStore } from '../../../src/pki/index.ts';
import { createHpkiTestPki } from '../../../src/pki/test-pki/index.ts';
import type { HpkiTestPki, PractitionerVariant } from '../../../src/pki/test-pki/index.ts';

describe('validateCertificate (hpki-auth)', () => {
  let pki: HpkiTestPki;
  let trustStore: TrustStore;
  beforeAll(async () => {
    pki = await createHpkiTestPki();
    trustStore = await createTrustStore(pki.trustStoreInput);
  });

  const validate = (der: Uint8Array | ArrayBuffer) => validateCertificate(der, { trustStore, profile: 'hpki-auth', now: pki.now });

  it('accepts a valid RSA-2048 practitioner certificate and describes it', async () => {
    const result = await validate(pki.practitioners.valid.der);
    if (!result.ok) throw new Error(`${result.code}: ${result.detail}`);
    expect(result.chain.map((c) => c.subject)).toEqual([
      pki.practitioners.valid.certificate.subject,
      pki.authCa.certificate.subject,
      pki.root.certificate.subject,
    ]);
    expect(result.hcRoles).toEqual([
      { role: 'Medical Doctor', codingScheme: '1.2.392.100495.1.6.1.1', displayJa: '医師', displayEn: 'Medical Doctor', known: true, confirmed: true },
    ]);
    expect(result.subject).toMatchObject({
      country: 'JP',
      organization: 'HPKI TEST UNIVERSITY HOSPITAL',
      commonName: 'Taro Iryo',
      serialNumber: 'Test000001',
      kanji: { organization: 'HPKIテスト大学病院', commonName: '医療\u3000太郎', familyName: '医療', givenName: '太郎', serialNumber: 'Test000001' },
    });
    expect(result.issuer).toBe(pki.authCa.certificate.subject);
    expect(result.serialNumber).toMatch(/^[0-9a-f]+$/);
    expect(result.notBefore).toEqual(pki.practitioners.valid.certificate.notBefore);
    expect(result.notAfter).toEqual(pki.practitioners.valid.certificate.notAfter);
    expect(result.profile).toBe('hpki-auth');
  });

  it('accepts an ECDSA P-256 practitioner certificate', async () => {
    expect(await validate(pki.practitioners.validEcdsa.der)).toMatchObject({ ok: true });
  });

  it('accepts a certificate without hcRole with an empty hcRoles list', async () => {
    expect(await validate(pki.practitioners.noHcRole.der)).toMatchObject({ ok: true, hcRoles: [] });
  });

  it('returns both hcRoles', async () => {
    const result = await validate(pki.practitioners.twoHcRoles.der);
    expect(result.ok && result.hcRoles.map((r) => r.role).sort()).toEqual(['Director of Hospital', 'Medical Doctor']);
  });

  const refused: Array<[PractitionerVariant, PkiErrorCode]> = [
    ['expired', 'certificate_expired'],
    ['notYetValid', 'certificate_not_yet_valid'],
    ['revoked', 'certificate_revoked'],
    ['untrustedIssuer', 'certificate_untrusted'],
    ['selfSigned', 'certificate_untrusted'],
    ['signing', 'certificate_signing_not_allowed'],
    ['malformedHcRole', 'hcrole_malformed'],
  ];
  it.each(refused)('refuses the %s certificate with %s', async (variant, code) => {
    const result = await validate(pki.practitioners[variant].der);
    expect(result).toMatchObject({ ok: false, code });
    expect(result.ok || result.detail.length > 0).toBe(true);
  });

  it('takes the validation time from options.now', async () => {
    const later = new Date(pki.practitioners.valid.certificate.notAfter.getTime() + 1000);
    expect(await validateCertificate(pki.practitioners.valid.der, { trustStore, profile: 'hpki-auth', now: later })).toMatchObject({
      ok: false,
      code: 'certificate_expired',
    });
  });

  it('fails closed when the issuing CA has no CRL', async () => {
    const store = await createTrustStore({ ...pki.trustStoreInput, crls: [pki.rootCrl.der, pki.signCaCrl.der] });
    expect(await validateCertificate(pki.practitioners.valid.der, { trustStore: store, profile: 'hpki-auth', now: pki.now })).toMatchObject({
      ok: false,
      code: 'crl_missing',
    });
  });

  it('fails closed when the root has no CRL for the issuing CA certificate', async () => {
    const store = await createTrustStore({ ...pki.trustStoreInput, crls: [pki.authCaCrl.der] });
    expect(await validateCertificate(pki.practitioners.valid.der, { trustStore: store, profile: 'hpki-auth', now: pki.now })).toMatchObject({
      ok: false,
      code: 'crl_missing',
    });
  });

  it('fails closed when the CRL is past nextUpdate', async () => {
    const now = new Date(pki.now.getTime() + 8 * 24 * 3600 * 1000);
    expect(await validateCertificate(pki.practitioners.valid.der, { trustStore, profile: 'hpki-auth', now })).toMatchObject({
      ok: false,
      code: 'crl_expired',
    });
  });

  it('refuses malformed DER', async () => {
    expect(await validate(Buffer.from('this is not DER'))).toMatchObject({ ok: false, code: 'certificate_malformed' });
    expect(await validate(new Uint8Array())).toMatchObject({ ok: false, code: 'certificate_malformed' });
  });

  it('refuses truncated DER', async () => {
    const der = pki.practitioners.valid.der;
    for (const length of [1, 4, 100, der.length - 1]) {
      expect(await validate(der.subarray(0, length))).toMatchObject({ ok: false, code: 'certificate_malformed' });
    }
  });

  it('refuses DER with trailing bytes', async () => {
    const der = Buffer.concat([pki.practitioners.valid.der, Buffer.from([0, 0])]);
    expect(await validate(der)).toMatchObject({ ok: false, code: 'certificate_malformed' });
  });

  it('refuses input over 16 KiB before parsing it', async () => {
    expect(await validate(randomBytes(16 * 1024 + 1))).toMatchObject({ ok: false, code: 'certificate_too_large' });
    expect(await validate(randomBytes(1024 * 1024))).toMatchObject({ ok: false, code: 'certificate_too_large' });
  });

  it('returns a failure, never throws, for values that are not bytes', async () => {
    for (const input of [undefined, null, 'MIIB', 42, {}] as unknown[]) {
      expect(await validateCertificate(input as Uint8Array, { trustStore, profile: 'hpki-auth' })).toMatchObject({ ok: false, code: 'certificate_malformed' });
    }
  });

  it('refuses an unknown profile', async () => {
    expect(await validateCertificate(pki.practitioners.valid.der, { trustStore, profile: 'nope' as 'hpki-auth' })).toMatchObject({
      ok: false,
      code: 'validation_failed',
    });
  });

  it('refuses random bytes of certificate size', async () => {
    for (let i = 0; i < 20; i++) {
      const result = await validate(randomBytes(1 + (i * 97) % 2000));
      expect(result.ok).toBe(false);
    }
  });
});
