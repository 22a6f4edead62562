import { beforeAll, describe, expect, it } from 'vitest';
import { certificateFingerprint, createTrustStore, validateCertificate } from '../../../src/pki/index.ts';
import { createHpkiTestPki, issueCrl } from '../../../src/pki/test-pki/index.ts';
import type { HpkiTestPki } from '../../../src/pki/test-pki/index.ts';

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as { code: string }).code;
  }
}

describe('createTrustStore', () => {
  let pki: HpkiTestPki;
  beforeAll(async () => {
    pki = await createHpkiTestPki({ keyAlgorithm: 'ecdsa-p256' });
  });

  it('builds from DER arrays', async () => {
    const store = await createTrustStore(pki.trustStoreInput);
    expect(store.anchors).toHaveLength(1);
    expect(store.intermediates).toHaveLength(2);
    expect(store.crls.size).toBe(3);
    expect(store.crls.get(certificateFingerprint(pki.authCa.certificate))?.size).toBe(1);
  });

  it('builds from PEM, including a PEM bundle', async () => {
    const store = await createTrustStore({
      anchors: [pki.root.pem],
      intermediates: [`${pki.authCa.pem}\n${pki.signCa.pem}`],
      crls: [pki.rootCrl.pem, `${pki.authCaCrl.pem}\n${pki.signCaCrl.pem}`],
    });
    expect(store.intermediates).toHaveLength(2);
    expect(store.crls.size).toBe(3);
    expect(await validateCertificate(pki.practitioners.valid.der, { trustStore: store, profile: 'hpki-auth', now: pki.now })).toMatchObject({ ok: true });
  });

  it('is immutable', async () => {
    const store = await createTrustStore(pki.trustStoreInput);
    expect(Object.isFrozen(store)).toBe(true);
    expect(Object.isFrozen(store.anchors)).toBe(true);
    expect('set' in store.crls).toBe(false);
    expect('delete' in store.bySubject).toBe(false);
  });

  it('keeps the newest CRL of an issuer', async () => {
    const newer = await issueCrl({
      issuer: pki.authCa,
      thisUpdate: new Date(pki.now.getTime() + 1000),
      nextUpdate: new Date(pki.now.getTime() + 86400_000),
    });
    const store = await createTrustStore({ ...pki.trustStoreInput, crls: [newer.der, pki.authCaCrl.der] });
    expect(store.crls.get(certificateFingerprint(pki.authCa.certificate))?.size).toBe(0);
  });

  it('refuses a malformed certificate input', async () => {
    expect(await codeOf(createTrustStore({ anchors: [Buffer.from('nope')] }))).toBe('certificate_malformed');
    expect(await codeOf(createTrustStore({ anchors: ['-----BEGIN NOTHING-----'] }))).toBe('certificate_malformed');
  });

  it('refuses a CRL that no configured CA signed', async () => {
    expect(await codeOf(createTrustStore({ anchors: [pki.root.der], crls: [pki.authCaCrl.der] }))).toBe('crl_invalid');
  });
});
