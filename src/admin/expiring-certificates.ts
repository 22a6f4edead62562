import { z } from 'zod';
import type { Db } from '../db/current.ts';

export const EXPIRING_DEFAULT_DAYS = 60;
const MAX_ROWS = 500;
const DAY_MS = 86_400_000;

/** The view's query string: the window in days (default 60). */
export const expiringQuerySchema = z.object({ days: z.coerce.number().int().min(1).max(3650).catch(EXPIRING_DEFAULT_DAYS).default(EXPIRING_DEFAULT_DAYS) });

/**
 * Practitioners' HPKI certificates that expire within `days` (soonest first): the card has to be
 * renewed, and a practitioner without a registered device loses their only way in. A certificate
 * already followed by a later one of the same kind (a renewed card, seen at login or imported) is
 * left out. My Number Card links keep no expiry (only issuer, subject and fingerprint), so they
 * cannot be listed here.
 */
export async function listExpiringCertificates(prisma: Db, { days = EXPIRING_DEFAULT_DAYS, now = new Date() }: { days?: number; now?: Date } = {}) {
  const until = new Date(now.getTime() + days * DAY_MS);
  const rows = await prisma.practitionerCertificate.findMany({
    where: { notAfter: { gt: now, lte: until } },
    orderBy: [{ notAfter: 'asc' }, { fingerprint: 'asc' }],
    take: MAX_ROWS,
    include: { practitioner: { include: { passkey: { select: { createdAt: true } } } } },
  });
  const renewals = rows.length
    ? await prisma.practitionerCertificate.findMany({
        where: { practitionerId: { in: [...new Set(rows.map((r) => r.practitionerId))] }, notAfter: { gt: until } },
        select: { practitionerId: true, kind: true },
      })
    : [];
  const renewed = new Set(renewals.map((r) => `${r.practitionerId} ${r.kind}`));
  const certificates = rows
    .filter((r) => !renewed.has(`${r.practitionerId} ${r.kind}`))
    .map((r) => ({
      fingerprint: r.fingerprint,
      kind: r.kind as 'authentication' | 'signing',
      issuer: r.issuer,
      serialNumber: r.serialNumber,
      notAfter: r.notAfter,
      // Whole days left, rounded down: "0" means it expires within the day.
      daysLeft: Math.floor((r.notAfter.getTime() - now.getTime()) / DAY_MS),
      practitioner: {
        id: r.practitioner.id,
        registrationNumber: r.practitioner.registrationNumber,
        name: `${r.practitioner.givenName} ${r.practitioner.familyName}`.trim(),
        nameKanji: r.practitioner.familyNameKanji && r.practitioner.givenNameKanji ? `${r.practitioner.familyNameKanji} ${r.practitioner.givenNameKanji}` : null,
        lockedAt: r.practitioner.lockedAt,
        hasDevice: r.practitioner.passkey !== null,
      },
    }));
  return { days, until, certificates, truncated: rows.length === MAX_ROWS };
}
