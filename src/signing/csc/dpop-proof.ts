import crypto from 'node:crypto';
import { EmbeddedJWK, calculateJwkThumbprint, jwtVerify, type JWK } from 'jose';
import type { Db } from '../../db/current.ts';
import { PortalError } from '../../errors/portal-error.ts';
import { driverOf } from '../../db/driver-of.ts';
import { prepared } from '../../db/prepared-statements.ts';
import { TEXT, TIMESTAMP } from '../../db/sql-arg-types.ts';

/** A proof's jti, kept until the proof could no longer be accepted; an existing row is a replay. */
const REMEMBER_JTI = prepared(`INSERT INTO challenge (id, purpose, bound_to, value, expires_at, created_at) VALUES ($1, 'dpop-jti', $2, 'seen', $3, $4) ON CONFLICT (id) DO NOTHING`);

const DPOP_ALGORITHMS = ['ES256', 'PS256', 'RS256', 'EdDSA'];
const MAX_AGE_SECONDS = 300;
const CLOCK_SKEW_SECONDS = 60;

/**
 * RFC 9449 proof of possession for a resource request: the proof is a JWT signed by the key whose
 * thumbprint the access token is bound to, for this method and URL, recent, carrying the token's
 * hash, and never seen before (its jti is kept until it could no longer be accepted).
 */
export async function verifyDpopProof(
  prisma: Db,
  proof: string | undefined,
  expected: { method: string; url: string; accessToken: string; jkt: string },
): Promise<void> {
  if (!proof || proof.length > 8192) throw new PortalError('signing_dpop_invalid', 401, 'DPoP proof missing');
  let payload;
  let header;
  try {
    ({ payload, protectedHeader: header } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: DPOP_ALGORITHMS }));
  } catch (error) {
    throw new PortalError('signing_dpop_invalid', 401, (error as Error).message);
  }
  const thumbprint = await calculateJwkThumbprint(header.jwk as JWK);
  if (thumbprint !== expected.jkt) throw new PortalError('signing_dpop_invalid', 401, 'proof key is not the key the token is bound to');
  if (payload.htm !== expected.method) throw new PortalError('signing_dpop_invalid', 401, 'htm');
  if (typeof payload.htu !== 'string' || stripQuery(payload.htu) !== stripQuery(expected.url)) throw new PortalError('signing_dpop_invalid', 401, 'htu');
  const now = Math.floor(Date.now() / 1000);
  if (typeof payload.iat !== 'number' || payload.iat > now + CLOCK_SKEW_SECONDS || payload.iat < now - MAX_AGE_SECONDS) {
    throw new PortalError('signing_dpop_invalid', 401, 'iat');
  }
  const ath = crypto.createHash('sha256').update(expected.accessToken).digest('base64url');
  if (payload.ath !== ath) throw new PortalError('signing_dpop_invalid', 401, 'ath');
  if (typeof payload.jti !== 'string' || payload.jti.length < 16 || payload.jti.length > 256) throw new PortalError('signing_dpop_invalid', 401, 'jti');
  // Replay: the jti is stored once; a second proof with it inserts nothing. Fixed SQL (driverOf): one
  // per signHash call. A database error is an error (500), not a replay: the call fails either way.
  const inserted = await driverOf(prisma).executeRaw({
    sql: REMEMBER_JTI,
    args: [crypto.createHash('sha256').update(`dpop:${thumbprint}:${payload.jti}`).digest('base64url'), thumbprint, new Date((now + MAX_AGE_SECONDS + CLOCK_SKEW_SECONDS) * 1000), new Date()],
    argTypes: [TEXT, TEXT, TIMESTAMP, TIMESTAMP],
  });
  if (inserted !== 1) throw new PortalError('signing_dpop_invalid', 401, 'proof replayed');
}

function stripQuery(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '';
  }
}
