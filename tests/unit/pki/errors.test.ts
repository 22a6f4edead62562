import { describe, expect, it } from 'vitest';
import { PkiError, pkiErrorCodes, pkiErrorMessage, pkiErrorMessages } from '../../../src/pki/index.ts';

describe('PKI error catalogue', () => {
  it('has a Japanese and an English sentence for every code', () => {
    for (const code of pkiErrorCodes) {
      expect(pkiErrorMessages[code].ja).toMatch(/。$/);
      expect(pkiErrorMessages[code].en).toMatch(/\.$/);
    }
  });

  it('lists the stable codes', () => {
    expect([...pkiErrorCodes].sort()).toEqual(
      [
        'certificate_chain_invalid',
        'certificate_chain_too_long',
        'certificate_expired',
        'certificate_extension_invalid',
        'certificate_issued_by_anchor',
        'certificate_issuer_not_authentication_ca',
        'certificate_key_too_weak',
        'certificate_name_invalid',
        'certificate_signature_algorithm_mismatch',
        'certificate_version_invalid',
        'certificate_malformed',
        'certificate_not_yet_valid',
        'certificate_policy_invalid',
        'certificate_purpose_invalid',
        'certificate_revoked',
        'certificate_signing_not_allowed',
        'certificate_too_large',
        'certificate_unsupported',
        'certificate_untrusted',
        'crl_expired',
        'crl_invalid',
        'crl_missing',
        'crl_not_yet_valid',
        'crl_number_out_of_order',
        'hcrole_malformed',
        'hcrole_scheme_unknown',
        'ocsp_invalid',
        'ocsp_unavailable',
        'ocsp_unknown_certificate',
        'validation_failed',
      ].sort(),
    );
  });

  it('tells a revoked user what to do', () => {
    expect(pkiErrorMessage('certificate_revoked')).toBe('この証明書は失効しています。発行元の認証局にお問い合わせください。');
    expect(pkiErrorMessage('certificate_revoked', 'en')).toContain('Contact the certification authority');
  });

  it('carries code and detail', () => {
    const error = new PkiError('crl_missing', 'no CRL for X');
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('crl_missing');
    expect(error.detail).toBe('no CRL for X');
  });
});
