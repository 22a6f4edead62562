import { PrismaClient } from '../generated/prisma/client.ts';
import { describeTarget, resolveDatabaseTarget, type DatabaseTarget } from './database-target.ts';
import { openDriverAdapter } from './driver-adapter.ts';
import { applyMigrations } from './migrations.ts';

export type Db = InstanceType<typeof PrismaClient>;
export type { DatabaseTarget };

export interface Database {
  prisma: Db;
  target: DatabaseTarget;
  description: string;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  url?: string;
  /** Apply committed migrations before returning (what `npm start` does). */
  migrate?: boolean;
  log?: (line: string) => void;
}

export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  const target = resolveDatabaseTarget(options.url ?? process.env.DATABASE_URL);
  const description = describeTarget(target);
  if (options.migrate && target.kind === 'postgres') {
    const migrator = await openDriverAdapter(target, { forMigrations: true, poolSize: 1 });
    try {
      report(await applyMigrations(migrator.factory), options.log);
    } finally {
      await migrator.close();
    }
  }
  const opened = await openDriverAdapter(target);
  // PGlite allows one handle per folder, so the same handle migrates and then serves queries.
  if (options.migrate && target.kind === 'pglite') report(await applyMigrations(opened.factory), options.log);
  const prisma = new PrismaClient({ adapter: opened.factory });
  return {
    prisma,
    target,
    description,
    async close() {
      await prisma.$disconnect();
      await opened.close();
    },
  };
}

function report(applied: string[], log?: (line: string) => void) {
  if (log) log(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database schema is up to date');
}

/*
 * The one process holds one database handle. Next.js bundles page code separately from server.ts,
 * so a module-level variable would be duplicated; the handle lives on globalThis instead
 * (two PGlite handles on one folder would corrupt it).
 */
const GLOBAL_KEY = Symbol.for('hpki-sso.database');
type WithDb = typeof globalThis & { [GLOBAL_KEY]?: Database };

export function installDatabase(database: Database): void {
  (globalThis as WithDb)[GLOBAL_KEY] = database;
}

export function currentDatabase(): Database {
  const database = (globalThis as WithDb)[GLOBAL_KEY];
  if (!database) throw new Error('The database is not open: start the portal through server.ts');
  return database;
}

/** The Prisma client of the running process. */
export function db(): Db {
  return currentDatabase().prisma;
}
