import { PrismaClient } from '../generated/prisma/client.ts';
import type { Database } from './current.ts';
import { describeTarget, resolveDatabaseTarget, type DatabaseTarget } from './database-target.ts';
import { openDriverAdapter } from './driver-adapter.ts';
import { applyMigrations } from './migrations.ts';
import { clientsChanged } from './client-cache.ts';
import { attachDriver } from './driver-of.ts';
import { withHashedClientSecret } from '../crypto/client-secret.ts';

const WRITES = new Set(['create', 'createMany', 'createManyAndReturn', 'update', 'updateMany', 'updateManyAndReturn', 'upsert', 'delete', 'deleteMany']);

/**
 * Every write to the client table, by any code on this handle, stores a client secret only as its
 * hash, and empties the client cache.
 */
function watchClientWrites(prisma: PrismaClient): PrismaClient {
  return prisma.$extends({
    query: {
      oidcClient: {
        async $allOperations({ operation, args, query }) {
          try {
            if (WRITES.has(operation)) args = hashSecretsIn(args);
            return await query(args);
          } finally {
            if (WRITES.has(operation)) clientsChanged();
          }
        },
      },
    },
  }) as unknown as PrismaClient;
}

/** The write's data (create, update, upsert, createMany) with every metadata.client_secret hashed. */
function hashSecretsIn<A>(args: A): A {
  const hashData = (data: unknown): unknown => {
    if (Array.isArray(data)) return data.map(hashData);
    if (!data || typeof data !== 'object' || !('metadata' in data)) return data;
    return { ...data, metadata: withHashedClientSecret((data as { metadata: unknown }).metadata) };
  };
  const a = args as Record<string, unknown>;
  return { ...a, ...('data' in a ? { data: hashData(a.data) } : {}), ...('create' in a ? { create: hashData(a.create) } : {}), ...('update' in a ? { update: hashData(a.update) } : {}) } as A;
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
  attachDriver(prisma, sql);
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

