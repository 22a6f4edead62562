import { beforeAll, describe, expect, it } from 'vitest';
import { createTrustStore, validateCertificate, validateCertificateVersion } from '../../../src/pki/index.ts';
import type { TrustStore } from '../../../src/pki/index.ts';
import { issueCertificate, issuePractitionerCertificate, recraftCertificate, testCaName, nonConformingTestPki } from '../../../src/pki/test-pki/index.ts';
import type { HpkiTestPki, NonConformingCertificates } from '../../../src/pki/test-pki/index.ts';
import { Version } from '@peculiar/asn1-x509';
import { OID } from '../../../src/pki/oids.ts';

/** Issue 13 rule 8 (RFC 5280 §4.1.2.9): extensions only in v3 certificates. */
describe('validateCertificateVersion', () => {
  let pki: HpkiTestPki, nc: NonConformingCertificates, store: TrustStore;
  beforeAll(async () => ({ pki, nc, store } = await nonConformingTestPki()));
  const validate = (der: Uint8Array, trustStore = store) => validateCertificate(der, { trustStore, profile: 'hpki-auth', now: pki.now });

  it('refuses a v1 certificate that carries extensions, although its signature verifies', async () => {
    expect(nc.certificates.v1WithExtensions.certificate.extensions.length).toBeGreaterThan(0);
    expect(await nc.certificates.v1WithExtensions.certificate.verify({ publicKey: pki.authCa.certificate.publicKey, signatureOnly: true })).toBe(true);
    const result = await validate(nc.certificates.v1WithExtensions.der);
    expect(result).toMatchObject({ ok: false, code: 'certificate_version_invalid' });
    expect(!result.ok && result.detail).toContain('v1');
  });

  it('refuses a v2 certificate that carries extensions', async () => {
    expect(await validate(nc.certificates.v2WithExtensions.der)).toMatchObject({ ok: false, code: 'certificate_version_invalid' });
  });

  it('accepts v3', () => {
    expect(() => validateCertificateVersion(pki.practitioners.valid.certificate)).not.toThrow();
  });

  it('refuses a v1 CA certificate with extensions in the chain', async () => {
    const ca = await issueCertificate({
      subject: testCaName('HPKI-01-V1AuthCA'),
      issuer: pki.root,
      keyAlgorithm: 'ecdsa-p256',
      notBefore: new Date(pki.now.getTime() - 86400_000),
      notAfter: new Date(pki.now.getTime() + 365 * 86400_000),
      ca: {},
      policies: [OID.hpkiAuthenticationCaPolicy],
    });
    const v1Ca = recraftCertificate(ca, { signer: pki.root.keys, mutate: (tbs) => void (tbs.version = Version.v1) });
    const underV1 = await issuePractitionerCertificate({
      issuer: v1Ca,
      kind: 'authentication',
      keyAlgorithm: 'ecdsa-p256',
      hcRoles: [{ role: 'Medical Doctor' }],
      notBefore: new Date(pki.now.getTime() - 86400_000),
      notAfter: new Date(pki.now.getTime() + 30 * 86400_000),
    });
    const withV1Ca = await createTrustStore({ ...pki.trustStoreInput, intermediates: [...pki.trustStoreInput.intermediates, v1Ca.der] });
    const result = await validate(underV1.der, withV1Ca);
    expect(result).toMatchObject({ ok: false, code: 'certificate_version_invalid' });
    expect(!result.ok && result.detail).toContain('V1AuthCA');
  });
});
