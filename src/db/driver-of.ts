import type { SqlQueryable } from '@prisma/driver-adapter-utils';
import type { Db } from './current.ts';

// On globalThis: Next.js bundles page code separately from server.ts, and both must find the same handle.
const KEY = Symbol.for('hpki-sso.driver-of');
const drivers: WeakMap<object, SqlQueryable> = ((globalThis as { [KEY]?: WeakMap<object, SqlQueryable> })[KEY] ??= new WeakMap());

/** Records the driver adapter under a Prisma client (openDatabase does, for every client it makes). */
export function attachDriver(prisma: Db, sql: SqlQueryable): void {
  drivers.set(prisma, sql);
}

/**
 * The driver adapter under `prisma`, for the fixed SQL of the login's hot path (challenges, the card's
 * certificate, login evidence): through the Prisma client each statement costs ~0.45 ms of CPU in
 * query building and result mapping, through the driver ~0.1 ms. Every client comes from
 * openDatabase; a transaction client has no driver of its own and is refused.
 */
export function driverOf(prisma: Db): SqlQueryable {
  const sql = driverIfAny(prisma);
  if (!sql) throw new Error('this Prisma client was not made by openDatabase: no driver adapter to send fixed SQL through');
  return sql;
}

/** The driver adapter under `prisma`, or undefined for a transaction client (whose statements must stay in its transaction). */
export function driverIfAny(prisma: object): SqlQueryable | undefined {
  return drivers.get(prisma);
}

