import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HashAlgorithm, SigningKeyAlgorithm } from '../../../src/signing/key-store.ts';
import { Pkcs11KeyStore, type Pkcs11Options } from '../../../src/signing/pkcs11-key-store.ts';
import { createSoftHsmToken, type SoftHsmToken } from '../../support/softhsm-token.ts';

// SoftHSM2 from Debian (installed by .ci/run). No skip: without it these tests fail and say why.
let token: SoftHsmToken;
let options: Pkcs11Options;
let store: Pkcs11KeyStore;

beforeAll(() => {
  token = createSoftHsmToken();
  // A second token on the same library for the wrong-PIN case: PKCS#11 login is per token.
  createSoftHsmToken({ dir: token.dir, label: 'hpki-sso-other', pin: '2468' });
  process.env.SOFTHSM2_CONF = token.env.SOFTHSM2_CONF;
  options = { module: token.env.PKCS11_MODULE, tokenLabel: token.env.PKCS11_TOKEN_LABEL, pin: token.env.PKCS11_PIN };
  store = new Pkcs11KeyStore(options);
});

afterAll(async () => {
  await store?.close();
  token?.remove();
});

const nodeHash = (hash: HashAlgorithm) => hash.replace('-', '').toLowerCase();
const LENGTH: Record<HashAlgorithm, number> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };

describe('Pkcs11KeyStore on SoftHSM2', () => {
  it('is healthy with the right token and PIN', async () => {
    expect(await store.healthy()).toBe(true);
    expect(await store.check()).toBeUndefined();
  });

  for (const algorithm of ['RSA-2048', 'EC-P256'] as SigningKeyAlgorithm[]) {
    it(`generates an ${algorithm} key on the token whose signatures verify for every hash`, async () => {
      const { keyRef, publicKeySpki } = await store.generateKeyPair('dr-kagurazaka', algorithm);
      expect(keyRef).toMatch(/^[0-9a-f]{32}$/);
      const publicKey = crypto.createPublicKey({ key: Buffer.from(publicKeySpki), format: 'der', type: 'spki' });
      if (algorithm === 'RSA-2048') expect(publicKey.asymmetricKeyDetails).toMatchObject({ modulusLength: 2048, publicExponent: 65537n });
      else expect(publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
      for (const hash of ['SHA-256', 'SHA-384', 'SHA-512'] as HashAlgorithm[]) {
        const document = Buffer.from(`e-prescription ${crypto.randomUUID()}`);
        const signature = await store.signDigest(keyRef, hash, crypto.createHash(nodeHash(hash)).update(document).digest());
        if (algorithm === 'EC-P256') expect(signature[0]).toBe(0x30);
        expect(crypto.verify(nodeHash(hash), document, publicKey, signature)).toBe(true);
        expect(crypto.verify(nodeHash(hash), Buffer.from('tampered'), publicKey, signature)).toBe(false);
      }
    });
  }

  it('keeps the private key sensitive and non-extractable on the token', async () => {
    const rsa = await store.generateKeyPair('rsa', 'RSA-2048');
    const ec = await store.generateKeyPair('ec', 'EC-P256');
    const p = createRequire(import.meta.url)('pkcs11js') as typeof import('pkcs11js');
    const lib = new p.PKCS11();
    lib.load(options.module);
    try {
      lib.C_Initialize();
    } catch (error) {
      // The store already initialised the library in this process.
      expect(String(error)).toMatch(/CKR_CRYPTOKI_ALREADY_INITIALIZED/);
    }
    const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === options.tokenLabel)!;
    const session = lib.C_OpenSession(slot, p.CKF_SERIAL_SESSION);
    try {
      for (const [keyRef, secretAttributes] of [
        [rsa.keyRef, [p.CKA_PRIVATE_EXPONENT, p.CKA_PRIME_1, p.CKA_PRIME_2]],
        [ec.keyRef, [p.CKA_VALUE]],
      ] as const) {
        lib.C_FindObjectsInit(session, [
          { type: p.CKA_CLASS, value: p.CKO_PRIVATE_KEY },
          { type: p.CKA_ID, value: Buffer.from(keyRef, 'hex') },
        ]);
        const [key] = lib.C_FindObjects(session, 2);
        lib.C_FindObjectsFinal(session);
        expect(key).toBeDefined();
        for (const attribute of secretAttributes) {
          expect(() => lib.C_GetAttributeValue(session, key!, [{ type: attribute }])).toThrow(/CKR_ATTRIBUTE_SENSITIVE/);
        }
        const flags = lib.C_GetAttributeValue(session, key!, [
          { type: p.CKA_SENSITIVE },
          { type: p.CKA_EXTRACTABLE },
          { type: p.CKA_ALWAYS_SENSITIVE },
          { type: p.CKA_NEVER_EXTRACTABLE },
          { type: p.CKA_TOKEN },
          { type: p.CKA_PRIVATE },
        ]);
        expect(flags.map((a) => a.value[0])).toEqual([1, 0, 1, 1, 1, 1]);
        // Wrapping it out is refused too (the key is not extractable).
        const wrapping = lib.C_GenerateKey(session, { mechanism: p.CKM_AES_KEY_GEN }, [
          { type: p.CKA_VALUE_LEN, value: 32 },
          { type: p.CKA_WRAP, value: true },
          { type: p.CKA_TOKEN, value: false },
        ]);
        expect(() => lib.C_WrapKey(session, { mechanism: p.CKM_AES_KEY_WRAP_PAD }, wrapping, key!, Buffer.alloc(4096))).toThrow(/CKR_KEY_UNEXTRACTABLE|CKR_KEY_NOT_WRAPPABLE/);
      }
    } finally {
      lib.C_CloseSession(session);
    }
  });

  it('refuses digests of the wrong length without touching the token', async () => {
    const { keyRef } = await store.generateKeyPair('dr', 'RSA-2048');
    for (const hash of ['SHA-256', 'SHA-384', 'SHA-512'] as HashAlgorithm[]) {
      for (const length of [0, LENGTH[hash] - 1, LENGTH[hash] + 1]) {
        await expect(store.signDigest(keyRef, hash, new Uint8Array(length))).rejects.toMatchObject({ code: 'signing_digest_invalid' });
      }
    }
  });

  it('answers signing_key_not_found for an unknown, malformed or deleted keyRef', async () => {
    await expect(store.signDigest(crypto.randomBytes(16).toString('hex'), 'SHA-256', new Uint8Array(32))).rejects.toMatchObject({ code: 'signing_key_not_found' });
    await expect(store.signDigest('not-hex', 'SHA-256', new Uint8Array(32))).rejects.toMatchObject({ code: 'signing_key_not_found' });
    const { keyRef } = await store.generateKeyPair('dr', 'EC-P256');
    await store.deleteKey(keyRef);
    await expect(store.signDigest(keyRef, 'SHA-256', new Uint8Array(32))).rejects.toMatchObject({ code: 'signing_key_not_found' });
    await expect(store.deleteKey(keyRef)).rejects.toMatchObject({ code: 'signing_key_not_found' });
  });

  it('signs concurrently, each operation in a session of its own', async () => {
    const { keyRef, publicKeySpki } = await store.generateKeyPair('dr', 'EC-P256');
    const publicKey = crypto.createPublicKey({ key: Buffer.from(publicKeySpki), format: 'der', type: 'spki' });
    const documents = Array.from({ length: 50 }, (_, i) => Buffer.from(`prescription ${i}`));
    const signatures = await Promise.all(documents.map((d) => store.signDigest(keyRef, 'SHA-256', crypto.createHash('sha256').update(d).digest())));
    signatures.forEach((signature, i) => expect(crypto.verify('sha256', documents[i]!, publicKey, signature)).toBe(true));
    expect(await store.healthy()).toBe(true);
  });

  it('fails closed with key_store_unavailable on a wrong PIN', async () => {
    const wrong = new Pkcs11KeyStore({ ...options, tokenLabel: 'hpki-sso-other', pin: '0000' });
    try {
      expect(await wrong.healthy()).toBe(false);
      const error = await wrong.generateKeyPair('x', 'EC-P256').catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'key_store_unavailable' });
      expect((error as Error).message).toMatch(/PKCS11_PIN is not accepted/);
      expect((error as Error).message).not.toContain('0000');
      await expect(wrong.signDigest('00'.repeat(16), 'SHA-256', new Uint8Array(32))).rejects.toMatchObject({ code: 'key_store_unavailable' });
      expect((await wrong.check())?.code).toBe('key_store_unavailable');
    } finally {
      await wrong.close();
    }
    // The right PIN on that token works (so it was the PIN, not the token).
    const right = new Pkcs11KeyStore({ ...options, tokenLabel: 'hpki-sso-other', pin: '2468' });
    try {
      expect(await right.healthy()).toBe(true);
    } finally {
      await right.close();
    }
  });

  it('fails closed with key_store_unavailable when the library is missing', async () => {
    const missing = new Pkcs11KeyStore({ ...options, module: '/nonexistent/libpkcs11.so' });
    expect(await missing.healthy()).toBe(false);
    const error = await missing.signDigest('00'.repeat(16), 'SHA-256', new Uint8Array(32)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'key_store_unavailable' });
    expect((error as Error).message).toMatch(/PKCS11_MODULE/);
    await missing.close();
  });

  it('fails closed with key_store_unavailable when the token is not present', async () => {
    const absent = new Pkcs11KeyStore({ ...options, tokenLabel: 'no-such-token' });
    expect(await absent.healthy()).toBe(false);
    await expect(absent.generateKeyPair('x', 'RSA-2048')).rejects.toMatchObject({ code: 'key_store_unavailable' });
    await absent.close();
    // The working store is unaffected by the others opening and closing the same library.
    expect(await store.healthy()).toBe(true);
  });

  it('is closed for good after close()', async () => {
    const other = new Pkcs11KeyStore(options);
    const { keyRef } = await other.generateKeyPair('x', 'EC-P256');
    await other.close();
    expect(await other.healthy()).toBe(false);
    await expect(other.signDigest(keyRef, 'SHA-256', new Uint8Array(32))).rejects.toMatchObject({ code: 'key_store_unavailable' });
    // Its key is still on the token, usable by the store that stays open.
    expect((await store.signDigest(keyRef, 'SHA-256', new Uint8Array(32)))[0]).toBe(0x30);
  });
});
