import type { Db } from '../db/current.ts';
import { PortalError } from '../errors/portal-error.ts';
import { assertManageable } from './save-service.ts';

/** A disabled service is unknown to the provider (the adapter returns nothing): no login can start. */
export async function setServiceEnabled(prisma: Db, clientId: string, enabled: boolean): Promise<{ changed: boolean }> {
  assertManageable(clientId);
  const existing = await prisma.oidcClient.findUnique({ where: { clientId } });
  if (!existing) throw new PortalError('admin_client_not_found', 404);
  if (existing.enabled === enabled) return { changed: false };
  await prisma.oidcClient.update({ where: { clientId }, data: { enabled } });
  return { changed: true };
}
