import { PortalError } from '../../errors/portal-error.ts';
import { revokeSigningAuthorisation } from '../../signing/signing-authorisations.ts';
import { sendJson } from '../json.ts';
import { clientIp } from '../client-ip.ts';
import { requirePortalSession } from './portal-session-routes.ts';
import { requireSameOrigin } from '../request-origin.ts';
import type { Route, RouteContext } from '../route.ts';

/** POST /api/signing/authorisations/:grantId/revoke — the practitioner stops an EHR's signing now. */
export const signingRoutes: Route[] = [{ method: 'POST', pattern: /^\/api\/signing\/authorisations\/([^/]{1,128})\/revoke$/, handle: revokeAuthorisation }];

async function revokeAuthorisation({ portal, req, res, params }: RouteContext) {
  const grantId = params[0]!;
  requireSameOrigin(portal, req);
  const session = await requirePortalSession(portal, req);
  const revoked = await revokeSigningAuthorisation(portal.prisma, portal.provider as never, session.practitionerId, grantId);
  if (!revoked) throw new PortalError('not_found', 404);
  await portal.audit({ event: 'signing.revoke', result: 'success', practitionerId: session.practitionerId, ip: clientIp(req, portal.env.trustedProxies), details: { grantId } });
  sendJson(res, 200, { revoked: true });
}
