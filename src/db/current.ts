import type { SqlQueryable } from '@prisma/driver-adapter-utils';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Pool } from 'pg';

export type Db = InstanceType<typeof PrismaClient>;

export interface Database {
  prisma: Db;
  /** The driver adapter under `prisma` (same pool or PGlite handle), for fixed hot-path SQL. */
  sql: SqlQueryable;
  /** The same `pg` pool on PostgreSQL; undefined on the embedded database. */
  pgPool?: Pool;
  description: string;
  close(): Promise<void>;
}

/*
 * The one process holds one database handle. Next.js bundles page code separately from server.ts,
 * so a module-level variable would be duplicated; the handle lives on globalThis instead
 * (two PGlite handles on one folder would corrupt it). This module has no runtime imports so
 * pages can use it without pulling drivers into their bundle.
 */
const GLOBAL_KEY = Symbol.for('hpki-sso.database');
type WithDb = typeof globalThis & { [GLOBAL_KEY]?: Database };

export function installDatabase(database: Database | undefined): void {
  (globalThis as WithDb)[GLOBAL_KEY] = database;
}

/** The Prisma client of the running process. */
export function db(): Db {
  const database = (globalThis as WithDb)[GLOBAL_KEY];
  if (!database) throw new Error('The database is not open: start the portal through server.ts');
  return database.prisma;
}
