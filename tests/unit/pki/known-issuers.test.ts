import { describe, expect, it } from 'vitest';
import { createHpkiTestPki } from '@/src/pki/test-pki/index';
import { dnAttributes, issuerDisplayName, knownIssuer, KNOWN_ISSUERS } from '@/src/pki/known-issuers';

describe('knownIssuer', () => {
  it('names the test PKI CAs from their real DNs (the demo uses the same generator)', async () => {
    const pki = await createHpkiTestPki();
    expect(issuerDisplayName(pki.authCa.certificate.subject, 'ja')).toBe('テスト用 HPKI認証局（認証用）');
    expect(issuerDisplayName(pki.authCa.certificate.subject, 'en')).toBe('Test HPKI CA (authentication)');
    expect(knownIssuer(pki.signCa.certificate.subject)?.id).toBe('test-sign-ca');
  });

  it('names the MEDIS CAs and the MHLW root from protocol-facts §A4', () => {
    expect(knownIssuer('C=JP, O=MEDIS, OU=MEDIS HPKI CA, CN=HPKI-01-MedisAuthCA2-forAuthentication-forIndividual')?.id).toBe('medis-auth-ca2');
    expect(knownIssuer('C=JP, O=MEDIS, OU=MEDIS HPKI CA, CN=HPKI-01-MedisSignCA2-forNonRepudiation')?.id).toBe('medis-sign-ca2');
    expect(
      knownIssuer('C=JP, O=Ministry of Health\\, Labour and Welfare, OU=Director-General for Policy Planning and Evaluation, OU=MHLW HPKI Root CA V2')?.id,
    ).toBe('mhlw-root-v2');
  });

  it('tells the production JPKI CA from the test one', () => {
    const production = 'C=JP, O=JPKI, OU=JPKI for user authentication, OU=Japan Agency for Local Authority Information Systems';
    expect(knownIssuer(production)?.id).toBe('jpki-user-auth');
    expect(knownIssuer(production.replace('O=JPKI,', 'O=JPKI-TEST,'))?.id).toBe('test-jpki');
  });

  it('compares case- and space-insensitively, and needs every attribute of the entry', () => {
    expect(knownIssuer('cn= hpki-01-testauthca2-forauthentication-forindividual ')?.id).toBe('test-auth-ca');
    expect(knownIssuer('C=JP, OU=JPKI for user authentication')).toBeUndefined();
  });

  it('falls back to the CN, then the O, then the whole DN for an unknown issuer', () => {
    expect(issuerDisplayName('C=JP, O=Some Hospital CA, CN=Local Issuing CA', 'ja')).toBe('Local Issuing CA');
    expect(issuerDisplayName('C=JP, O=Some Hospital CA', 'en')).toBe('Some Hospital CA');
    expect(issuerDisplayName('not a dn', 'en')).toBe('not a dn');
  });

  it('lists a source for every entry and unique ids', () => {
    expect(new Set(KNOWN_ISSUERS.map((i) => i.id)).size).toBe(KNOWN_ISSUERS.length);
    for (const issuer of KNOWN_ISSUERS) expect(issuer.source.length).toBeGreaterThan(10);
  });

  it('splits a DN into attributes', () => {
    expect(dnAttributes('C=JP, O=MEDIS TEST, CN=X')).toEqual([
      { type: 'C', value: 'JP' },
      { type: 'O', value: 'MEDIS TEST' },
      { type: 'CN', value: 'X' },
    ]);
  });
});
