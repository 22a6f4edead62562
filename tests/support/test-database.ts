import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * A database of its own for one test or one server: a fresh PostgreSQL database when DATABASE_URL
 * points to a server (the CI leg on real PostgreSQL), otherwise an embedded PGlite folder.
 */
export interface TestDatabase {
  url: string;
  kind: 'pglite' | 'postgres';
  drop(): Promise<void>;
}

export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  const base = process.env.DATABASE_URL;
  const suffix = `${label.replace(/[^a-z0-9]/gi, '').toLowerCase().slice(0, 20)}_${crypto.randomBytes(4).toString('hex')}`;
  if (base && /^postgres(ql)?:\/\//.test(base)) {
    const name = `hpki_${suffix}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(base);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      kind: 'postgres',
      async drop() {
        const c = new pg.Client({ connectionString: base });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.end();
      },
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `hpki-${suffix}-`));
  return {
    url: `pglite:${dir}/db`,
    kind: 'pglite',
    async drop() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
