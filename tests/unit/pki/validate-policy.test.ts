import { beforeAll, describe, expect, it } from 'vitest';
import { certificateProfiles, validateCertificatePolicy, x509 } from '../../../src/pki/index.ts';
import type { CertificateProfile } from '../../../src/pki/index.ts';
import { createHpkiTestPki, defaultPractitioner, issueCertificate, practitionerSubject } from '../../../src/pki/test-pki/index.ts';
import type { HpkiTestPki } from '../../../src/pki/test-pki/index.ts';

describe('validateCertificatePolicy', () => {
  let pki: HpkiTestPki;
  beforeAll(async () => {
    pki = await createHpkiTestPki({ keyAlgorithm: 'ecdsa-p256' });
  });
  const issueWithPolicies = async (policies?: string[]) =>
    (
      await issueCertificate({
        subject: practitionerSubject(defaultPractitioner),
        issuer: pki.authCa,
        keyAlgorithm: 'ecdsa-p256',
        notBefore: pki.now,
        notAfter: new Date(pki.now.getTime() + 86400_000),
        keyUsage: x509.KeyUsageFlags.digitalSignature,
        policies,
      })
    ).certificate;
  const codeOf = (certificate: x509.X509Certificate, profile: CertificateProfile = certificateProfiles['hpki-auth']) => {
    try {
      validateCertificatePolicy(certificate, profile);
      return undefined;
    } catch (error) {
      return (error as { code: string }).code;
    }
  };

  it('accepts the HPKI authentication EE policy', () => {
    expect(codeOf(pki.practitioners.valid.certificate)).toBeUndefined();
  });

  it('accepts any policy under the authentication arc', async () => {
    expect(codeOf(await issueWithPolicies(['1.2.3.4', '1.2.392.100495.1.5.1.2.9.9']))).toBeUndefined();
  });

  it('refuses a certificate without certificatePolicies', async () => {
    expect(codeOf(await issueWithPolicies())).toBe('certificate_policy_invalid');
  });

  it('refuses an unrelated policy and a look-alike prefix', async () => {
    expect(codeOf(await issueWithPolicies(['1.2.392.200149.8.5.1.3.30']))).toBe('certificate_policy_invalid');
    expect(codeOf(await issueWithPolicies(['1.2.392.100495.1.5.1.20.1']))).toBe('certificate_policy_invalid');
  });

  it('is driven by profile data (a JPKI-style profile)', async () => {
    const jpki: CertificateProfile = {
      id: 'jpki-auth-test',
      description: 'test profile',
      acceptedPolicyArcs: ['1.2.392.200149.8.5.1.3.30'],
      signingPolicyArcs: ['1.2.392.200149.8.5.1.1'],
      maxChainLength: 2,
      revocationScope: 'leaf',
    };
    expect(codeOf(await issueWithPolicies(['1.2.392.200149.8.5.1.3.30']), jpki)).toBeUndefined();
    expect(codeOf(pki.practitioners.valid.certificate, jpki)).toBe('certificate_policy_invalid');
  });
});
