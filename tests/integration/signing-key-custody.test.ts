import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyEncryptionKey } from '../../src/crypto/key-encryption.ts';
import { createKeyStore, type KeyStores } from '../../src/signing/key-store-factory.ts';
import type { SigningKeyAlgorithm } from '../../src/signing/key-store.ts';
import { prismaSoftwareKeyRecords, SoftwareKeyStore } from '../../src/signing/software-key-store.ts';
import { createSoftHsmToken, type SoftHsmToken } from '../support/softhsm-token.ts';
import { startTestPortal, type TestPortal } from '../support/test-portal.ts';

/**
 * Key custody on a real portal database (PGlite, or PostgreSQL on the CI leg that sets
 * DATABASE_URL): the software store's keys are in the database only sealed, so a full dump of
 * every table holds no private key in any encoding, and the sealed blobs do not open under another
 * installation's key-encryption key. The PKCS#11 store (SoftHSM2) is registered beside it.
 */
let t: TestPortal;
let token: SoftHsmToken;
let stores: KeyStores;

beforeAll(async () => {
  token = createSoftHsmToken();
  process.env.SOFTHSM2_CONF = token.env.SOFTHSM2_CONF;
  t = await startTestPortal('key-custody', { env: { ...token.env } });
  stores = await createKeyStore(t.portal.env, { prisma: t.portal.prisma, kek: t.portal.kek });
}, 60_000);
afterAll(async () => {
  await stores?.close();
  await t?.close();
  token?.remove();
});

/** Every row of every table in schema public, as PostgreSQL's text form of the row (bytea as hex). */
async function dumpDatabase(): Promise<{ table: string; row: string }[]> {
  const tables = await t.portal.prisma.$queryRawUnsafe<{ table_name: string }[]>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const rows: { table: string; row: string }[] = [];
  for (const { table_name } of tables) {
    const quoted = `"${table_name.replace(/"/g, '""')}"`;
    for (const { row, json } of await t.portal.prisma.$queryRawUnsafe<{ row: string; json: string }[]>(
      `SELECT t::text AS row, row_to_json(t)::text AS json FROM public.${quoted} t`,
    )) {
      rows.push({ table: table_name, row: `${row}\n${json}` });
    }
  }
  return rows;
}

/** What the test (not the portal) can recover from a row with the right key-encryption key. */
function unsealForTest(kek: KeyEncryptionKey, keyRef: string, algorithm: string, sealed: string): Buffer {
  const [, iv, ciphertext, tag] = sealed.split('.');
  const decipher = crypto.createDecipheriv('aes-256-gcm', kek.derive('signing-key-store'), Buffer.from(iv!, 'base64url'));
  decipher.setAAD(Buffer.from(`hpki-sso:software-signing-key:${keyRef}:${algorithm}`));
  decipher.setAuthTag(Buffer.from(tag!, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext!, 'base64url')), decipher.final()]);
}

/** Every encoding of the private key we can produce: PKCS#8/PKCS#1/SEC1 DER (hex, base64, base64url), PEM lines, JWK private members. */
function privateKeyEncodings(pkcs8: Buffer): Map<string, string> {
  const key = crypto.createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  const out = new Map<string, string>();
  const binary = (name: string, bytes: Buffer) => {
    out.set(`${name} hex`, bytes.toString('hex'));
    out.set(`${name} base64`, bytes.toString('base64'));
    out.set(`${name} base64url`, bytes.toString('base64url'));
  };
  binary('PKCS#8 DER', pkcs8);
  const traditional = key.export({ format: 'der', type: key.asymmetricKeyType === 'rsa' ? 'pkcs1' : 'sec1' });
  binary(key.asymmetricKeyType === 'rsa' ? 'PKCS#1 DER' : 'SEC1 DER', traditional);
  for (const [format, pem] of [
    ['PKCS#8 PEM', key.export({ format: 'pem', type: 'pkcs8' }) as string],
    ['traditional PEM', key.export({ format: 'pem', type: key.asymmetricKeyType === 'rsa' ? 'pkcs1' : 'sec1' }) as string],
  ] as const) {
    const lines = pem.split('\n').filter((l) => l && !l.startsWith('-----'));
    out.set(`${format} body`, lines.join(''));
    // Every full 64-character line but the first, which is mostly the ASN.1 header every key of its type shares.
    lines.slice(1, -1).forEach((line, i) => out.set(`${format} line ${i + 2}`, line));
  }
  const jwk = key.export({ format: 'jwk' });
  for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) {
    const value = jwk[member];
    if (!value) continue;
    out.set(`JWK ${member}`, value);
    binary(`JWK ${member} bytes`, Buffer.from(value, 'base64url'));
  }
  return out;
}

describe('key custody in the database', () => {
  it('keeps the software store’s private keys out of every table, in every encoding', async () => {
    const software = stores.keyStoreFor('software');
    const keys: { keyRef: string; algorithm: SigningKeyAlgorithm; publicKeySpki: Uint8Array }[] = [];
    for (const algorithm of ['RSA-2048', 'EC-P256', 'RSA-2048', 'EC-P256'] as SigningKeyAlgorithm[]) {
      keys.push({ algorithm, ...(await software.generateKeyPair(`practitioner-${keys.length}`, algorithm)) });
    }
    // As the remote-signing code stores a credential: a reference to the key and its public key.
    for (const key of keys) {
      await t.portal.prisma.signingCredential.create({
        data: {
          id: crypto.randomUUID(),
          ownerId: crypto.randomUUID(),
          keyStore: 'software',
          keyRef: key.keyRef,
          keyAlgorithm: key.algorithm,
          publicKeySpki: Buffer.from(key.publicKeySpki),
          status: 'active',
        },
      });
      // Each key signs (it is opened in memory for that only).
      const digest = crypto.createHash('sha256').update(key.keyRef).digest();
      const signature = await software.signDigest(key.keyRef, 'SHA-256', digest);
      const publicKey = crypto.createPublicKey({ key: Buffer.from(key.publicKeySpki), format: 'der', type: 'spki' });
      expect(crypto.verify('sha256', Buffer.from(key.keyRef), publicKey, signature)).toBe(true);
    }

    const dump = await dumpDatabase();
    const tables = new Set(dump.map((r) => r.table));
    expect(tables).toContain('software_signing_key');
    expect(tables).toContain('signing_credential');
    const text = dump.map((r) => r.row).join('\n');

    const found: string[] = [];
    for (const key of keys) {
      const row = await t.portal.prisma.softwareSigningKey.findUniqueOrThrow({ where: { keyRef: key.keyRef } });
      // Positive control: the dump does show this key's row and public key, so the search looks in the right place.
      expect(text).toContain(row.sealedPrivateKey);
      expect(text).toContain(Buffer.from(key.publicKeySpki).toString('hex'));

      const pkcs8 = unsealForTest(t.portal.kek, key.keyRef, key.algorithm, row.sealedPrivateKey);
      for (const [encoding, value] of privateKeyEncodings(pkcs8)) {
        expect(value.length).toBeGreaterThanOrEqual(40);
        for (const { table, row: line } of dump) {
          if (line.toLowerCase().includes(value.toLowerCase())) found.push(`${key.algorithm} ${key.keyRef}: ${encoding} in ${table}`);
        }
      }
      pkcs8.fill(0);
    }
    expect(found).toEqual([]);
  });

  it('the sealed blobs do not open under another key-encryption key', async () => {
    const software = stores.keyStoreFor('software');
    const { keyRef } = await software.generateKeyPair('practitioner', 'EC-P256');
    const row = await t.portal.prisma.softwareSigningKey.findUniqueOrThrow({ where: { keyRef } });
    const otherKek = KeyEncryptionKey.fromSecret(crypto.randomBytes(32).toString('base64'));

    expect(() => unsealForTest(otherKek, keyRef, 'EC-P256', row.sealedPrivateKey)).toThrow();
    const elsewhere = new SoftwareKeyStore(prismaSoftwareKeyRecords(t.portal.prisma), otherKek);
    const error = await elsewhere.signDigest(keyRef, 'SHA-256', new Uint8Array(32)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'key_store_unavailable' });
    expect((error as Error).message).toMatch(/key-encryption key/);
    await elsewhere.close();
    // The right key-encryption key still signs.
    expect((await software.signDigest(keyRef, 'SHA-256', new Uint8Array(32)))[0]).toBe(0x30);
  });

  it('registers the configured PKCS#11 token beside the software store; token keys leave only a reference', async () => {
    expect(stores.primary.kind).toBe('pkcs11');
    const { keyRef, publicKeySpki } = await stores.primary.generateKeyPair('practitioner', 'RSA-2048');
    expect(await t.portal.prisma.softwareSigningKey.count({ where: { keyRef } })).toBe(0);
    const digest = crypto.createHash('sha512').update('rx').digest();
    const signature = await stores.keyStoreFor('pkcs11').signDigest(keyRef, 'SHA-512', digest);
    expect(crypto.verify('sha512', Buffer.from('rx'), crypto.createPublicKey({ key: Buffer.from(publicKeySpki), format: 'der', type: 'spki' }), signature)).toBe(true);
    await expect(stores.keyStoreFor('software').signDigest(keyRef, 'SHA-512', digest)).rejects.toMatchObject({ code: 'signing_key_not_found' });
  });
});
