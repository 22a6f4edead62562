import { describe, expect, it } from 'vitest';
import { certificateRules, defaultCertificateRules } from '../../../src/pki/index.ts';
import { readEnvironment } from '../../../src/config/environment.ts';

const FINGERPRINT = 'ab'.repeat(32);

/** The settings behind issue 13 rules 2 and 4. */
describe('certificate rules and their settings', () => {
  it('defaults: RSA 2048, no leaf from a root, no configured authentication CA', () => {
    expect(defaultCertificateRules).toEqual({ minRsaBits: 2048, allowLeafFromAnchor: false, authenticationCaFingerprints: [] });
    expect(readEnvironment({}).certificates).toEqual({ minRsaBits: 2048, allowLeafFromAnchor: false, authenticationCaFingerprints: [] });
  });

  it('reads CERTIFICATE_MIN_RSA_BITS, HPKI_ALLOW_LEAF_FROM_ROOT and HPKI_AUTHENTICATION_CAS', () => {
    const env = readEnvironment({ CERTIFICATE_MIN_RSA_BITS: '3072', HPKI_ALLOW_LEAF_FROM_ROOT: 'true', HPKI_AUTHENTICATION_CAS: `${FINGERPRINT.toUpperCase()}, ${FINGERPRINT.replace(/(..)(?!$)/g, '$1:')}` });
    expect(env.certificates).toEqual({ minRsaBits: 3072, allowLeafFromAnchor: true, authenticationCaFingerprints: [FINGERPRINT, FINGERPRINT] });
  });

  it('refuses a minimum below 2048 and fingerprints that are not SHA-256 hex', () => {
    expect(() => readEnvironment({ CERTIFICATE_MIN_RSA_BITS: '1024' })).toThrow(/CERTIFICATE_MIN_RSA_BITS/);
    expect(() => readEnvironment({ HPKI_AUTHENTICATION_CAS: 'not-a-fingerprint' })).toThrow(/HPKI_AUTHENTICATION_CAS/);
    expect(() => certificateRules({ minRsaBits: 2047 })).toThrow(RangeError);
    expect(() => certificateRules({ authenticationCaFingerprints: ['abc'] })).toThrow(RangeError);
  });
});
