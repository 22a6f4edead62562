import { beforeAll, describe, expect, it } from 'vitest';
import { validateCertificate, validateSubjectDirectoryAttributes } from '../../../src/pki/index.ts';
import type { TrustStore } from '../../../src/pki/index.ts';
import { nonConformingTestPki } from '../../../src/pki/test-pki/index.ts';
import type { HpkiTestPki, NonConformingCertificates } from '../../../src/pki/test-pki/index.ts';

/** Issue 13 rule 5 (RFC 5280 §4.2.1.8): conforming CAs mark subjectDirectoryAttributes non-critical. */
describe('validateSubjectDirectoryAttributes', () => {
  let pki: HpkiTestPki, nc: NonConformingCertificates, store: TrustStore;
  beforeAll(async () => ({ pki, nc, store } = await nonConformingTestPki()));

  it('refuses a certificate whose hcRole extension is marked critical', async () => {
    const critical = nc.certificates.criticalDirectoryAttributes;
    expect(critical.certificate.extensions.find((e) => e.type === '2.5.29.9')?.critical).toBe(true);
    const result = await validateCertificate(critical.der, { trustStore: store, profile: 'hpki-auth', now: pki.now });
    expect(result).toMatchObject({ ok: false, code: 'certificate_extension_invalid' });
    expect(!result.ok && result.detail).toContain('2.5.29.9');
  });

  it('accepts the non-critical extension of the MEDIS layout, and a certificate without one', () => {
    expect(() => validateSubjectDirectoryAttributes(pki.practitioners.valid.certificate)).not.toThrow();
    expect(() => validateSubjectDirectoryAttributes(pki.practitioners.noHcRole.certificate)).not.toThrow();
  });
});
