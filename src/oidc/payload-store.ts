import type { ArgType, SqlQueryable } from '@prisma/driver-adapter-utils';
import type { AdapterPayload } from 'oidc-provider';

/*
 * oidc-provider's state (sessions, interactions, grants, codes, tokens) in `oidc_payload`, read and
 * written with fixed SQL through Prisma's driver adapter — the same pool or PGlite handle the Prisma
 * client uses. These are the portal's most frequent queries (about 35 per login, 7 per refresh
 * grant); through the Prisma client each cost ~0.45 ms of CPU in query building and result
 * mapping, through the driver adapter ~0.1 ms (measured, see README "Benchmark").
 * Values are always parameters, never part of the SQL text.
 */

const TEXT: ArgType = { scalarType: 'string', arity: 'scalar' };
const JSONB: ArgType = { scalarType: 'json', arity: 'scalar' };
const TIMESTAMP: ArgType = { scalarType: 'datetime', dbType: 'TIMESTAMP', arity: 'scalar' };

/** payload as text and consumed_at as whole epoch seconds: no driver-specific type parsing. */
const SELECT = `SELECT payload::text, floor(extract(epoch from consumed_at))::int8::text FROM oidc_payload`;
const LIVE = `(expires_at IS NULL OR expires_at > $3)`;

export interface StoredPayload {
  model: string;
  id: string;
  payload: AdapterPayload;
  grantId?: string | null;
  userCode?: string | null;
  uid?: string | null;
  expiresAt: Date | null;
}

export function payloadStore(sql: () => SqlQueryable) {
  async function one(where: string, model: string, value: string): Promise<AdapterPayload | undefined> {
    const result = await sql().queryRaw({
      sql: `${SELECT} WHERE model = $1 AND ${where} = $2 AND ${LIVE} LIMIT 1`,
      args: [model, value, new Date()],
      argTypes: [TEXT, TEXT, TIMESTAMP],
    });
    const row = result.rows[0] as [string, string | null] | undefined;
    if (!row) return undefined;
    const payload = JSON.parse(row[0]) as AdapterPayload;
    // oidc-provider reads `consumed` (epoch seconds) to refuse a second use of a code or token.
    return row[1] === null ? payload : { ...payload, consumed: Number(row[1]) };
  }

  return {
    find: (model: string, id: string) => one('id', model, id),
    findByUid: (model: string, uid: string) => one('uid', model, uid),
    findByUserCode: (model: string, userCode: string) => one('user_code', model, userCode),

    async upsert(row: StoredPayload): Promise<void> {
      await sql().executeRaw({
        sql: `INSERT INTO oidc_payload (model, id, payload, grant_id, user_code, uid, expires_at)
              VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7)
              ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
                user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at`,
        args: [row.model, row.id, JSON.stringify(row.payload), row.grantId ?? null, row.userCode ?? null, row.uid ?? null, row.expiresAt],
        argTypes: [TEXT, TEXT, JSONB, TEXT, TEXT, TEXT, TIMESTAMP],
      });
    },

    /** Marks a code or token used; only the first use counts (consumed_at set once). */
    async consume(model: string, id: string): Promise<void> {
      await sql().executeRaw({
        sql: `UPDATE oidc_payload SET consumed_at = $3 WHERE model = $1 AND id = $2 AND consumed_at IS NULL`,
        args: [model, id, new Date()],
        argTypes: [TEXT, TEXT, TIMESTAMP],
      });
    },

    async destroy(model: string, id: string): Promise<void> {
      await sql().executeRaw({ sql: `DELETE FROM oidc_payload WHERE model = $1 AND id = $2`, args: [model, id], argTypes: [TEXT, TEXT] });
    },

    async revokeByGrantId(grantId: string): Promise<void> {
      await sql().executeRaw({ sql: `DELETE FROM oidc_payload WHERE grant_id = $1`, args: [grantId], argTypes: [TEXT] });
    },
  };
}
