import type { ArgType } from '@prisma/driver-adapter-utils';

/*
 * Parameter types for fixed SQL sent through Prisma's driver adapter (PostgreSQL pool or PGlite).
 * Values are always parameters, never part of the SQL text.
 */
export const TEXT: ArgType = { scalarType: 'string', arity: 'scalar' };
export const INT: ArgType = { scalarType: 'int', arity: 'scalar' };
export const JSONB: ArgType = { scalarType: 'json', arity: 'scalar' };
/** A JavaScript Date into a `TIMESTAMP(3)` column (UTC, as Prisma stores DateTime). */
export const TIMESTAMP: ArgType = { scalarType: 'datetime', dbType: 'TIMESTAMP', arity: 'scalar' };
