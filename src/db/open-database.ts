import { PrismaClient } from '../generated/prisma/client.ts';
import type { Database } from './current.ts';
import { describeTarget, resolveDatabaseTarget, type DatabaseTarget } from './database-target.ts';
import { openDriverAdapter } from './driver-adapter.ts';
import { applyMigrations } from './migrations.ts';
import { clientsChanged } from '../clients/client-cache.ts';

const WRITES = new Set(['create', 'createMany', 'createManyAndReturn', 'update', 'updateMany', 'updateManyAndReturn', 'upsert', 'delete', 'deleteMany']);

/** Every write to the client table, by any code on this handle, empties the client cache. */
function watchClientWrites(prisma: PrismaClient): PrismaClient {
  return prisma.$extends({
    query: {
      oidcClient: {
        async $allOperations({ operation, args, query }) {
          try {
            return await query(args);
          } finally {
            if (WRITES.has(operation)) clientsChanged();
          }
        },
      },
    },
  }) as unknown as PrismaClient;
}

export type { DatabaseTarget };

export interface OpenedDatabase extends Database {
  target: DatabaseTarget;
}

export interface OpenDatabaseOptions {
  url?: string;
  /** Apply committed migrations before returning (what `npm start` does). */
  migrate?: boolean;
  log?: (line: string) => void;
}

export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<OpenedDatabase> {
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
  const prisma = watchClientWrites(new PrismaClient({ adapter: opened.factory }));
  // The driver adapter over the same pool (PostgreSQL) or PGlite handle, for fixed SQL on hot paths.
  const sql = await opened.factory.connect();
  return {
    prisma,
    sql,
    pgPool: opened.pool,
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

