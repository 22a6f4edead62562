import crypto from 'node:crypto';
import type { SqlQueryable } from '@prisma/driver-adapter-utils';
import { JSONB, TEXT, TIMESTAMP } from '../db/sql-arg-types.ts';
import { prepared } from '../db/prepared-statements.ts';
import type { AdapterPayload } from 'oidc-provider';

/*
 * oidc-provider's state (sessions, interactions, grants, codes, tokens) in `oidc_payload`, read and
 * written with fixed SQL through Prisma's driver adapter — the same pool or PGlite handle the Prisma
 * client uses. These are the portal's most frequent queries (about 24 per login, 7 per refresh
 * grant); through the Prisma client each cost ~0.45 ms of CPU in query building and result
 * mapping, through the driver adapter ~0.1 ms (measured, see README "Benchmark").
 * Values are always parameters, never part of the SQL text.
 */

/** payload as text and consumed_at as whole epoch seconds: no driver-specific type parsing. */
const SELECT = `SELECT payload::text, floor(extract(epoch from consumed_at))::int8::text FROM oidc_payload`;
const LIVE = `(expires_at IS NULL OR expires_at > $3)`;
/** One live row of a model by its id, uid or user code (prepared statements on PostgreSQL). */
const FIND_BY = {
  id: prepared(`${SELECT} WHERE model = $1 AND id = $2 AND ${LIVE} LIMIT 1`),
  uid: prepared(`${SELECT} WHERE model = $1 AND uid = $2 AND ${LIVE} LIMIT 1`),
  user_code: prepared(`${SELECT} WHERE model = $1 AND user_code = $2 AND ${LIVE} LIMIT 1`),
};
/**
 * A code or token with the grant and the session it names, in one statement: oidc-provider reads
 * both right after the token (at the token endpoint and in every refresh grant), two statements
 * more each time. The same expiry rule for all three rows.
 */
// Subqueries, not joins: each then looks its row up by an index (the primary key, the uid index); as
// joins, PostgreSQL's generic plan scanned every grant and session for the one it wanted. The session's
// model is compared as an expression so that only the uid index fits: without statistics (PGlite never
// analyses) the planner otherwise scanned every session through the primary key's model prefix.
const FIND_WITH_GRANT_AND_SESSION = prepared(`SELECT t.payload::text, floor(extract(epoch from t.consumed_at))::int8::text,
             t.grant_id,
             (SELECT g.payload::text FROM oidc_payload g WHERE g.model = 'Grant' AND g.id = t.grant_id AND (g.expires_at IS NULL OR g.expires_at > $3)),
             t.payload->>'sessionUid',
             (SELECT s.payload::text FROM oidc_payload s WHERE s.uid = t.payload->>'sessionUid' AND (s.model || '') = 'Session' AND (s.expires_at IS NULL OR s.expires_at > $3) LIMIT 1)
           FROM oidc_payload t
           WHERE t.model = $1 AND t.id = $2 AND (t.expires_at IS NULL OR t.expires_at > $3)
           LIMIT 1`);
/** Rows written by one statement at most (provider-write-batch.ts holds two or three per request). */
const MAX_ROWS_PER_UPSERT = 8;
const UPSERT_COLUMNS = 7;
/** The upsert of `count` rows; rows of one statement have distinct (model, id), as ON CONFLICT requires. */
const upsertSql = (count: number) =>
  prepared(`INSERT INTO oidc_payload (model, id, payload, grant_id, user_code, uid, expires_at)
              VALUES ${Array.from({ length: count }, (_, r) => {
                const n = r * UPSERT_COLUMNS;
                return `($${n + 1}, $${n + 2}, $${n + 3}::jsonb, $${n + 4}, $${n + 5}, $${n + 6}, $${n + 7})`;
              }).join(', ')}
              ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
                user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at`);
const UPSERT = Array.from({ length: MAX_ROWS_PER_UPSERT + 1 }, (_, count) => (count === 0 ? '' : upsertSql(count)));
const UPSERT_ARG_TYPES = [TEXT, TEXT, JSONB, TEXT, TEXT, TEXT, TIMESTAMP];
const CONSUME = prepared(`UPDATE oidc_payload SET consumed_at = $3 WHERE model = $1 AND id = $2 AND consumed_at IS NULL`);
/**
 * Read and mark used in one statement, answering with the row as it was: the row is locked first
 * (FOR UPDATE waits for a concurrent use and then sees it), so of two uses at once only one finds it unused.
 */
const FIND_AND_CONSUME = prepared(`WITH previous AS (SELECT consumed_at FROM oidc_payload WHERE model = $1 AND id = $2 AND ${LIVE} FOR UPDATE)
           UPDATE oidc_payload p SET consumed_at = coalesce(p.consumed_at, $3) FROM previous WHERE p.model = $1 AND p.id = $2
           RETURNING p.payload::text, floor(extract(epoch from previous.consumed_at))::int8::text`);
const DESTROY = prepared(`DELETE FROM oidc_payload WHERE model = $1 AND id = $2`);
const REVOKE_GRANT = prepared(`DELETE FROM oidc_payload WHERE grant_id = $1`);
const NEWEST_CONSENT = prepared(`SELECT id, payload::text FROM oidc_payload
           WHERE model = 'Grant' AND expires_at > $3
             AND payload->>'accountId' = $1 AND payload->>'clientId' = $2
             AND (payload->'rar' IS NULL OR jsonb_typeof(payload->'rar') <> 'array' OR jsonb_array_length(payload->'rar') = 0)
           ORDER BY expires_at DESC LIMIT 1`);

/**
 * Models whose id is a credential: the token or code itself, the session cookie, the pushed request's
 * URI. They are stored under the SHA-256 of the id and without it in the payload (SPEC §12: a
 * database dump yields no usable token, code or session id); a lookup hashes the id it is given.
 * A session is also found by its uid (not a secret), so its id is kept sealed with the
 * key-encryption key to give oidc-provider back the whole session.
 */
const SECRET_ID_MODELS = new Set([
  'AccessToken',
  'RefreshToken',
  'AuthorizationCode',
  'Session',
  'PushedAuthorizationRequest',
  'ClientCredentials',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'RegistrationAccessToken',
  'InitialAccessToken',
]);

/** The key a model's row is stored under: the id itself, or for a credential its SHA-256. */
export function storedPayloadId(model: string, id: string): string {
  return SECRET_ID_MODELS.has(model) ? crypto.createHash('sha256').update(id).digest('base64url') : id;
}

/** Sealing of a session's id (its cookie value) inside the stored payload. */
export interface SessionIdSeal {
  seal(id: string): string;
  open(sealed: string): string;
}

export interface StoredPayload {
  model: string;
  id: string;
  payload: AdapterPayload;
  grantId?: string | null;
  userCode?: string | null;
  uid?: string | null;
  expiresAt: Date | null;
}

/**
 * The newest live consent (Grant) of this account to this client that is not a remote-signing one
 * (a remote-signing grant's window is its own), with its payload: one statement where finding the
 * id and then loading the grant took two.
 */
export async function newestConsentGrant(sql: SqlQueryable, accountId: string, clientId: string): Promise<{ id: string; payload: AdapterPayload } | undefined> {
  const result = await sql.queryRaw({
    sql: NEWEST_CONSENT,
    args: [accountId, clientId, new Date()],
    argTypes: [TEXT, TEXT, TIMESTAMP],
  });
  const row = result.rows[0] as [string, string] | undefined;
  return row ? { id: row[0], payload: JSON.parse(row[1]) as AdapterPayload } : undefined;
}

/** A code or token as oidc-provider reads it, with the grant and session it names. */
export interface TokenWithContext {
  payload: AdapterPayload;
  grant?: { id: string; payload: AdapterPayload };
  session?: { uid: string; payload: AdapterPayload };
}

/** A stored payload as oidc-provider reads it: `consumed` (epoch seconds) refuses a second use of a code or token. */
function withConsumed(payloadText: string, consumedAt: string | null): AdapterPayload {
  const payload = JSON.parse(payloadText) as AdapterPayload;
  return consumedAt === null ? payload : { ...payload, consumed: Number(consumedAt) };
}

export function payloadStore(sql: () => SqlQueryable, sessionIds: SessionIdSeal) {
  /** What is written: a credential's id leaves the payload (a session's stays, sealed). */
  function forStorage(model: string, payload: AdapterPayload): AdapterPayload {
    if (!SECRET_ID_MODELS.has(model) || payload.jti === undefined) return payload;
    const { jti, ...rest } = payload;
    return model === 'Session' ? { ...rest, sealedJti: sessionIds.seal(String(jti)) } : rest;
  }

  /** What oidc-provider reads: the payload with its id back (the one it looked up by, or unsealed). */
  function fromStorage(model: string, payload: AdapterPayload, id?: string): AdapterPayload {
    if (!SECRET_ID_MODELS.has(model)) return payload;
    const { sealedJti, ...rest } = payload as AdapterPayload & { sealedJti?: string };
    const jti = id ?? (typeof sealedJti === 'string' ? sessionIds.open(sealedJti) : undefined);
    return jti === undefined ? rest : { ...rest, jti };
  }

  async function one(where: keyof typeof FIND_BY, model: string, value: string): Promise<AdapterPayload | undefined> {
    const result = await sql().queryRaw({
      sql: FIND_BY[where],
      args: [model, value, new Date()],
      argTypes: [TEXT, TEXT, TIMESTAMP],
    });
    const row = result.rows[0] as [string, string | null] | undefined;
    return row && withConsumed(row[0], row[1]);
  }

  /** Rows in one statement per MAX_ROWS_PER_UPSERT; a later row for the same (model, id) replaces an earlier one. */
  async function upsertMany(rows: readonly StoredPayload[]): Promise<void> {
    const unique = [...new Map(rows.map((row) => [`${row.model}\u0000${row.id}`, row])).values()];
    for (let start = 0; start < unique.length; start += MAX_ROWS_PER_UPSERT) {
      const chunk = unique.slice(start, start + MAX_ROWS_PER_UPSERT);
      await sql().executeRaw({
        sql: UPSERT[chunk.length]!,
        args: chunk.flatMap((row) => [row.model, storedPayloadId(row.model, row.id), JSON.stringify(forStorage(row.model, row.payload)), row.grantId ?? null, row.userCode ?? null, row.uid ?? null, row.expiresAt]),
        argTypes: chunk.flatMap(() => UPSERT_ARG_TYPES),
      });
    }
  }

  return {
    async find(model: string, id: string) {
      const found = await one('id', model, storedPayloadId(model, id));
      return found && fromStorage(model, found, id);
    },
    /** A code or token, and the live grant and session it names (each undefined when there is none). */
    async findWithGrantAndSession(model: string, id: string): Promise<TokenWithContext | undefined> {
      const result = await sql().queryRaw({
        sql: FIND_WITH_GRANT_AND_SESSION,
        args: [model, storedPayloadId(model, id), new Date()],
        argTypes: [TEXT, TEXT, TIMESTAMP],
      });
      const row = result.rows[0] as [string, string | null, string | null, string | null, string | null, string | null] | undefined;
      if (!row) return undefined;
      return {
        payload: fromStorage(model, withConsumed(row[0], row[1]), id),
        grant: row[2] !== null && row[3] !== null ? { id: row[2], payload: JSON.parse(row[3]) as AdapterPayload } : undefined,
        session: row[4] !== null && row[5] !== null ? { uid: row[4], payload: fromStorage('Session', JSON.parse(row[5]) as AdapterPayload) } : undefined,
      };
    },
    /** The row as it was before this call, now marked used (a first use leaves `consumed` unset in the answer). */
    async findAndConsume(model: string, id: string): Promise<AdapterPayload | undefined> {
      const result = await sql().queryRaw({
        sql: FIND_AND_CONSUME,
        args: [model, storedPayloadId(model, id), new Date()],
        argTypes: [TEXT, TEXT, TIMESTAMP],
      });
      const row = result.rows[0] as [string, string | null] | undefined;
      return row && fromStorage(model, withConsumed(row[0], row[1]), id);
    },
    async findByUid(model: string, uid: string) {
      const found = await one('uid', model, uid);
      return found && fromStorage(model, found);
    },
    async findByUserCode(model: string, userCode: string) {
      const found = await one('user_code', model, userCode);
      return found && fromStorage(model, found);
    },

    async upsert(row: StoredPayload): Promise<void> {
      await upsertMany([row]);
    },

    upsertMany,

    /** Marks a code or token used; only the first use counts (consumed_at set once). */
    async consume(model: string, id: string): Promise<void> {
      await sql().executeRaw({
        sql: CONSUME,
        args: [model, storedPayloadId(model, id), new Date()],
        argTypes: [TEXT, TEXT, TIMESTAMP],
      });
    },

    async destroy(model: string, id: string): Promise<void> {
      await sql().executeRaw({ sql: DESTROY, args: [model, storedPayloadId(model, id)], argTypes: [TEXT, TEXT] });
    },

    async revokeByGrantId(grantId: string): Promise<void> {
      await sql().executeRaw({ sql: REVOKE_GRANT, args: [grantId], argTypes: [TEXT] });
    },
  };
}
