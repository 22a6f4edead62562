import crypto from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyEncryptionKey } from '../../../src/crypto/key-encryption.ts';
import { KeyStoreError, type HashAlgorithm, type SigningKeyAlgorithm } from '../../../src/signing/key-store.ts';
import { SoftwareKeyStore, type SoftwareKeyRecord, type SoftwareKeyRecords } from '../../../src/signing/software-key-store.ts';

/** The table as a map: what the store writes is what a database dump would show. */
function memoryRecords(): SoftwareKeyRecords & { rows: Map<string, SoftwareKeyRecord> } {
  const rows = new Map<string, SoftwareKeyRecord>();
  return {
    rows,
    async insert(record) {
      if (rows.has(record.keyRef)) throw new Error('duplicate key');
      rows.set(record.keyRef, structuredClone(record));
    },
    async find(keyRef) {
      return rows.get(keyRef) ?? null;
    },
    async remove(keyRef) {
      return rows.delete(keyRef);
    },
  };
}

const newKek = () => KeyEncryptionKey.fromSecret(crypto.randomBytes(32).toString('base64'));
const nodeHash = (hash: HashAlgorithm) => hash.replace('-', '').toLowerCase();
const LENGTH: Record<HashAlgorithm, number> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };

const stores: SoftwareKeyStore[] = [];
function newStore(records = memoryRecords(), kek = newKek()) {
  const store = new SoftwareKeyStore(records, kek);
  stores.push(store);
  return { store, records, kek };
}
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

describe('SoftwareKeyStore', () => {
  for (const algorithm of ['RSA-2048', 'EC-P256'] as SigningKeyAlgorithm[]) {
    for (const hash of ['SHA-256', 'SHA-384', 'SHA-512'] as HashAlgorithm[]) {
      it(`signs a ${hash} digest with an ${algorithm} key, verifiable with the public key`, async () => {
        const { store } = newStore();
        const { keyRef, publicKeySpki } = await store.generateKeyPair('dr-kagurazaka', algorithm);
        const publicKey = crypto.createPublicKey({ key: Buffer.from(publicKeySpki), format: 'der', type: 'spki' });
        expect(publicKey.asymmetricKeyType).toBe(algorithm === 'RSA-2048' ? 'rsa' : 'ec');
        if (algorithm === 'RSA-2048') expect(publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
        else expect(publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');

        const document = Buffer.from(`e-prescription ${crypto.randomUUID()}`);
        const digest = crypto.createHash(nodeHash(hash)).update(document).digest();
        const signature = await store.signDigest(keyRef, hash, digest);
        expect(crypto.verify(nodeHash(hash), document, publicKey, signature)).toBe(true);
        // Bound to the document: another one does not verify.
        expect(crypto.verify(nodeHash(hash), Buffer.from('another document'), publicKey, signature)).toBe(false);
      });
    }
  }

  it('signs RSA as deterministic PKCS#1 v1.5 over the DigestInfo of the named hash', async () => {
    const { store } = newStore();
    const { keyRef, publicKeySpki } = await store.generateKeyPair('rsa', 'RSA-2048');
    const digest = crypto.createHash('sha256').update('x').digest();
    const a = await store.signDigest(keyRef, 'SHA-256', digest);
    const b = await store.signDigest(keyRef, 'SHA-256', digest);
    expect(Buffer.from(a)).toEqual(Buffer.from(b));
    const publicKey = crypto.createPublicKey({ key: Buffer.from(publicKeySpki), format: 'der', type: 'spki' });
    // Signed as SHA-256 DigestInfo: verifying as SHA-384 over the same bytes fails.
    expect(crypto.verify('sha384', Buffer.from('x'), publicKey, a)).toBe(false);
  });

  it('refuses digests of the wrong length and signs nothing', async () => {
    const { store } = newStore();
    const { keyRef } = await store.generateKeyPair('dr', 'EC-P256');
    for (const hash of ['SHA-256', 'SHA-384', 'SHA-512'] as HashAlgorithm[]) {
      for (const length of [0, LENGTH[hash] - 1, LENGTH[hash] + 1, 20]) {
        await expect(store.signDigest(keyRef, hash, new Uint8Array(length))).rejects.toMatchObject({ code: 'signing_digest_invalid' });
      }
    }
    await expect(store.signDigest(keyRef, 'MD5' as HashAlgorithm, new Uint8Array(16))).rejects.toMatchObject({ code: 'signing_algorithm_unsupported' });
  });

  it('answers signing_key_not_found for an unknown, malformed or deleted keyRef', async () => {
    const { store } = newStore();
    const digest = new Uint8Array(32);
    await expect(store.signDigest(crypto.randomBytes(16).toString('hex'), 'SHA-256', digest)).rejects.toMatchObject({ code: 'signing_key_not_found' });
    await expect(store.signDigest("' OR 1=1 --", 'SHA-256', digest)).rejects.toMatchObject({ code: 'signing_key_not_found' });
    const { keyRef } = await store.generateKeyPair('dr', 'RSA-2048');
    await store.deleteKey(keyRef);
    await expect(store.signDigest(keyRef, 'SHA-256', digest)).rejects.toMatchObject({ code: 'signing_key_not_found' });
    await expect(store.deleteKey(keyRef)).rejects.toMatchObject({ code: 'signing_key_not_found' });
  });

  it('refuses unknown key algorithms', async () => {
    const { store } = newStore();
    await expect(store.generateKeyPair('dr', 'RSA-1024' as SigningKeyAlgorithm)).rejects.toMatchObject({ code: 'signing_algorithm_unsupported' });
  });

  it('stores only a sealed private key, bound to its keyRef and to the key-encryption key', async () => {
    const { store, records, kek } = newStore();
    const a = await store.generateKeyPair('a', 'EC-P256');
    const b = await store.generateKeyPair('b', 'EC-P256');
    const rowA = records.rows.get(a.keyRef)!;
    expect(rowA.sealedPrivateKey).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(rowA.label).toBe('a');

    // Another installation's key-encryption key cannot open it: fail closed, nothing signed.
    const other = newStore(records, newKek()).store;
    await expect(other.signDigest(a.keyRef, 'SHA-256', new Uint8Array(32))).rejects.toMatchObject({ code: 'key_store_unavailable' });

    // Nor does the root key itself, nor the purpose key under another context (row swapped).
    const [, iv, ciphertext, tag] = rowA.sealedPrivateKey.split('.');
    const tryOpen = (key: Buffer, aad: string) => {
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(iv!, 'base64url'));
      decipher.setAAD(Buffer.from(aad));
      decipher.setAuthTag(Buffer.from(tag!, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext!, 'base64url')), decipher.final()]);
    };
    const context = `hpki-sso:software-signing-key:${a.keyRef}:EC-P256`;
    expect(crypto.createPrivateKey({ key: tryOpen(kek.derive('signing-key-store'), context), format: 'der', type: 'pkcs8' }).asymmetricKeyType).toBe('ec');
    expect(() => tryOpen(kek.derive('signing-key-store'), `hpki-sso:software-signing-key:${b.keyRef}:EC-P256`)).toThrow();
    expect(() => tryOpen(kek.derive('oidc-cookies'), context)).toThrow();

    // A sealed key copied into another row does not open there.
    records.rows.set(b.keyRef, { ...records.rows.get(b.keyRef)!, sealedPrivateKey: rowA.sealedPrivateKey });
    await expect(store.signDigest(b.keyRef, 'SHA-256', new Uint8Array(32))).rejects.toMatchObject({ code: 'key_store_unavailable' });
    // And the original still signs.
    expect((await store.signDigest(a.keyRef, 'SHA-256', new Uint8Array(32))).length).toBeGreaterThan(60);
  });

  it('never puts key material in an error', async () => {
    const { store, records, kek } = newStore();
    const { keyRef } = await store.generateKeyPair('a', 'RSA-2048');
    const row = records.rows.get(keyRef)!;
    const [, iv, ciphertext, tag] = row.sealedPrivateKey.split('.');
    const decipher = crypto.createDecipheriv('aes-256-gcm', kek.derive('signing-key-store'), Buffer.from(iv!, 'base64url'));
    decipher.setAAD(Buffer.from(`hpki-sso:software-signing-key:${keyRef}:RSA-2048`));
    decipher.setAuthTag(Buffer.from(tag!, 'base64url'));
    const pkcs8 = Buffer.concat([decipher.update(Buffer.from(ciphertext!, 'base64url')), decipher.final()]);
    const jwk = crypto.createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ format: 'jwk' });
    const secrets = [pkcs8.toString('hex'), pkcs8.toString('base64'), jwk.d!, jwk.p!, jwk.q!, ciphertext!];

    const errors: unknown[] = [];
    const tampered = (sealed: string) => records.rows.set(keyRef, { ...row, sealedPrivateKey: sealed });
    tampered(`v1.${iv}.${ciphertext}.${Buffer.alloc(16).toString('base64url')}`);
    errors.push(await store.signDigest(keyRef, 'SHA-256', new Uint8Array(32)).catch((e: unknown) => e));
    tampered(`v9.${ciphertext}`);
    errors.push(await store.signDigest(keyRef, 'SHA-256', new Uint8Array(32)).catch((e: unknown) => e));
    records.rows.set(keyRef, row);
    errors.push(await store.signDigest(keyRef, 'SHA-256', new Uint8Array(31)).catch((e: unknown) => e));
    for (const error of errors) {
      expect(error).toBeInstanceOf(KeyStoreError);
      const text = `${(error as Error).message} ${(error as Error).stack} ${JSON.stringify(error)}`;
      for (const secret of secrets) expect(text).not.toContain(secret.slice(0, 24));
    }
  });

  it('is unhealthy and refuses to work once closed', async () => {
    const { store } = newStore();
    expect(await store.healthy()).toBe(true);
    const { keyRef } = await store.generateKeyPair('a', 'EC-P256');
    await store.close();
    expect(await store.healthy()).toBe(false);
    await expect(store.signDigest(keyRef, 'SHA-256', new Uint8Array(32))).rejects.toMatchObject({ code: 'key_store_unavailable' });
  });

  it('is unhealthy when its table cannot be read', async () => {
    const records = memoryRecords();
    records.find = async () => {
      throw new Error('connection refused');
    };
    expect(await newStore(records).store.healthy()).toBe(false);
  });
});
