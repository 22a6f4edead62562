import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { DatabaseTarget } from './database-target.ts';
import { countStatements } from './statement-count.ts';
import { statementName } from './prepared-statements.ts';

export interface OpenedAdapter {
  factory: SqlMigrationAwareDriverAdapterFactory;
  /** The connection pool on PostgreSQL (for libraries that speak `pg` themselves, e.g. the rate limiter). */
  pool?: pg.Pool;
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

/**
 * adapter-pg runs a migration script by splitting it at every `;`, which breaks PL/pgSQL bodies
 * (the audit log's append-only trigger). PostgreSQL's simple-query protocol takes the whole
 * script at once, as `psql` would send it.
 */
class WholeScriptPrismaPg extends PrismaPg {
  override async connect() {
    const adapter = await super.connect();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    (adapter as any).executeScript = async function (this: any, script: string) {
      try {
        await this.client.query(script);
      } catch (error) {
        this.onError(error);
      }
    };
    return adapter;
  }
}

export interface AdapterOptions {
  /** Migrations need the `"char"` workaround; ordinary queries do not. */
  forMigrations?: boolean;
  poolSize?: number;
}

export class EmbeddedDatabaseBusyError extends Error {
  readonly code = 'database_busy';
}

/**
 * An embedded database has exactly one owner process: a second opener would corrupt it. A lock file
 * beside the folder names the owner; a lock left by a process that no longer runs is taken over.
 */
function lockEmbeddedDatabase(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lockFile = `${dir.replace(/\/+$/, '')}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx', mode: 0o600 });
      return () => fs.rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(fs.readFileSync(lockFile, 'utf8'));
      if (owner && owner !== process.pid && isRunning(owner)) {
        throw new EmbeddedDatabaseBusyError(
          `The embedded database ${dir} is in use by process ${owner} (a running portal?). Stop it first, or use PostgreSQL (DATABASE_URL=postgres://…) to run commands beside the portal.`,
        );
      }
      fs.rmSync(lockFile, { force: true });
    }
  }
  throw new EmbeddedDatabaseBusyError(`Could not lock the embedded database ${dir}`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The embedded database's files are the portal user's alone (0700 folders, 0600 files): what is
 * there already, and — through the process's umask — what PGlite writes later.
 */
export function restrictEmbeddedDatabaseFiles(dir: string): void {
  process.umask(0o077);
  const walk = (p: string) => {
    const stat = fs.lstatSync(p);
    if (stat.isSymbolicLink()) return;
    if (stat.isDirectory()) {
      fs.chmodSync(p, 0o700);
      for (const entry of fs.readdirSync(p)) walk(path.join(p, entry));
    } else {
      fs.chmodSync(p, 0o600);
    }
  };
  walk(dir);
}

export async function openDriverAdapter(target: DatabaseTarget, options: AdapterOptions = {}): Promise<OpenedAdapter> {
  if (target.kind === 'pglite') {
    const release = target.dir === 'memory://' ? () => {} : lockEmbeddedDatabase(target.dir);
    if (target.dir !== 'memory://') restrictEmbeddedDatabaseFiles(target.dir);
    try {
      // PGlite starts PostgreSQL with -F (fsync off) by default; committed data must survive a
      // crash of the machine too, so fsync stays on (measured: no cost for 300 commits).
      const startParams = (PGlite as unknown as { defaultStartParams?: string[] }).defaultStartParams?.filter((p) => p !== '-F');
      const pglite = new PGlite(target.dir, startParams ? { startParams } : {});
      await pglite.waitReady;
      return {
        factory: new PrismaPGlite(pglite),
        close: async () => {
          await pglite.close();
          release();
        },
      };
    } catch (error) {
      release();
      throw error;
    }
  }
  const poolConfig = { connectionString: target.url, max: options.poolSize ?? 10 };
  const pool = options.forMigrations ? new CharAsTextPool(poolConfig) : new pg.Pool(poolConfig);
  // An idle connection that the server drops must not crash the process.
  pool.on('error', () => {});
  countStatements(pool);
  return { factory: options.forMigrations ? new WholeScriptPrismaPg(pool) : new PrismaPg(pool, { statementNameGenerator: statementName }), pool, close: () => pool.end() };
}
