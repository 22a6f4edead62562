import type { Db } from '../db/current.ts';
import { PortalError } from '../errors/portal-error.ts';
import { assertManageable, newClientSecret } from './save-service.ts';

/**
 * A new client secret, returned once; the old one stops working at once (the provider's client
 * cache is keyed by the stored metadata, so the next token request sees the new secret).
 */
export async function rotateServiceSecret(prisma: Db, clientId: string): Promise<{ clientId: string; clientSecret: string }> {
  assertManageable(clientId);
  const existing = await prisma.oidcClient.findUnique({ where: { clientId } });
  if (!existing) throw new PortalError('admin_client_not_found', 404);
  const metadata = existing.metadata as Record<string, unknown>;
  if (metadata.token_endpoint_auth_method === 'private_key_jwt') throw new PortalError('admin_client_no_secret', 409);
  const clientSecret = newClientSecret();
  await prisma.oidcClient.update({ where: { clientId }, data: { metadata: { ...(metadata as object), client_secret: clientSecret } } });
  return { clientId, clientSecret };
}
