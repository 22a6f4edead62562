import crypto from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { SqlQueryable } from '@prisma/driver-adapter-utils';
import { TEXT, TIMESTAMP } from '../db/sql-arg-types.ts';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import { handler as builtInRefreshTokenGrant, parameters as refreshTokenParameters } from 'oidc-provider/lib/actions/grants/refresh_token.js';
import * as grantHelpers from 'oidc-provider/lib/helpers/grants.js';
import { storedPayloadId } from './payload-store.ts';
import { prepared } from '../db/prepared-statements.ts';
import { sendDeferredWrites } from './provider-write-batch.ts';
import { currentProviderRequest } from './provider-request.ts';

const FIND_REFRESH_TOKEN = prepared(`SELECT id, (consumed_at IS NOT NULL)::text, coalesce(payload->>'superseded', 'false') FROM oidc_payload
           WHERE model = 'RefreshToken' AND grant_id = $1 AND (id = $2 OR payload->>'rotatedFrom' = $3)`);
const MARK_SUPERSEDED = prepared(`UPDATE oidc_payload SET consumed_at = coalesce(consumed_at, $2), payload = payload || '{"superseded": true}'::jsonb WHERE model = 'RefreshToken' AND id = $1`);

/*
 * Refresh-token rotation that survives a lost response (issue 13 §15).
 *
 * Every refresh spends the presented token and hands out a new one; presenting a spent token again
 * normally revokes the whole grant (the EHR's physician is logged out). If the response carrying
 * the new token was lost, the EHR can only retry with the previous one. So a spent token presented
 * again is answered like a first use when
 *   - it was spent at most REFRESH_TOKEN_RETRY_SECONDS (60) ago, and
 *   - none of the tokens it was rotated into has been used yet.
 * The retry gets a fresh pair — a new access token and a new refresh token rotated from the
 * presented one — and the refresh tokens issued for it earlier and never used are spent
 * ("superseded") at that moment: the lost token is never handed out twice (only its hash may be
 * stored one day), and if it was not lost but stolen, presenting it later is reuse. Any other reuse
 * still revokes the grant: after the window, after the new token was used, or of a superseded token.
 *
 * Lineage is kept in the stored payload, beside what oidc-provider reads (it ignores unknown
 * keys): each rotated token carries `rotatedFrom`, the SHA-256 of the token it replaced (never a
 * usable value), and a superseded token `superseded: true`. Everything else is oidc-provider's own
 * refresh_token handler, which this wraps (registered again under the same grant type).
 */


export interface RefreshRetryOptions {
  sql: () => SqlQueryable;
  /** REFRESH_TOKEN_RETRY_SECONDS; 0 turns the grace off (every reuse revokes the grant). */
  graceSeconds: number;
}

interface PresentedToken {
  jti: string;
  clientId: string;
  grantId?: string;
  consumed?: unknown;
  isExpired: boolean;
}

/** Emitted by the provider with (ctx, number of superseded tokens) when a retry was answered. */
export const REFRESH_RETRY_EVENT = 'refresh_token.retried';

const lineageHash = (jti: string) => crypto.createHash('sha256').update(jti).digest('base64url');

/**
 * The `rotatedFrom` of a refresh token about to be stored, read from the request saving it: the hash
 * of the token it replaces when this is the new token of a rotation, else undefined. The store
 * (prisma-adapter.ts) writes it with the token itself — no update after the insert, one statement
 * less per refresh grant.
 */
export function rotatedFromOf(id: string): string | undefined {
  const entities = currentProviderRequest()?.oidc?.entities;
  const rotated = entities?.RotatedRefreshToken as PresentedToken | undefined;
  const issued = entities?.RefreshToken as PresentedToken | undefined;
  if (!rotated || !issued || issued === rotated || issued.jti !== id) return undefined;
  return lineageHash(rotated.jti);
}

/**
 * Whether a spent refresh token may be answered as a retry and, if so, which unused tokens issued
 * for it the retry supersedes. `now` in epoch seconds.
 */
export async function retryOfSpentRefreshToken(sql: SqlQueryable, token: PresentedToken, graceSeconds: number, now = Math.floor(Date.now() / 1000)) {
  const spentAt = Number(token.consumed);
  if (!token.grantId || !Number.isFinite(spentAt) || now - spentAt > graceSeconds) return null;
  const result = await sql.queryRaw({
    sql: FIND_REFRESH_TOKEN,
    args: [token.grantId, storedPayloadId('RefreshToken', token.jti), lineageHash(token.jti)],
    argTypes: [TEXT, TEXT, TEXT],
  });
  // Rows are keyed by the hash of the token (payload-store.ts), never by the token itself.
  const selfId = storedPayloadId('RefreshToken', token.jti);
  const rows = (result.rows as [string, string, string][]).map(([id, consumed, superseded]) => ({ id, consumed: consumed === 'true', superseded: superseded === 'true' }));
  const self = rows.find((r) => r.id === selfId);
  const successors = rows.filter((r) => r.id !== selfId);
  // Itself superseded by a retry, never rotated, or a token it was rotated into was used: reuse.
  if (!self || self.superseded || successors.length === 0 || successors.some((r) => r.consumed && !r.superseded)) return null;
  return { supersede: successors.filter((r) => !r.consumed).map((r) => r.id) };
}

export function allowRefreshTokenRetries(provider: InstanceType<typeof Provider>, options: RefreshRetryOptions): void {
  const helpers = Object.fromEntries(Object.entries(grantHelpers).map(([name, helper]) => [name, helper.bind(undefined, provider)]));
  // Per refresh request (oidc-provider's AsyncLocalStorage context): the retry it was allowed.
  const retries = new WeakMap<object, { supersede: string[] }>();
  const RefreshToken = provider.RefreshToken as unknown as {
    find(value: string, options?: object): Promise<PresentedToken | undefined>;
  };
  // The handler reads the presented token once, here: a spent one that may be retried is handed over as unspent.
  const find = RefreshToken.find.bind(RefreshToken);
  RefreshToken.find = async (value, findOptions) => {
    const token = await find(value, findOptions);
    const ctx = currentProviderRequest();
    const params = ctx?.oidc?.params;
    if (
      !token?.consumed ||
      !ctx ||
      options.graceSeconds <= 0 ||
      ctx.oidc.route !== 'token' ||
      params?.grant_type !== 'refresh_token' ||
      params.refresh_token !== value ||
      token.clientId !== ctx.oidc.client?.clientId ||
      token.isExpired
    ) {
      return token;
    }
    const retry = await retryOfSpentRefreshToken(options.sql(), token, options.graceSeconds);
    if (retry) {
      retries.set(ctx, retry);
      token.consumed = undefined;
    }
    return token;
  };

  const grant = async (ctx: KoaContextWithOIDC) => {
    await builtInRefreshTokenGrant(provider, helpers, ctx);
    const rotated = ctx.oidc.entities.RotatedRefreshToken as PresentedToken | undefined;
    const issued = ctx.oidc.entities.RefreshToken as PresentedToken | undefined;
    if (!rotated || !issued || issued === rotated) return;
    // The new token was stored with its lineage (rotatedFromOf); once the pair exists, the unused
    // tokens issued for an earlier attempt are spent.
    const retry = retries.get(ctx);
    if (!retry) return;
    // The new pair is stored before the earlier attempt's tokens are spent (provider-write-batch.ts).
    await sendDeferredWrites();
    for (const id of retry.supersede) {
      await options.sql().executeRaw({
        sql: MARK_SUPERSEDED,
        args: [id, new Date()],
        argTypes: [TEXT, TIMESTAMP],
      });
    }
    // For the audit log (provider-events.ts): a spent token was accepted as a retry.
    (provider as unknown as EventEmitter).emit(REFRESH_RETRY_EVENT, ctx, retry.supersede.length);
  };
  // Registered as oidc-provider registers its own (initialize_app.js): resource and RAR parameters too.
  provider.registerGrantType('refresh_token', grant as never, [...refreshTokenParameters, 'resource', 'authorization_details'], ['resource']);
}
