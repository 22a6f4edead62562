import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type OpenedDatabase } from '../../src/db/open-database.ts';
import { readAccountRow } from '../../src/practitioners/account-row.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

/**
 * The practitioner read behind every OpenID account (fixed SQL, src/practitioners/account-row.ts)
 * gives what the Prisma client gives, on PGlite and on PostgreSQL (DATABASE_URL).
 */
let database: TestDatabase;
let db: OpenedDatabase;

beforeAll(async () => {
  database = await createTestDatabase('account-row');
  db = await openDatabase({ url: database.url, migrate: true });
}, 60_000);
afterAll(async () => {
  await db?.close();
  await database?.drop();
});

describe('readAccountRow', () => {
  it('reads every field the claims need, as the Prisma client stores them', async () => {
    const hcRoles = [{ role: 'Medical Doctor', codingScheme: '1.2.392.100495.1.6.1.1' }];
    const made = await db.prisma.practitioner.create({
      data: { registrationNumber: 'ROW-1', familyName: 'Yamada', givenName: 'Taro', familyNameKanji: '山田', givenNameKanji: '太郎', birthDate: '1980-04-01', hcRoles },
    });
    expect(await readAccountRow(db.sql, made.id)).toEqual({
      id: made.id,
      familyName: 'Yamada',
      givenName: 'Taro',
      familyNameKanji: '山田',
      givenNameKanji: '太郎',
      birthDate: '1980-04-01',
      hcRoles,
      locked: false,
      linkedAccount: null,
    });
  });

  it("reads the asking service's approved link in the same statement, and only that service's, only approved", async () => {
    const made = await db.prisma.practitioner.create({ data: { registrationNumber: 'ROW-3', familyName: 'Ito', givenName: 'Jiro' } });
    const link = (clientId: string, status: string, serviceUserId: string | null) =>
      db.prisma.serviceLink.create({ data: { practitionerId: made.id, clientId, status, serviceUserId } });
    await link('svc-approved', 'approved', 'EHR-123');
    await link('svc-requested', 'requested', null);
    await link('svc-rejected', 'rejected', 'EHR-999');
    await link('svc-approved-empty', 'approved', null);
    expect((await readAccountRow(db.sql, made.id, 'svc-approved'))?.linkedAccount).toBe('EHR-123');
    for (const clientId of ['svc-requested', 'svc-rejected', 'svc-approved-empty', 'svc-unknown', undefined]) {
      expect(await readAccountRow(db.sql, made.id, clientId)).toMatchObject({ id: made.id, familyName: 'Ito', linkedAccount: null });
    }
    // Another practitioner's link to the same service is not this one's.
    const other = await db.prisma.practitioner.create({ data: { registrationNumber: 'ROW-4', familyName: 'Ueda', givenName: 'Ken' } });
    expect((await readAccountRow(db.sql, other.id, 'svc-approved'))?.linkedAccount).toBeNull();
    // A client id is a parameter, never SQL.
    expect((await readAccountRow(db.sql, made.id, "svc-approved' OR '1'='1"))?.linkedAccount).toBeNull();
  });

  it('empty optional fields are null, no roles an empty list; a lock is seen at once', async () => {
    const made = await db.prisma.practitioner.create({ data: { registrationNumber: 'ROW-2', familyName: 'Sato', givenName: 'Hanako' } });
    expect(await readAccountRow(db.sql, made.id)).toMatchObject({ familyNameKanji: null, givenNameKanji: null, birthDate: null, hcRoles: [], locked: false });
    await db.prisma.practitioner.update({ where: { id: made.id }, data: { lockedAt: new Date() } });
    expect((await readAccountRow(db.sql, made.id))?.locked).toBe(true);
  });

  it('an unknown id, a malformed one and an injection attempt read nothing and never reach the database as SQL', async () => {
    expect(await readAccountRow(db.sql, '00000000-0000-4000-8000-000000000000')).toBeNull();
    for (const id of ['', 'not-a-uuid', '0'.repeat(36), "x' OR '1'='1", '00000000-0000-4000-8000-000000000000; DROP TABLE practitioner']) {
      expect(await readAccountRow(db.sql, id)).toBeNull();
    }
    expect(await db.prisma.practitioner.count()).toBe(4);
  });
});
