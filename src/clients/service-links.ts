import { z } from 'zod';
import type { Db } from '../db/current.ts';
import { PortalError } from '../errors/portal-error.ts';

export type ServiceLinkStatus = 'requested' | 'approved' | 'rejected';

/** A practitioner asks to be linked to a service; asking again after a rejection asks anew. */
export async function requestServiceLink(prisma: Db, practitionerId: string, clientId: string) {
  const client = await prisma.oidcClient.findUnique({ where: { clientId } });
  if (!client || !client.enabled) throw new PortalError('not_found', 404, 'no such service');
  const existing = await prisma.serviceLink.findUnique({ where: { practitionerId_clientId: { practitionerId, clientId } } });
  if (existing?.status === 'approved') return existing;
  return prisma.serviceLink.upsert({
    where: { practitionerId_clientId: { practitionerId, clientId } },
    create: { practitionerId, clientId, status: 'requested' },
    update: { status: 'requested', requestedAt: new Date(), decidedAt: null, decidedBy: null, serviceUserId: null },
  });
}

export const serviceUserIdSchema = z.string().trim().min(1).max(128).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

/** The service (or the SSO center on its behalf) approves, recording its own user ID. */
export async function approveServiceLink(prisma: Db, linkId: string, serviceUserId: string, decidedBy: string) {
  const id = serviceUserIdSchema.parse(serviceUserId);
  const { count } = await prisma.serviceLink.updateMany({
    where: { id: linkId, status: 'requested' },
    data: { status: 'approved', serviceUserId: id, decidedAt: new Date(), decidedBy },
  });
  if (count !== 1) throw new PortalError('invalid_request', 409, 'the link request is not pending');
}

export async function rejectServiceLink(prisma: Db, linkId: string, decidedBy: string) {
  const { count } = await prisma.serviceLink.updateMany({
    where: { id: linkId, status: 'requested' },
    data: { status: 'rejected', decidedAt: new Date(), decidedBy },
  });
  if (count !== 1) throw new PortalError('invalid_request', 409, 'the link request is not pending');
}

/** Every enabled service with this practitioner's link state, for the portal home. */
export async function servicesForPractitioner(prisma: Db, practitionerId: string, exceptClientIds: string[] = []) {
  const [clients, links] = await Promise.all([
    prisma.oidcClient.findMany({ where: { enabled: true, clientId: { notIn: exceptClientIds } }, orderBy: { name: 'asc' } }),
    prisma.serviceLink.findMany({ where: { practitionerId } }),
  ]);
  return clients.map((c) => {
    const metadata = c.metadata as { initiate_login_uri?: string };
    const link = links.find((l) => l.clientId === c.clientId);
    return {
      clientId: c.clientId,
      name: c.name,
      launchUri: metadata.initiate_login_uri ?? null,
      link: link ? { id: link.id, status: link.status as ServiceLinkStatus } : null,
    };
  });
}
