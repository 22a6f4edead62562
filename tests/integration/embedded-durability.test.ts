import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { openDatabase, type OpenedDatabase } from '../../src/db/open-database.ts';

/** The embedded database runs with fsync on (PGlite's own default turns it off). */
let database: TestDatabase;
let opened: OpenedDatabase;
beforeAll(async () => {
  database = await createTestDatabase('durability');
  opened = await openDatabase({ url: database.url, migrate: true });
});
afterAll(async () => {
  await opened?.close();
  await database?.drop();
});

describe('durability settings', () => {
  it('fsync is on', async () => {
    const rows = await opened.prisma.$queryRawUnsafe<{ fsync: string }[]>('SHOW fsync');
    expect(rows[0]!.fsync).toBe('on');
  });
});
