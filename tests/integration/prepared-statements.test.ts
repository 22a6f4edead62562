import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type OpenedDatabase } from '../../src/db/open-database.ts';
import { prepared, statementName } from '../../src/db/prepared-statements.ts';
import { readAccountRow } from '../../src/practitioners/account-row.ts';
import { issueChallenge, consumeChallenge } from '../../src/auth/challenges.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

/**
 * The hot paths' fixed SQL runs as named prepared statements on PostgreSQL (src/db/prepared-statements.ts);
 * Prisma's own queries and any unregistered SQL stay unnamed. On PGlite the same calls work unnamed.
 */
let database: TestDatabase;
let db: OpenedDatabase;
const onPostgres = !!process.env.DATABASE_URL?.startsWith('postgres');

beforeAll(async () => {
  database = await createTestDatabase('prepared-statements');
  db = await openDatabase({ url: database.url, migrate: true });
}, 60_000);
afterAll(async () => {
  await db?.close();
  await database?.drop();
});

describe('statement names', () => {
  it('registered SQL has one stable name per text; unregistered SQL has none', () => {
    const a = prepared('SELECT 1 AS prepared_test_a');
    const b = prepared('SELECT 1 AS prepared_test_b');
    expect(statementName({ sql: a })).toMatch(/^hpki_[0-9a-f]{24}$/);
    expect(statementName({ sql: a })).toBe(statementName({ sql: prepared('SELECT 1 AS prepared_test_a') }));
    expect(statementName({ sql: b })).not.toBe(statementName({ sql: a }));
    expect(statementName({ sql: 'SELECT 1 AS never_registered' })).toBe('');
  });
});

describe('on the database', () => {
  it('the fixed SQL gives the same answers, again and again (a prepared statement reused on its connection)', async () => {
    const made = await db.prisma.practitioner.create({ data: { registrationNumber: 'PREP-1', familyName: 'Mori', givenName: 'Aki' } });
    for (let i = 0; i < 5; i++) expect(await readAccountRow(db.sql, made.id)).toMatchObject({ id: made.id, familyName: 'Mori', locked: false });
    for (let i = 0; i < 3; i++) {
      const { value } = await issueChallenge(db.prisma, 'hpki-card', `prep-${i}`, 60);
      expect(await consumeChallenge(db.prisma, 'hpki-card', `prep-${i}`, value)).toEqual({ ok: true, data: null });
      expect(await consumeChallenge(db.prisma, 'hpki-card', `prep-${i}`, value)).toEqual({ ok: false, reason: 'replayed' });
    }
  });

  it.runIf(onPostgres)('PostgreSQL keeps the account read as a named prepared statement; Prisma queries are not', async () => {
    const made = await db.prisma.practitioner.create({ data: { registrationNumber: 'PREP-2', familyName: 'Kawa', givenName: 'Yu' } });
    // Sequential queries: the pool hands the last released connection back (the same session).
    await readAccountRow(db.sql, made.id);
    await db.prisma.practitioner.findUnique({ where: { id: made.id } });
    const { rows } = await db.sql.queryRaw({ sql: 'SELECT name, statement FROM pg_prepared_statements', args: [], argTypes: [] });
    const names = (rows as [string, string][]).map(([name]) => name);
    expect(names.some((n) => n.startsWith('hpki_'))).toBe(true);
    expect((rows as [string, string][]).some(([name, statement]) => name === statementName({ sql: statement }) && statement.includes('FROM practitioner p'))).toBe(true);
    expect(names.every((n) => n.startsWith('hpki_'))).toBe(true);
  });
});
