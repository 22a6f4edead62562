import type { Db } from '../db/current.ts';
import { PortalError } from '../errors/portal-error.ts';
import { endPractitionerSessions, type EndedSessions } from './end-practitioner-sessions.ts';

/**
 * Removes the practitioner's registered passkey (a lost phone): it can no longer log in, phone
 * approvals it gave that a terminal has not completed are cancelled, and the sessions a passkey
 * opened end. A new device is registered through a reissued registration QR.
 */
export async function removePractitionerDevice(prisma: Db, practitionerId: string, now = new Date()) {
  return prisma.$transaction(async (tx) => {
    const device = await tx.passkeyCredential.findUnique({ where: { practitionerId } });
    if (!device) throw new PortalError('admin_no_device', 404);
    await tx.passkeyCredential.delete({ where: { id: device.id } });
    const { count: cancelledApprovals } = await tx.crossDeviceRequest.updateMany({
      where: { credentialId: device.id, status: { in: ['pending', 'approved'] } },
      data: { status: 'cancelled', cancelledAt: now },
    });
    const ended: EndedSessions = await endPractitionerSessions(tx, practitionerId, { passkeyOnly: true }, now);
    return { removed: { id: device.id, aaguid: device.aaguid }, cancelledApprovals, ...ended };
  });
}
