import type { ArgType, SqlQueryable } from '@prisma/driver-adapter-utils';

/** What an OpenID account needs of a practitioner: the claims' fields and whether they are locked. */
export interface AccountRow {
  id: string;
  familyName: string;
  givenName: string;
  familyNameKanji: string | null;
  givenNameKanji: string | null;
  birthDate: string | null;
  /** As stored (`hc_roles` JSON); parse with parseStoredHcRoles. */
  hcRoles: unknown;
  locked: boolean;
}

const TEXT: ArgType = { scalarType: 'string', arity: 'scalar' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The practitioner behind an account, read with fixed SQL through the driver adapter like
 * oidc-provider's own store (src/oidc/payload-store.ts): every login asks twice (authorization and
 * token request) and every refresh grant once, and through the Prisma client each read cost
 * ~0.45 ms of CPU against ~0.1 ms here. Every column comes back as text, so PostgreSQL and PGlite
 * give the same values without driver-specific type parsing. Not a UUID: no practitioner.
 */
export async function readAccountRow(sql: SqlQueryable, id: string): Promise<AccountRow | null> {
  if (!UUID.test(id)) return null;
  const result = await sql.queryRaw({
    sql: `SELECT id::text, family_name, given_name, family_name_kanji, given_name_kanji, birth_date, hc_roles::text, (locked_at IS NOT NULL)::text
          FROM practitioner WHERE id = $1::uuid`,
    args: [id],
    argTypes: [TEXT],
  });
  const row = result.rows[0] as (string | null)[] | undefined;
  if (!row) return null;
  return {
    id: row[0]!,
    familyName: row[1]!,
    givenName: row[2]!,
    familyNameKanji: row[3] ?? null,
    givenNameKanji: row[4] ?? null,
    birthDate: row[5] ?? null,
    hcRoles: JSON.parse(row[6] ?? '[]') as unknown,
    locked: row[7] === 'true',
  };
}
