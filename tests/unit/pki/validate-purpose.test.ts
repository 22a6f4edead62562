import { beforeAll, describe, expect, it } from 'vitest';
import { certificateProfiles, validateCertificatePurpose, x509 } from '../../../src/pki/index.ts';
import { createHpkiTestPki, issueCertificate, practitionerSubject, defaultPractitioner } from '../../../src/pki/test-pki/index.ts';
import type { HpkiTestPki, IssueCertificateOptions } from '../../../src/pki/test-pki/index.ts';

const profile = certificateProfiles['hpki-auth'];
const AUTH_EE = '1.2.392.100495.1.5.1.2.0.1';
const KU = x509.KeyUsageFlags;

describe('validateCertificatePurpose', () => {
  let pki: HpkiTestPki;
  beforeAll(async () => {
    pki = await createHpkiTestPki({ keyAlgorithm: 'ecdsa-p256' });
  });

  const issue = (options: Partial<IssueCertificateOptions>) =>
    issueCertificate({
      subject: practitionerSubject(defaultPractitioner),
      issuer: pki.authCa,
      keyAlgorithm: 'ecdsa-p256',
      notBefore: new Date(pki.now.getTime() - 86400_000),
      notAfter: new Date(pki.now.getTime() + 86400_000),
      policies: [AUTH_EE],
      ...options,
    });
  const codeOf = (certificate: x509.X509Certificate): string | undefined => {
    try {
      validateCertificatePurpose(certificate, profile);
      return undefined;
    } catch (error) {
      return (error as { code: string }).code;
    }
  };

  it('accepts digitalSignature with EKU clientAuth', () => {
    expect(codeOf(pki.practitioners.valid.certificate)).toBeUndefined();
  });

  it('accepts digitalSignature without an EKU extension', async () => {
    expect(codeOf((await issue({ keyUsage: KU.digitalSignature })).certificate)).toBeUndefined();
  });

  it('refuses the HPKI signing certificate (signing policy)', () => {
    expect(codeOf(pki.practitioners.signing.certificate)).toBe('certificate_signing_not_allowed');
  });

  it('refuses a nonRepudiation-only key even under an authentication policy', async () => {
    expect(codeOf((await issue({ keyUsage: KU.nonRepudiation })).certificate)).toBe('certificate_signing_not_allowed');
  });

  it('refuses a signing policy even when keyUsage looks like authentication', async () => {
    const cert = await issue({ keyUsage: KU.digitalSignature, extendedKeyUsage: ['1.3.6.1.5.5.7.3.2'], policies: ['1.2.392.100495.1.5.1.1.0.1'] });
    expect(codeOf(cert.certificate)).toBe('certificate_signing_not_allowed');
  });

  it('refuses a certificate without keyUsage', async () => {
    expect(codeOf((await issue({})).certificate)).toBe('certificate_purpose_invalid');
  });

  it('refuses keyUsage without digitalSignature', async () => {
    expect(codeOf((await issue({ keyUsage: KU.keyEncipherment })).certificate)).toBe('certificate_purpose_invalid');
  });

  it('refuses an EKU without clientAuth', async () => {
    const cert = await issue({ keyUsage: KU.digitalSignature, extendedKeyUsage: ['1.3.6.1.5.5.7.3.4'] });
    expect(codeOf(cert.certificate)).toBe('certificate_purpose_invalid');
  });

  it('refuses a CA certificate as login certificate', async () => {
    expect(codeOf((await issue({ ca: { keyUsage: KU.keyCertSign | KU.digitalSignature } })).certificate)).toBe('certificate_purpose_invalid');
  });
});
