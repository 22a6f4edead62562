import { PortalError } from '../../errors/portal-error.ts';
import { requestServiceLink } from '../../clients/service-links.ts';
import { PORTAL_CLIENT_ID } from '../../portal-session/portal-client.ts';
import { sendJson } from '../json.ts';
import { clientIp } from '../client-ip.ts';
import { requirePortalSession } from './portal-session-routes.ts';
import { requireSameOrigin } from '../request-origin.ts';
import type { Route, RouteContext } from '../route.ts';

/** POST /api/services/:clientId/link-request — the practitioner applies for SSO to a service. */
export const serviceLinkRoutes: Route[] = [{ method: 'POST', pattern: /^\/api\/services\/([^/]{1,64})\/link-request$/, handle: requestLink }];

async function requestLink({ portal, req, res, params }: RouteContext) {
  const clientId = params[0]!;
  requireSameOrigin(portal, req);
  const session = await requirePortalSession(portal, req);
  if (!/^[A-Za-z0-9._-]{3,64}$/.test(clientId) || clientId === PORTAL_CLIENT_ID) throw new PortalError('not_found', 404);
  const link = await requestServiceLink(portal.prisma, session.practitionerId, clientId);
  await portal.audit({ event: 'service_link.request', result: 'success', practitionerId: session.practitionerId, clientId, ip: clientIp(req, portal.env.trustedProxies) });
  sendJson(res, 200, { status: link.status });
}
