import crypto from 'node:crypto';
import type { Db } from '../db/current.ts';

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

/** Stores a challenge bound to one login interaction (or registration code) for `ttlSeconds`. */
export async function issueChallenge(
  prisma: Pick<Db, 'challenge'>,
  purpose: ChallengePurpose,
  boundTo: string,
  ttlSeconds: number,
  value = randomChallenge(),
  data?: Record<string, unknown>,
): Promise<IssuedChallenge> {
  const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
  await prisma.challenge.create({
    data: { id: hashValue(value), purpose, boundTo, value, expiresAt, data: data ? JSON.parse(JSON.stringify(data)) : undefined },
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
  const [spent] = await prisma.challenge.updateManyAndReturn({
    where: { id, purpose, boundTo, consumedAt: null, expiresAt: { gt: now } },
    data: { consumedAt: now },
    select: { data: true },
  });
  if (spent) return { ok: true, data: (spent.data as Record<string, unknown> | null) ?? null };
  // Refused: read the row once more only to say why.
  const row = await prisma.challenge.findUnique({ where: { id } });
  if (!row) return { ok: false, reason: 'unknown' };
  if (row.purpose !== purpose || row.boundTo !== boundTo) return { ok: false, reason: 'wrong_binding' };
  if (row.consumedAt) return { ok: false, reason: 'replayed' };
  return { ok: false, reason: 'expired' };
}

export async function deleteExpiredChallenges(prisma: Db, olderThan = new Date(Date.now() - 3600_000)): Promise<number> {
  const { count } = await prisma.challenge.deleteMany({ where: { expiresAt: { lt: olderThan } } });
  return count;
}

function hashValue(value: string): string {
  return crypto.createHash('sha256').update(value).digest('base64url');
}
