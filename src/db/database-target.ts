import path from 'node:path';

/** Where the data lives: embedded PGlite in a folder (the zero-setup default) or a PostgreSQL server. */
export type DatabaseTarget = { kind: 'pglite'; dir: string } | { kind: 'postgres'; url: string };

export class DatabaseUrlError extends Error {
  readonly code = 'database_url_invalid';
}

/** Reads DATABASE_URL: unset → `.data/db`; `pglite:<dir>` (or `pglite:memory`); `postgres://` / `postgresql://`. */
export function resolveDatabaseTarget(raw = process.env.DATABASE_URL, cwd = process.cwd()): DatabaseTarget {
  if (!raw || raw.trim() === '') return { kind: 'pglite', dir: path.resolve(cwd, '.data/db') };
  if (raw.startsWith('pglite:')) {
    const dir = raw.slice('pglite:'.length).replace(/^\/\/(?=\.|\/)/, '');
    if (dir === '' ) throw new DatabaseUrlError('DATABASE_URL "pglite:" needs a folder, e.g. pglite:.data/db');
    if (dir === 'memory') return { kind: 'pglite', dir: 'memory://' };
    return { kind: 'pglite', dir: path.resolve(cwd, dir) };
  }
  if (/^postgres(ql)?:\/\//.test(raw)) return { kind: 'postgres', url: raw };
  throw new DatabaseUrlError(
    `DATABASE_URL must be postgres://…, postgresql://… or pglite:<folder>; got a value starting "${raw.slice(0, 12)}"`,
  );
}

/** A printable description with any password removed. */
export function describeTarget(target: DatabaseTarget): string {
  if (target.kind === 'pglite') return `PGlite (${target.dir})`;
  const u = new URL(target.url);
  if (u.password) u.password = '***';
  return `PostgreSQL (${u.toString()})`;
}
