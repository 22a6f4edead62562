import type { Db } from '../db/current.ts';
import { PortalError } from '../errors/portal-error.ts';
import { endPractitionerSessions, type EndedSessions } from './end-practitioner-sessions.ts';

/**
 * Locks a practitioner: `findAccount` no longer knows them (no login, no token refresh, no
 * userinfo), every login method refuses them, and every session they have ends now.
 */
export async function lockPractitioner(prisma: Db, practitionerId: string, adminId: string, now = new Date()): Promise<EndedSessions & { changed: boolean }> {
  if (practitionerId === adminId) throw new PortalError('admin_self_lock', 409);
  return prisma.$transaction(async (tx) => {
    const { count } = await tx.practitioner.updateMany({ where: { id: practitionerId, lockedAt: null }, data: { lockedAt: now } });
    if (count === 0 && !(await tx.practitioner.findUnique({ where: { id: practitionerId } }))) throw new PortalError('admin_practitioner_not_found', 404);
    return { changed: count === 1, ...(await endPractitionerSessions(tx, practitionerId, {}, now)) };
  });
}

export async function unlockPractitioner(prisma: Db, practitionerId: string): Promise<{ changed: boolean }> {
  const { count } = await prisma.practitioner.updateMany({ where: { id: practitionerId, lockedAt: { not: null } }, data: { lockedAt: null } });
  if (count === 0 && !(await prisma.practitioner.findUnique({ where: { id: practitionerId } }))) throw new PortalError('admin_practitioner_not_found', 404);
  return { changed: count === 1 };
}

/** Every session of the practitioner ends (provider and portal); the account stays usable. */
export async function endAllSessions(prisma: Db, practitionerId: string): Promise<EndedSessions> {
  if (!(await prisma.practitioner.findUnique({ where: { id: practitionerId } }))) throw new PortalError('admin_practitioner_not_found', 404);
  return prisma.$transaction((tx) => endPractitionerSessions(tx, practitionerId));
}
