import type { Db } from '../db/current.ts';
import { PORTAL_CLIENT_ID } from '../portal-session/portal-client.ts';
import { serviceFormFromMetadata } from './service-form.ts';
import { isSigningService } from '../clients/oauth-service-policy.ts';

/** Every linked service (not the portal itself) with its settings and the count of pending link requests. */
export async function listServices(prisma: Db) {
  const [clients, pending] = await Promise.all([
    prisma.oidcClient.findMany({ where: { clientId: { not: PORTAL_CLIENT_ID } }, orderBy: { name: 'asc' } }),
    prisma.serviceLink.groupBy({ by: ['clientId'], where: { status: 'requested' }, _count: { _all: true } }),
  ]);
  const pendingBy = new Map(pending.map((p) => [p.clientId, p._count._all]));
  return clients.map((c) => ({
    clientId: c.clientId,
    name: c.name,
    enabled: c.enabled,
    updatedAt: c.updatedAt,
    settings: serviceFormFromMetadata(c.clientId, c.name, c.metadata as Record<string, unknown>),
    pendingLinks: pendingBy.get(c.clientId) ?? 0,
  }));
}

export async function findService(prisma: Db, clientId: string) {
  if (clientId === PORTAL_CLIENT_ID) return null;
  const c = await prisma.oidcClient.findUnique({ where: { clientId } });
  if (!c) return null;
  const metadata = c.metadata as Record<string, unknown>;
  // A remote-signing service: the console keeps its FAPI 2.0 profile on.
  return { clientId: c.clientId, name: c.name, enabled: c.enabled, signing: isSigningService(metadata), settings: serviceFormFromMetadata(c.clientId, c.name, metadata) };
}

/** Link requests of one service: pending first, with who asked. */
export async function listLinkRequests(prisma: Db, clientId: string, status: 'requested' | 'all' = 'requested') {
  const links = await prisma.serviceLink.findMany({
    where: { clientId, ...(status === 'requested' ? { status: 'requested' } : {}) },
    orderBy: { requestedAt: 'asc' },
    take: 500,
  });
  const people = await prisma.practitioner.findMany({ where: { id: { in: links.map((l) => l.practitionerId) } } });
  const byId = new Map(people.map((p) => [p.id, p]));
  return links.map((l) => {
    const p = byId.get(l.practitionerId);
    return {
      id: l.id,
      status: l.status,
      requestedAt: l.requestedAt,
      serviceUserId: l.serviceUserId,
      practitioner: p
        ? { id: p.id, registrationNumber: p.registrationNumber, name: `${p.givenName} ${p.familyName}`, nameKanji: p.familyNameKanji && p.givenNameKanji ? `${p.familyNameKanji} ${p.givenNameKanji}` : null }
        : null,
    };
  });
}
