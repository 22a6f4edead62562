import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTrustStore, keyWeakness, validateCertificate, validateKeyStrength } from '../../../src/pki/index.ts';
import type { TrustStore } from '../../../src/pki/index.ts';
import { createJpkiTestPki, nonConformingTestPki } from '../../../src/pki/test-pki/index.ts';
import type { HpkiTestPki, NonConformingCertificates } from '../../../src/pki/test-pki/index.ts';

/** Issue 13 rule 2: RSA ≥ 2048 (configurable upward) and ECDSA P-256/384/521 only, for leaf and CA keys. */
describe('validateKeyStrength', () => {
  let pki: HpkiTestPki, nc: NonConformingCertificates, store: TrustStore;
  beforeAll(async () => ({ pki, nc, store } = await nonConformingTestPki()));
  const validate = (der: Uint8Array, trustStore = store) => validateCertificate(der, { trustStore, profile: 'hpki-auth', now: pki.now });
  const spki = (key: ReturnType<typeof generateKeyPairSync>['publicKey']) => new Uint8Array(key.export({ format: 'der', type: 'spki' }));

  it('refuses an RSA-1024 login certificate that is otherwise valid', async () => {
    const result = await validate(nc.certificates.rsa1024.der);
    expect(result).toMatchObject({ ok: false, code: 'certificate_key_too_weak' });
    expect(!result.ok && result.detail).toContain('1024 bits');
  });

  it('refuses a key on a curve other than P-256/384/521 (secp256k1)', async () => {
    expect(await validate(nc.certificates.secp256k1.der)).toMatchObject({ ok: false, code: 'certificate_key_too_weak' });
  });

  it('accepts P-256, P-384, P-521, RSA-2048 and RSA-3072', async () => {
    for (const variant of ['acceptedP384', 'acceptedP521', 'acceptedRsa3072'] as const) expect(await validate(nc.certificates[variant].der), variant).toMatchObject({ ok: true });
    expect(await validate(pki.practitioners.valid.der)).toMatchObject({ ok: true });
    expect(await validate(pki.practitioners.validEcdsa.der)).toMatchObject({ ok: true });
  });

  it('refuses a chain through a CA with an RSA-1024 key', async () => {
    const result = await validate(nc.certificates.fromWeakCa.der);
    expect(result).toMatchObject({ ok: false, code: 'certificate_key_too_weak' });
    expect(!result.ok && result.detail).toContain('WeakAuthCA');
  });

  it('raises the minimum when the installation asks (CERTIFICATE_MIN_RSA_BITS), for leaf and CA keys alike', async () => {
    const strict = await createTrustStore({ ...nc.trustStoreInput, rules: { minRsaBits: 3072 } });
    expect(await validate(nc.certificates.acceptedRsa3072.der, strict)).toMatchObject({ ok: false, code: 'certificate_key_too_weak' });
    expect(await validate(pki.practitioners.validEcdsa.der, strict)).toMatchObject({ ok: false, code: 'certificate_key_too_weak' });
    expect(await validateCertificate(nc.certificates.acceptedP384.der, { trustStore: store, profile: 'hpki-auth', now: pki.now, rules: { minRsaBits: 4096 } })).toMatchObject({
      ok: false,
      code: 'certificate_key_too_weak',
    });
  });

  it('never goes below 2048, whatever is configured', async () => {
    await expect(createTrustStore({ ...nc.trustStoreInput, rules: { minRsaBits: 1024 } })).rejects.toThrow(RangeError);
    expect(keyWeakness(pki.practitioners.valid.certificate.publicKey.rawData, 1024)).toBeUndefined();
    expect(keyWeakness(nc.certificates.rsa1024.certificate.publicKey.rawData, 1024)).toContain('at least 2048');
  });

  it('names the reason for DSA, Ed25519, brainpool and P-192 keys', () => {
    expect(keyWeakness(spki(generateKeyPairSync('ed25519').publicKey))).toContain('ed25519');
    expect(keyWeakness(spki(generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 }).publicKey))).toContain('dsa');
    expect(keyWeakness(spki(generateKeyPairSync('ec', { namedCurve: 'brainpoolP256r1' }).publicKey))).toContain('brainpoolP256r1');
    expect(keyWeakness(spki(generateKeyPairSync('ec', { namedCurve: 'prime192v1' }).publicKey))).toContain('prime192v1');
    expect(keyWeakness(spki(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey))).toBeUndefined();
    expect(keyWeakness(new Uint8Array([0x30, 0x00]))).toContain('not supported');
  });

  it('throws the code for one certificate', () => {
    expect(() => validateKeyStrength(nc.certificates.rsa1024.certificate)).toThrow(expect.objectContaining({ code: 'certificate_key_too_weak' }));
    expect(() => validateKeyStrength(pki.practitioners.valid.certificate)).not.toThrow();
  });

  it('checks My Number Card (JPKI) certificates with the same validators: RSA-2048 passes', async () => {
    const jpki = await createJpkiTestPki();
    const jpkiStore = await createTrustStore(jpki.trustStoreInput);
    expect(await validateCertificate(jpki.cards.valid.der, { trustStore: jpkiStore, profile: 'jpki-auth', now: jpki.now })).toMatchObject({ ok: true });
    const raised = await createTrustStore({ ...jpki.trustStoreInput, rules: { minRsaBits: 3072 } });
    expect(await validateCertificate(jpki.cards.valid.der, { trustStore: raised, profile: 'jpki-auth', now: jpki.now })).toMatchObject({ ok: false, code: 'certificate_key_too_weak' });
  });
});
