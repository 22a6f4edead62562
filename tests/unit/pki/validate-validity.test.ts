import { beforeAll, describe, expect, it } from 'vitest';
import { validateCertificateValidity } from '../../../src/pki/index.ts';
import { createHpkiTestPki } from '../../../src/pki/test-pki/index.ts';
import type { HpkiTestPki } from '../../../src/pki/test-pki/index.ts';

describe('validateCertificateValidity', () => {
  let pki: HpkiTestPki;
  beforeAll(async () => {
    pki = await createHpkiTestPki({ keyAlgorithm: 'ecdsa-p256' });
  });

  it('accepts a certificate inside its validity period, bounds included', () => {
    const { certificate } = pki.practitioners.valid;
    expect(() => validateCertificateValidity(certificate, pki.now)).not.toThrow();
    expect(() => validateCertificateValidity(certificate, certificate.notBefore)).not.toThrow();
    expect(() => validateCertificateValidity(certificate, certificate.notAfter)).not.toThrow();
  });

  it('refuses an expired certificate', () => {
    expect(() => validateCertificateValidity(pki.practitioners.expired.certificate, pki.now)).toThrow(
      expect.objectContaining({ code: 'certificate_expired' }),
    );
  });

  it('refuses a certificate one second after notAfter', () => {
    const { certificate } = pki.practitioners.valid;
    expect(() => validateCertificateValidity(certificate, new Date(certificate.notAfter.getTime() + 1000))).toThrow(
      expect.objectContaining({ code: 'certificate_expired' }),
    );
  });

  it('refuses a certificate that is not valid yet', () => {
    expect(() => validateCertificateValidity(pki.practitioners.notYetValid.certificate, pki.now)).toThrow(
      expect.objectContaining({ code: 'certificate_not_yet_valid' }),
    );
  });
});
