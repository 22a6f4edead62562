import crypto from 'node:crypto';

/*
 * The fixed SQL of the hot paths (oidc-provider's store, the account read, challenges, the card's
 * certificate, login evidence, the audit append) runs as named prepared statements on PostgreSQL:
 * each connection parses and plans a statement once and then only binds and executes it. Measured
 * on this machine's PostgreSQL 15: a keyed read of oidc_payload cost the server 116 µs of CPU
 * unnamed and 50 µs prepared, the upsert 118 µs and 72 µs. Only SQL registered here is named, so
 * the set of statements a connection keeps is fixed and small (Prisma's own queries stay unnamed).
 * PGlite has no statement cache: it ignores the names.
 */
const names = new Map<string, string>();

/** Registers fixed SQL text (no values in it, ever) as a prepared statement; returns the text. */
export function prepared(sql: string): string {
  if (!names.has(sql)) names.set(sql, `hpki_${crypto.createHash('sha256').update(sql).digest('hex').slice(0, 24)}`);
  return sql;
}

/** adapter-pg's statementNameGenerator: the name of registered SQL, none for any other. */
export function statementName(query: { sql: string }): string {
  // adapter-pg's type says string; an empty name is pg's unnamed statement.
  return names.get(query.sql) ?? '';
}
