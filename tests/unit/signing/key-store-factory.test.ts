import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnvironment } from '../../../src/config/environment.ts';
import { KeyEncryptionKey } from '../../../src/crypto/key-encryption.ts';
import { createKeyStore } from '../../../src/signing/key-store-factory.ts';
import type { SoftwareKeyRecord, SoftwareKeyRecords } from '../../../src/signing/software-key-store.ts';
import { createSoftHsmToken, type SoftHsmToken } from '../../support/softhsm-token.ts';

function memoryRecords(): SoftwareKeyRecords {
  const rows = new Map<string, SoftwareKeyRecord>();
  return {
    insert: async (r) => void rows.set(r.keyRef, r),
    find: async (keyRef) => rows.get(keyRef) ?? null,
    remove: async (keyRef) => rows.delete(keyRef),
  };
}
const kek = KeyEncryptionKey.fromSecret(crypto.randomBytes(32).toString('base64'));

let token: SoftHsmToken;
beforeAll(() => {
  token = createSoftHsmToken();
  process.env.SOFTHSM2_CONF = token.env.SOFTHSM2_CONF;
});
afterAll(() => token?.remove());

describe('configuration of the key store', () => {
  it('reads PKCS11_MODULE, PKCS11_TOKEN_LABEL and PKCS11_PIN together', () => {
    expect(readEnvironment({}).pkcs11).toBeUndefined();
    expect(readEnvironment({ PKCS11_MODULE: '/usr/lib/softhsm/libsofthsm2.so', PKCS11_TOKEN_LABEL: 'hsm', PKCS11_PIN: '1234' }).pkcs11).toEqual({
      module: '/usr/lib/softhsm/libsofthsm2.so',
      tokenLabel: 'hsm',
      pin: '1234',
    });
    expect(() => readEnvironment({ PKCS11_MODULE: '/usr/lib/softhsm/libsofthsm2.so' })).toThrow(/PKCS11_TOKEN_LABEL and PKCS11_PIN/);
    expect(() => readEnvironment({ PKCS11_MODULE: '/x.so', PKCS11_TOKEN_LABEL: 'x'.repeat(33), PKCS11_PIN: '1' })).toThrow(/PKCS11_TOKEN_LABEL/);
  });
});

describe('createKeyStore', () => {
  it('uses the software store when no PKCS#11 module is configured', async () => {
    const lines: string[] = [];
    const stores = await createKeyStore({}, { records: memoryRecords(), kek, log: (l) => lines.push(l) });
    expect(stores.primary.kind).toBe('software');
    expect(stores.keyStoreFor('software')).toBe(stores.primary);
    expect(() => stores.keyStoreFor('pkcs11')).toThrow(expect.objectContaining({ code: 'key_store_unavailable' }));
    expect(() => stores.keyStoreFor('toString')).toThrow(expect.objectContaining({ code: 'key_store_unavailable' }));
    expect(lines.join('\n')).toMatch(/software key store/);
    await stores.close();
  });

  it('uses the token when PKCS11_MODULE is set, and signs each key in the store that created it', async () => {
    const env = readEnvironment({ ...token.env });
    const lines: string[] = [];
    const stores = await createKeyStore(env, { records: memoryRecords(), kek, log: (l) => lines.push(l) });
    try {
      expect(stores.primary.kind).toBe('pkcs11');
      expect(lines.join('\n')).toMatch(/PKCS#11 token hpki-sso-test/);
      expect(lines.join('\n')).not.toMatch(new RegExp(`\\b${token.env.PKCS11_PIN}\\b`));
      const onToken = await stores.primary.generateKeyPair('dr', 'EC-P256');
      const inSoftware = await stores.keyStoreFor('software').generateKeyPair('dr-before-hsm', 'EC-P256');
      const digest = crypto.createHash('sha256').update('rx').digest();
      for (const [kind, key] of [['pkcs11', onToken], ['software', inSoftware]] as const) {
        const signature = await stores.keyStoreFor(kind).signDigest(key.keyRef, 'SHA-256', digest);
        expect(crypto.verify('sha256', Buffer.from('rx'), crypto.createPublicKey({ key: Buffer.from(key.publicKeySpki), format: 'der', type: 'spki' }), signature)).toBe(true);
      }
      // A key of one store is unknown to the other: never signed by the wrong store.
      await expect(stores.keyStoreFor('software').signDigest(onToken.keyRef, 'SHA-256', digest)).rejects.toMatchObject({ code: 'signing_key_not_found' });
      await expect(stores.keyStoreFor('pkcs11').signDigest(inSoftware.keyRef, 'SHA-256', digest)).rejects.toMatchObject({ code: 'signing_key_not_found' });
    } finally {
      await stores.close();
    }
  });

  it('does not fall back to software keys when the configured token cannot be used', async () => {
    const env = readEnvironment({ ...token.env, PKCS11_PIN: '9999' });
    const lines: string[] = [];
    const stores = await createKeyStore(env, { records: memoryRecords(), kek, log: (l) => lines.push(l) });
    try {
      expect(stores.primary.kind).toBe('pkcs11');
      expect(await stores.primary.healthy()).toBe(false);
      await expect(stores.primary.generateKeyPair('dr', 'RSA-2048')).rejects.toMatchObject({ code: 'key_store_unavailable' });
      expect(lines.join('\n')).toMatch(/NOT usable: PKCS11_PIN is not accepted/);
      expect(lines.join('\n')).not.toContain('9999');
    } finally {
      await stores.close();
    }
  });

  it('fails closed when the PKCS#11 library is missing', async () => {
    const env = readEnvironment({ ...token.env, PKCS11_MODULE: '/nonexistent/libpkcs11.so' });
    const stores = await createKeyStore(env, { records: memoryRecords(), kek });
    try {
      expect(stores.primary.kind).toBe('pkcs11');
      await expect(stores.primary.signDigest('00'.repeat(16), 'SHA-256', new Uint8Array(32))).rejects.toMatchObject({ code: 'key_store_unavailable' });
    } finally {
      await stores.close();
    }
  });
});
