import { z } from 'zod';
import type { Db } from '../db/current.ts';

export const WITHOUT_DEVICE_PAGE_SIZE = 50;

/** The view's query string: only the page. */
export const withoutDeviceQuerySchema = z.object({ page: z.coerce.number().int().min(1).max(100_000).catch(1).default(1) });

/** Where the practitioner's latest registration QR stands: what the administrator can do next. */
export type RegistrationCodeState = 'none' | 'valid' | 'expired' | 'locked' | 'used';

/**
 * Practitioners who have no registered device yet (they can only log in with a card, or not at
 * all), by registration number, with the state of their latest registration code so the console
 * can say whether a new QR has to be printed.
 */
export async function listPractitionersWithoutDevice(prisma: Db, { page = 1, now = new Date() }: { page?: number; now?: Date } = {}) {
  const where = { passkey: { is: null } };
  const [total, rows] = await Promise.all([
    prisma.practitioner.count({ where }),
    prisma.practitioner.findMany({
      where,
      orderBy: { registrationNumber: 'asc' },
      skip: (page - 1) * WITHOUT_DEVICE_PAGE_SIZE,
      take: WITHOUT_DEVICE_PAGE_SIZE,
      include: { registrationCodes: { orderBy: { createdAt: 'desc' }, take: 1 } },
    }),
  ]);
  return {
    total,
    page,
    pages: Math.max(1, Math.ceil(total / WITHOUT_DEVICE_PAGE_SIZE)),
    practitioners: rows.map((p) => {
      const code = p.registrationCodes[0];
      return {
        id: p.id,
        registrationNumber: p.registrationNumber,
        name: `${p.givenName} ${p.familyName}`.trim(),
        nameKanji: p.familyNameKanji && p.givenNameKanji ? `${p.familyNameKanji} ${p.givenNameKanji}` : null,
        facility: p.facility,
        lockedAt: p.lockedAt,
        createdAt: p.createdAt,
        registrationCode: code ? { issuedAt: code.createdAt, expiresAt: code.expiresAt, state: codeState(code, now) } : { issuedAt: null, expiresAt: null, state: 'none' as RegistrationCodeState },
      };
    }),
  };
}

function codeState(code: { usedAt: Date | null; lockedAt: Date | null; supersededAt: Date | null; expiresAt: Date }, now: Date): RegistrationCodeState {
  // A used code whose device was removed later: the practitioner needs a new QR.
  if (code.usedAt) return 'used';
  if (code.lockedAt) return 'locked';
  if (code.supersededAt || code.expiresAt <= now) return 'expired';
  return 'valid';
}
