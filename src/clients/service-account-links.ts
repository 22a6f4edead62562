import type { Db } from '../db/current.ts';
import { PortalError } from '../errors/portal-error.ts';
import { serviceUserIdSchema } from './service-links.ts';

/**
 * Service-side account linking (seed 004: サービス提供者が実施 — the service links its own user ID
 * to the practitioner who applied). A service knows the practitioner only by the `sub` of its own
 * ID tokens (pairwise), so a `sub` is resolved among that service's own link requests: nothing
 * else can be reached, and a practitioner who never asked cannot be linked.
 */

/** The `sub` this service receives for a practitioner (pairwise or public, as the provider computes it). */
export type SubjectOf = (practitionerId: string) => string;

/** Links a service may act on: asked for (requested) or already linked (approved); never rejected ones. */
const OPEN = ['requested', 'approved'];

export interface ServiceLinkRequest {
  sub: string;
  status: 'requested' | 'approved';
  requestedAt: string;
  serviceUserId: string | null;
}

/** The service's open link requests and links, each named by the `sub` the service knows. */
export async function serviceLinkRequests(prisma: Db, clientId: string, subjectOf: SubjectOf): Promise<ServiceLinkRequest[]> {
  const links = await prisma.serviceLink.findMany({ where: { clientId, status: { in: OPEN } }, orderBy: { requestedAt: 'asc' } });
  return links.map((l) => ({
    sub: subjectOf(l.practitionerId),
    status: l.status as ServiceLinkRequest['status'],
    requestedAt: l.requestedAt.toISOString(),
    serviceUserId: l.serviceUserId,
  }));
}

async function openLinkFor(prisma: Db, clientId: string, sub: string, subjectOf: SubjectOf) {
  // A keyed hash cannot be reversed: compare against the service's own open links (few per service).
  const links = await prisma.serviceLink.findMany({ where: { clientId, status: { in: OPEN } } });
  const link = links.find((l) => subjectOf(l.practitionerId) === sub);
  if (!link) throw new PortalError('service_link_not_requested', 404, 'this practitioner has not asked to be linked to this service');
  return link;
}

/** The service records (or replaces) its own user ID for a practitioner who asked: the link is approved. */
export async function setServiceUserIdByService(prisma: Db, clientId: string, sub: string, serviceUserId: string, subjectOf: SubjectOf) {
  const id = serviceUserIdSchema.parse(serviceUserId);
  const link = await openLinkFor(prisma, clientId, sub, subjectOf);
  const { count } = await prisma.serviceLink.updateMany({
    where: { id: link.id, status: { in: OPEN } },
    data: { status: 'approved', serviceUserId: id, decidedAt: new Date(), decidedBy: `service:${clientId}` },
  });
  if (count !== 1) throw new PortalError('service_link_not_requested', 404);
  return { practitionerId: link.practitionerId, previous: link.serviceUserId };
}

/**
 * The service removes its user ID: the `linked_account` claim stops; the practitioner's request
 * stands (requested again), so the service or an administrator can link anew.
 */
export async function removeServiceUserIdByService(prisma: Db, clientId: string, sub: string, subjectOf: SubjectOf) {
  const link = await openLinkFor(prisma, clientId, sub, subjectOf);
  await prisma.serviceLink.updateMany({
    where: { id: link.id, status: { in: OPEN } },
    data: { status: 'requested', serviceUserId: null, decidedAt: new Date(), decidedBy: `service:${clientId}` },
  });
  return { practitionerId: link.practitionerId, previous: link.serviceUserId };
}
