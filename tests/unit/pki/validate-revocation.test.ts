import { beforeAll, describe, expect, it } from 'vitest';
import { AsnConvert } from '@peculiar/asn1-schema';
import { IssuingDistributionPoint } from '@peculiar/asn1-x509';
import { createTrustStore, crlRevocationChecker, validateRevocation, x509 } from '../../../src/pki/index.ts';
import type { RevocationChecker, TrustStore } from '../../../src/pki/index.ts';
import { createHpkiTestPki, issueCrl } from '../../../src/pki/test-pki/index.ts';
import type { HpkiTestPki } from '../../../src/pki/test-pki/index.ts';

const DAY = 86400_000;

describe('validateRevocation', () => {
  let pki: HpkiTestPki;
  let trustStore: TrustStore;
  let chainOf: (name: 'valid' | 'revoked') => x509.X509Certificate[];
  beforeAll(async () => {
    pki = await createHpkiTestPki({ keyAlgorithm: 'ecdsa-p256' });
    trustStore = await createTrustStore(pki.trustStoreInput);
    chainOf = (name) => [pki.practitioners[name].certificate, pki.authCa.certificate, pki.root.certificate];
  });

  const codeOf = async (chain: x509.X509Certificate[], options: Partial<Parameters<typeof validateRevocation>[1]> = {}) => {
    try {
      await validateRevocation(chain, { checkers: [crlRevocationChecker(trustStore)], now: pki.now, scope: 'chain', ...options });
      return undefined;
    } catch (error) {
      return (error as { code: string }).code;
    }
  };
  const storeWith = (crls: Uint8Array[]) => createTrustStore({ ...pki.trustStoreInput, crls });
  const fixed = (answer: Awaited<ReturnType<RevocationChecker['check']>>): RevocationChecker => ({ name: answer.source, check: async () => answer });

  it('passes a certificate that no CRL lists', async () => {
    expect(await codeOf(chainOf('valid'))).toBeUndefined();
  });

  it('refuses a revoked certificate', async () => {
    expect(await codeOf(chainOf('revoked'))).toBe('certificate_revoked');
  });

  it('refuses a revoked certificate even when the CRL is stale', async () => {
    expect(await codeOf(chainOf('revoked'), { now: new Date(pki.now.getTime() + 30 * DAY) })).toBe('certificate_revoked');
  });

  it('refuses when the issuing CA certificate itself is revoked on the root CRL', async () => {
    const rootCrl = await issueCrl({ issuer: pki.root, thisUpdate: pki.now, nextUpdate: new Date(pki.now.getTime() + DAY), revoked: ['05'] });
    const store = await storeWith([rootCrl.der, pki.authCaCrl.der]);
    expect(await codeOf(chainOf('valid'), { checkers: [crlRevocationChecker(store)] })).toBe('certificate_revoked');
    expect(await codeOf(chainOf('valid'), { checkers: [crlRevocationChecker(store)], scope: 'leaf' })).toBeUndefined();
  });

  it('fails closed without a CRL for the issuer', async () => {
    const store = await storeWith([pki.rootCrl.der]);
    expect(await codeOf(chainOf('valid'), { checkers: [crlRevocationChecker(store)] })).toBe('crl_missing');
  });

  it('fails closed with an expired CRL', async () => {
    expect(await codeOf(chainOf('valid'), { now: new Date(pki.now.getTime() + 8 * DAY) })).toBe('crl_expired');
  });

  it('fails closed with a CRL whose thisUpdate is in the future', async () => {
    expect(await codeOf(chainOf('valid'), { now: new Date(pki.now.getTime() - 2 * DAY) })).toBe('crl_not_yet_valid');
  });

  it('fails closed without any checker', async () => {
    expect(await codeOf(chainOf('valid'), { checkers: [] })).toBe('crl_missing');
  });

  it('lets an earlier checker vouch when the CRL is missing (OCSP extension point)', async () => {
    const store = await storeWith([]);
    const ocspGood = fixed({ status: 'good', source: 'ocsp' });
    expect(await codeOf(chainOf('valid'), { checkers: [ocspGood, crlRevocationChecker(store)] })).toBeUndefined();
  });

  it('falls back to the next checker when one cannot answer', async () => {
    const ocspDown = fixed({ status: 'unknown', source: 'ocsp', code: 'crl_missing', detail: 'responder unreachable' });
    expect(await codeOf(chainOf('revoked'), { checkers: [ocspDown, crlRevocationChecker(trustStore)] })).toBe('certificate_revoked');
    expect(await codeOf(chainOf('valid'), { checkers: [ocspDown, crlRevocationChecker(trustStore)] })).toBeUndefined();
  });

  it('treats a throwing checker as no answer', async () => {
    const broken: RevocationChecker = { name: 'broken', check: async () => Promise.reject(new Error('boom')) };
    expect(await codeOf(chainOf('valid'), { checkers: [broken] })).toBe('crl_missing');
    expect(await codeOf(chainOf('valid'), { checkers: [broken, crlRevocationChecker(trustStore)] })).toBeUndefined();
  });

  it('stops at the first revoked answer', async () => {
    const ocspRevoked = fixed({ status: 'revoked', source: 'ocsp', revokedAt: pki.now });
    expect(await codeOf(chainOf('valid'), { checkers: [ocspRevoked, crlRevocationChecker(trustStore)] })).toBe('certificate_revoked');
  });

  it('does not use a CRL scoped to CA certificates for an end-entity certificate', async () => {
    const idp = new x509.Extension('2.5.29.28', true, AsnConvert.serialize(new IssuingDistributionPoint({ onlyContainsCACerts: true })));
    const caOnly = await issueCrl({ issuer: pki.authCa, thisUpdate: pki.now, nextUpdate: new Date(pki.now.getTime() + DAY), extensions: [idp] });
    const store = await storeWith([pki.rootCrl.der, caOnly.der]);
    expect(await codeOf(chainOf('valid'), { checkers: [crlRevocationChecker(store)] })).toBe('crl_missing');
  });

  it('uses a CRL scoped to end-entity certificates for an end-entity certificate', async () => {
    const idp = new x509.Extension('2.5.29.28', true, AsnConvert.serialize(new IssuingDistributionPoint({ onlyContainsUserCerts: true })));
    const userOnly = await issueCrl({ issuer: pki.authCa, thisUpdate: pki.now, nextUpdate: new Date(pki.now.getTime() + DAY), extensions: [idp] });
    const store = await storeWith([pki.rootCrl.der, userOnly.der]);
    expect(await codeOf(chainOf('valid'), { checkers: [crlRevocationChecker(store)] })).toBeUndefined();
  });
});
