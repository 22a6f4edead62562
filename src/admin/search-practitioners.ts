import type { Db } from '../db/current.ts';
import { parseStoredHcRoles } from '../practitioners/practitioner.ts';

/** Practitioners whose registration number or name (romanised or kanji) contains the query. */
export async function searchPractitioners(prisma: Db, query: string, take = 50) {
  const q = query.trim().slice(0, 100);
  const parts = q.split(/[\s\u3000]+/).filter(Boolean);
  const where = parts.length
    ? {
        AND: parts.map((part) => ({
          OR: (['registrationNumber', 'familyName', 'givenName', 'familyNameKanji', 'givenNameKanji'] as const).map((field) => ({
            [field]: { contains: part, mode: 'insensitive' as const },
          })),
        })),
      }
    : {};
  const rows = await prisma.practitioner.findMany({
    where,
    orderBy: { registrationNumber: 'asc' },
    take,
    include: { passkey: { select: { createdAt: true, lastUsedAt: true, aaguid: true } } },
  });
  const links = await prisma.myNumberCardLink.findMany({ where: { practitionerId: { in: rows.map((r) => r.id) } }, select: { practitionerId: true, linkedAt: true } });
  const linked = new Map(links.map((l) => [l.practitionerId, l.linkedAt]));
  return rows.map((p) => ({
    id: p.id,
    registrationNumber: p.registrationNumber,
    name: `${p.givenName} ${p.familyName}`.trim(),
    nameKanji: p.familyNameKanji && p.givenNameKanji ? `${p.familyNameKanji} ${p.givenNameKanji}` : null,
    birthDate: p.birthDate,
    facility: p.facility,
    hcRoles: parseStoredHcRoles(p.hcRoles).map((r) => r.role),
    isAdmin: p.isAdmin,
    lockedAt: p.lockedAt,
    device: p.passkey ? { registeredAt: p.passkey.createdAt, lastUsedAt: p.passkey.lastUsedAt } : null,
    myNumberCardLinkedAt: linked.get(p.id) ?? null,
  }));
}
