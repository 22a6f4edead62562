import type { Db } from '../db/current.ts';
import { driverOf } from '../db/driver-of.ts';
import { prepared } from '../db/prepared-statements.ts';
import { INT, TEXT, TIMESTAMP } from '../db/sql-arg-types.ts';
import type { SigningDetail } from './signing-authorisation-details.ts';
import { dailyWindowMaxSeconds, secondsUntilWindowEnd, type DailyWindow } from '../config/daily-window.ts';

/** Seed 001/003: after one authentication, signing works for 18 hours; never more than 24. */
export const DEFAULT_SIGNING_HOURS = 18;
export const MAX_SIGNING_HOURS = 24;

/**
 * How long a remote-signing access token lives: until the end of the daily window opened by the
 * login it was approved in (`authTime`, epoch seconds) — the same instant the SSO session ends —
 * or less if the EHR asked less. Without a known login, the window's full length from now.
 */
export function signingTokenSeconds(details: SigningDetail[], window: DailyWindow, authTime: number | undefined, now = Date.now()): number {
  const windowSeconds = authTime ? secondsUntilWindowEnd(window, authTime, now) : dailyWindowMaxSeconds(window);
  return Math.min(windowSeconds, MAX_SIGNING_HOURS * 3600, ...details.map((d) => d.validity ?? Number.POSITIVE_INFINITY));
}

/**
 * Records the authorisation an access token carries, keyed by its grant, when the token is issued:
 * the portal lists it with a countdown and revocation, and every signHash checks it.
 */
export async function recordSigningAuthorisation(
  prisma: Db,
  token: { grantId: string; accountId: string; clientId: string; expiresAt: Date },
  details: SigningDetail[],
): Promise<void> {
  const credentialId = details.find((d) => d.credentialID)?.credentialID;
  if (!credentialId) return;
  const documentTypes = [...new Set(details.flatMap((d) => d.documentTypes))];
  const maxSignatures = details.every((d) => d.numSignatures) ? details.reduce((n, d) => n + (d.numSignatures ?? 0), 0) : null;
  await prisma.signingAuthorisation.upsert({
    where: { grantId: token.grantId },
    create: {
      grantId: token.grantId,
      practitionerId: token.accountId,
      clientId: token.clientId,
      credentialId,
      documentTypes,
      maxSignatures,
      expiresAt: token.expiresAt,
    },
    // The same grant re-used by another token: the newest expiry applies, counts carry on.
    update: { expiresAt: token.expiresAt, documentTypes, maxSignatures },
  });
}

export async function activeSigningAuthorisations(prisma: Db, practitionerId: string, now = new Date()) {
  return prisma.signingAuthorisation.findMany({
    where: { practitionerId, revokedAt: null, expiresAt: { gt: now } },
    orderBy: { expiresAt: 'asc' },
  });
}

const RESERVE = prepared(`UPDATE signing_authorisation SET signatures = signatures + $2
     WHERE grant_id = $1 AND revoked_at IS NULL AND expires_at > $3
       AND (max_signatures IS NULL OR signatures + $2 <= max_signatures)`);

/**
 * Counts `count` more signatures against the authorisation in one conditional UPDATE, so parallel
 * requests cannot exceed the authorised number; false when revoked, expired or over the limit.
 */
export async function reserveSignatures(prisma: Db, grantId: string, count: number, now = new Date()): Promise<boolean> {
  // Fixed SQL (driverOf): one per signHash call.
  const updated = await driverOf(prisma).executeRaw({ sql: RESERVE, args: [grantId, count, now], argTypes: [TEXT, INT, TIMESTAMP] });
  return updated === 1;
}

/**
 * The practitioner withdraws an authorisation: it is marked revoked and the provider forgets the
 * grant and every token minted from it, so the EHR's next signHash is refused at once.
 */
export async function revokeSigningAuthorisation(
  prisma: Db,
  provider: { Grant: { find(id: string): Promise<{ destroy(): Promise<void> } | undefined> }; AccessToken: { revokeByGrantId(id: string): Promise<void> } },
  practitionerId: string,
  grantId: string,
): Promise<boolean> {
  const { count } = await prisma.signingAuthorisation.updateMany({ where: { grantId, practitionerId, revokedAt: null }, data: { revokedAt: new Date() } });
  if (count === 0) return false;
  await provider.AccessToken.revokeByGrantId(grantId);
  await (await provider.Grant.find(grantId))?.destroy();
  return true;
}
