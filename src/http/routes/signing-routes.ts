import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Portal } from '../../portal/portal.ts';
import { PortalError } from '../../errors/portal-error.ts';
import { revokeSigningAuthorisation } from '../../signing/signing-authorisations.ts';
import { sendJson } from '../json.ts';
import { clientIp } from '../client-ip.ts';
import { requirePortalSession } from './portal-session-routes.ts';
import { requireSameOrigin } from '../request-origin.ts';

/** POST /api/signing/authorisations/:grantId/revoke — the practitioner stops an EHR's signing now. */
export async function handleSigningAuthorisationRevoke(portal: Portal, req: IncomingMessage, res: ServerResponse, grantId: string) {
  if (req.method !== 'POST') throw new PortalError('method_not_allowed', 405);
  requireSameOrigin(portal, req);
  const session = await requirePortalSession(portal, req);
  const revoked = await revokeSigningAuthorisation(portal.prisma, portal.provider as never, session.practitionerId, grantId);
  if (!revoked) throw new PortalError('not_found', 404);
  await portal.audit({ event: 'signing.revoke', result: 'success', practitionerId: session.practitionerId, ip: clientIp(req, portal.env.trustedProxies), details: { grantId } });
  sendJson(res, 200, { revoked: true });
}
