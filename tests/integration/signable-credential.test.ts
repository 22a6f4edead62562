import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type OpenedDatabase } from '../../src/db/open-database.ts';
import { readCredentialForSigning } from '../../src/signing/signable-credential.ts';
import { createSigningKey } from '../../src/signing/signing-credentials.ts';
import { prismaSoftwareKeyRecords, SoftwareKeyStore } from '../../src/signing/software-key-store.ts';
import { KeyEncryptionKey } from '../../src/crypto/key-encryption.ts';
import { issueSecondCertificateWithTestCa } from '../../src/demo/second-certificate-issuer.ts';
import { createHpkiTestPki, type HpkiTestPki } from '../../src/pki/test-pki/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

/**
 * The reads of every signHash call in fixed SQL (the credential with its owner's lock, the sealed
 * software key) give what the Prisma client gives, on PGlite and on PostgreSQL (DATABASE_URL).
 */
let database: TestDatabase;
let db: OpenedDatabase;
let pki: HpkiTestPki;
let store: SoftwareKeyStore;

beforeAll(async () => {
  database = await createTestDatabase('signable-credential');
  db = await openDatabase({ url: database.url, migrate: true });
  pki = await createHpkiTestPki();
  store = new SoftwareKeyStore(prismaSoftwareKeyRecords(db.prisma), KeyEncryptionKey.fromSecret(crypto.randomBytes(32).toString('base64')));
}, 60_000);
afterAll(async () => {
  await db?.close();
  await database?.drop();
});

async function practitioner(n: string) {
  return db.prisma.practitioner.create({ data: { registrationNumber: `SIGN-${n}`, familyName: 'Sato', givenName: 'Hana' } });
}

describe('readCredentialForSigning', () => {
  it('reads the credential as the Prisma client stores it, certificate bytes included', async () => {
    const owner = await practitioner('1');
    const made = await createSigningKey(db.prisma, store, owner.id);
    // Before its certificate: no certificate, pending.
    const pending = await readCredentialForSigning(db.sql, made.id);
    expect(pending).toMatchObject({ id: made.id, ownerId: owner.id, certificate: null, ownerLocked: false });
    await issueSecondCertificateWithTestCa(db.prisma, made.id, pki.signCa, [pki.root.der]);
    const row = await db.prisma.signingCredential.findUniqueOrThrow({ where: { id: made.id } });
    const read = await readCredentialForSigning(db.sql, made.id);
    expect(read).toEqual({
      id: row.id,
      ownerId: row.ownerId,
      practitionerId: row.practitionerId,
      status: row.status,
      keyStore: row.keyStore,
      keyRef: row.keyRef,
      keyAlgorithm: row.keyAlgorithm,
      certificate: new Uint8Array(row.certificate!),
      ownerLocked: false,
    });
    expect(read!.status).toBe('active');
    expect(read!.practitionerId).toBe(owner.id);
  });

  it('says when the owner is locked, and finds nothing for an unknown or hostile id', async () => {
    const owner = await practitioner('2');
    const made = await createSigningKey(db.prisma, store, owner.id);
    await db.prisma.practitioner.update({ where: { id: owner.id }, data: { lockedAt: new Date() } });
    expect((await readCredentialForSigning(db.sql, made.id))?.ownerLocked).toBe(true);
    await db.prisma.practitioner.update({ where: { id: owner.id }, data: { lockedAt: null } });
    expect((await readCredentialForSigning(db.sql, made.id))?.ownerLocked).toBe(false);
    expect(await readCredentialForSigning(db.sql, 'no-such-credential')).toBeNull();
    expect(await readCredentialForSigning(db.sql, "' OR 1=1 --")).toBeNull();
  });
});

describe('software key records through the driver', () => {
  it('find gives what the Prisma client gives; unknown keys are not found; the key signs', async () => {
    const owner = await practitioner('3');
    const made = await createSigningKey(db.prisma, store, owner.id);
    const records = prismaSoftwareKeyRecords(db.prisma);
    const row = await db.prisma.softwareSigningKey.findUniqueOrThrow({ where: { keyRef: made.keyRef } });
    expect(await records.find(made.keyRef)).toEqual({
      keyRef: row.keyRef,
      label: row.label,
      algorithm: row.algorithm,
      sealedPrivateKey: row.sealedPrivateKey,
      publicKeySpki: new Uint8Array(row.publicKeySpki),
    });
    expect(await records.find('0'.repeat(32))).toBeNull();
    const digest = crypto.createHash('sha256').update('prescription').digest();
    const signature = await store.signDigest(made.keyRef, 'SHA-256', digest);
    const publicKey = crypto.createPublicKey({ key: Buffer.from(row.publicKeySpki), format: 'der', type: 'spki' });
    expect(crypto.verify('sha256', Buffer.from('prescription'), publicKey, signature)).toBe(true);
    // Inside a transaction the client has no driver of its own: the Prisma path reads the same record.
    await db.prisma.$transaction(async (tx) => {
      expect((await prismaSoftwareKeyRecords(tx as never).find(made.keyRef))?.sealedPrivateKey).toBe(row.sealedPrivateKey);
    });
  });
});
