import crypto from 'node:crypto';
import type { Db } from '../db/current.ts';
import { driverIfAny, driverOf } from '../db/driver-of.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { JSONB, TEXT, TIMESTAMP } from '../db/sql-arg-types.ts';
import { prepared } from '../db/prepared-statements.ts';

const INSERT_CHALLENGE = prepared(`INSERT INTO challenge (id, purpose, bound_to, value, data, expires_at, created_at) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)`);
const CONSUME_CHALLENGE = prepared(`UPDATE challenge SET consumed_at = $4 WHERE id = $1 AND purpose = $2 AND bound_to = $3 AND consumed_at IS NULL AND expires_at > $4 RETURNING data::text`);

/** 256 random bits, base64url: the nonce for every card method and every WebAuthn ceremony. */
export function randomChallenge(): string {
  return crypto.randomBytes(32).toString('base64url');
}

// 'jpki-admin-link': an administrator links a practitioner's card after an in-person check (bound to the admin's session and the practitioner).
export type ChallengePurpose = 'passkey-login' | 'passkey-registration' | 'hpki-card' | 'jpki' | 'jpki-link' | 'jpki-registration' | 'jpki-admin-link';

export interface IssuedChallenge {
  value: string;
  expiresAt: Date;
}

/**
 * Stores a challenge bound to one login interaction (or registration code) for `ttlSeconds`. Fixed
 * SQL through the driver (driverOf): every login issues one. Inside a transaction (registration
 * answers while the code's row is held) through that transaction's client.
 */
export async function issueChallenge(
  prisma: Db | Prisma.TransactionClient,
  purpose: ChallengePurpose,
  boundTo: string,
  ttlSeconds: number,
  value = randomChallenge(),
  data?: Record<string, unknown>,
): Promise<IssuedChallenge> {
  const now = new Date();
  const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
  const sql = driverIfAny(prisma);
  if (!sql) {
    await prisma.challenge.create({ data: { id: hashValue(value), purpose, boundTo, value, expiresAt, data: data ? JSON.parse(JSON.stringify(data)) : undefined, createdAt: now } });
    return { value, expiresAt };
  }
  await sql.executeRaw({
    sql: INSERT_CHALLENGE,
    args: [hashValue(value), purpose, boundTo, value, data ? JSON.stringify(data) : null, expiresAt, now],
    argTypes: [TEXT, TEXT, TEXT, TEXT, JSONB, TIMESTAMP, TIMESTAMP],
  });
  return { value, expiresAt };
}

export type ConsumeResult =
  | { ok: true; data: Record<string, unknown> | null }
  | { ok: false; reason: 'unknown' | 'expired' | 'replayed' | 'wrong_binding' };

/**
 * Single use, atomically: the conditional UPDATE succeeds for exactly one caller, on every
 * instance. A challenge is spent even when the verification after it fails.
 */
export async function consumeChallenge(prisma: Db, purpose: ChallengePurpose, boundTo: string, value: string): Promise<ConsumeResult> {
  const id = hashValue(value);
  const now = new Date();
  // One conditional UPDATE decides; RETURNING hands back the data, so a good challenge is one query.
  const spent = await driverOf(prisma).queryRaw({
    sql: CONSUME_CHALLENGE,
    args: [id, purpose, boundTo, now],
    argTypes: [TEXT, TEXT, TEXT, TIMESTAMP],
  });
  const row = spent.rows[0] as [string | null] | undefined;
  if (row) return { ok: true, data: row[0] === null ? null : (JSON.parse(row[0]) as Record<string, unknown>) };
  // Refused: read the row once more only to say why.
  const refused = await prisma.challenge.findUnique({ where: { id } });
  if (!refused) return { ok: false, reason: 'unknown' };
  if (refused.purpose !== purpose || refused.boundTo !== boundTo) return { ok: false, reason: 'wrong_binding' };
  if (refused.consumedAt) return { ok: false, reason: 'replayed' };
  return { ok: false, reason: 'expired' };
}

export async function deleteExpiredChallenges(prisma: Db, olderThan = new Date(Date.now() - 3600_000)): Promise<number> {
  const { count } = await prisma.challenge.deleteMany({ where: { expiresAt: { lt: olderThan } } });
  return count;
}

function hashValue(value: string): string {
  return crypto.createHash('sha256').update(value).digest('base64url');
}
