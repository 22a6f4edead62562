import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';

/**
 * Runs Prisma's schema engine from its wasm build, driven through our driver adapter, so migrations
 * work offline: the Prisma CLI would download a native engine binary. The package's entry uses a
 * `.wasm` ES import (needs a Node flag), so the module is instantiated here by hand instead.
 */
const require = createRequire(import.meta.url);

export const projectRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const schemaPath = path.join(projectRoot, 'prisma/schema.prisma');
export const migrationsDir = path.join(projectRoot, 'prisma/migrations');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Engine = any;

async function loadSchemaEngineModule() {
  const bgPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
  const pkgDir = path.dirname(bgPath);
  const bg = await import(/* webpackIgnore: true */ bgPath);
  const { instance } = await WebAssembly.instantiate(fs.readFileSync(path.join(pkgDir, 'schema_engine_bg.wasm')), {
    './schema_engine_bg.js': bg,
  });
  bg.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  return bg as { SchemaEngine: { new: (...args: unknown[]) => Promise<Engine> } };
}

let enginePromise: ReturnType<typeof loadSchemaEngineModule> | undefined;

async function createEngine(factory: SqlMigrationAwareDriverAdapterFactory): Promise<{ engine: Engine; files: unknown }> {
  enginePromise ??= loadSchemaEngineModule();
  const { SchemaEngine } = await enginePromise;
  const schemaText = fs.readFileSync(schemaPath, 'utf8');
  const engine = await SchemaEngine.new(
    { datamodels: [[schemaPath, schemaText]] },
    () => {},
    bindMigrationAwareSqlAdapterFactory(factory),
  );
  return { engine, files: { files: [{ path: schemaPath, content: schemaText }] } };
}

const filters = { externalTables: [], externalEnums: [] };

function migrationsList() {
  const dirs = fs.existsSync(migrationsDir)
    ? fs
        .readdirSync(migrationsDir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort()
    : [];
  const lockPath = path.join(migrationsDir, 'migration_lock.toml');
  return {
    baseDir: migrationsDir,
    lockfile: {
      path: 'migration_lock.toml',
      content: fs.existsSync(lockPath) ? fs.readFileSync(lockPath, 'utf8') : null,
    },
    shadowDbInitScript: '',
    migrationDirectories: dirs.map((d) => ({
      path: d,
      migrationFile: {
        path: 'migration.sql',
        content: { tag: 'ok', value: fs.readFileSync(path.join(migrationsDir, d, 'migration.sql'), 'utf8') },
      },
    })),
  };
}

/** `migrate deploy`: applies every committed migration not yet applied; idempotent. */
export async function applyMigrations(factory: SqlMigrationAwareDriverAdapterFactory): Promise<string[]> {
  const { engine } = await createEngine(factory);
  try {
    const out = await engine.applyMigrations({ filters, migrationsList: migrationsList() });
    return out.appliedMigrationNames as string[];
  } finally {
    engine.free?.();
  }
}

/** SQL that takes a database holding every committed migration to the current schema ('' when none). */
export async function diffAgainstSchema(factory: SqlMigrationAwareDriverAdapterFactory): Promise<string> {
  const { engine, files } = await createEngine(factory);
  try {
    const out = await engine.diff({
      from: { tag: 'schemaDatasource', ...(files as object), configDir: projectRoot },
      to: { tag: 'schemaDatamodel', ...(files as object) },
      script: true,
      exitCode: null,
      filters,
    });
    const sql = String(out.stdout ?? '');
    return /^\s*(--.*empty migration.*)?\s*$/i.test(sql) ? '' : sql;
  } finally {
    engine.free?.();
  }
}

/** Writes a new migration folder `<timestamp>_<name>/migration.sql`. */
export function writeMigration(name: string, sql: string, now = new Date()): string {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error('Migration name: lower-case letters, digits and _ only');
  const stamp = now.toISOString().replace(/\D/g, '').slice(0, 14);
  const dir = path.join(migrationsDir, `${stamp}_${name}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'migration.sql'), sql);
  const lock = path.join(migrationsDir, 'migration_lock.toml');
  if (!fs.existsSync(lock)) {
    fs.writeFileSync(lock, '# Written by scripts/db-migrate.ts; do not edit.\nprovider = "postgresql"\n');
  }
  return dir;
}
