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
    });
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
    expect(await db.prisma.practitioner.count()).toBe(2);
  });
});
