import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { DatabaseTarget } from './database-target.ts';

export interface OpenedAdapter {
  factory: SqlMigrationAwareDriverAdapterFactory;
  /** Releases the embedded database or the pool; scripts must call it or the process never exits. */
  close(): Promise<void>;
}

/**
 * adapter-pg cannot deserialize PostgreSQL's internal `"char"` type (OID 18), which the schema
 * engine meets while introspecting the catalog; reporting it as text (OID 25) is lossless here.
 */
class CharAsTextPool extends pg.Pool {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override async query(...args: any[]): Promise<any> {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const result = await (super.query as any)(...args);
    result?.fields?.forEach((f: { dataTypeID: number }) => {
      if (f.dataTypeID === 18) f.dataTypeID = 25;
    });
    return result;
  }
}

export interface AdapterOptions {
  /** Migrations need the `"char"` workaround; ordinary queries do not. */
  forMigrations?: boolean;
  poolSize?: number;
}

export async function openDriverAdapter(target: DatabaseTarget, options: AdapterOptions = {}): Promise<OpenedAdapter> {
  if (target.kind === 'pglite') {
    if (target.dir !== 'memory://') fs.mkdirSync(target.dir, { recursive: true });
    const pglite = new PGlite(target.dir);
    await pglite.waitReady;
    return { factory: new PrismaPGlite(pglite), close: () => pglite.close() };
  }
  const poolConfig = { connectionString: target.url, max: options.poolSize ?? 10 };
  const pool = options.forMigrations ? new CharAsTextPool(poolConfig) : new pg.Pool(poolConfig);
  // An idle connection that the server drops must not crash the process.
  pool.on('error', () => {});
  return { factory: new PrismaPg(pool), close: () => pool.end() };
}
