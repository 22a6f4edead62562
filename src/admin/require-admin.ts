import type { Db } from '../db/current.ts';
import { PortalError } from '../errors/portal-error.ts';

/** The practitioner behind a portal session, if they hold the admin role and are not locked. */
export async function requireAdmin(prisma: Db, practitionerId: string | undefined) {
  const admin = practitionerId ? await prisma.practitioner.findUnique({ where: { id: practitionerId } }) : null;
  if (!admin || !admin.isAdmin || admin.lockedAt) throw new PortalError('admin_required', 403);
  return admin;
}
