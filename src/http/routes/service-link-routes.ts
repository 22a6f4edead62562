import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { PortalError } from '../../errors/portal-error.ts';
import { requestServiceLink, serviceUserIdSchema } from '../../clients/service-links.ts';
import { removeServiceUserIdByService, serviceLinkRequests, setServiceUserIdByService, type SubjectOf } from '../../clients/service-account-links.ts';
import { PORTAL_CLIENT_ID } from '../../portal-session/portal-client.ts';
import { ACCOUNT_LINK_SCOPE, pairwiseSubjectFunction } from '../../oidc/configuration.ts';
import { verifyDpopProof } from '../../signing/csc/dpop-proof.ts';
import type { Portal } from '../../portal/portal.ts';
import { readJsonBody, sendJson } from '../json.ts';
import { clientIp } from '../client-ip.ts';
import { requirePortalSession } from './portal-session-routes.ts';
import { requireSameOrigin } from '../request-origin.ts';
import type { Route, RouteContext } from '../route.ts';

/** The account-link API's path prefix, which is also its resource indicator (PUBLIC_URL + this). */
export const ACCOUNT_LINK_API_PATH = '/api/services/self';

/**
 * POST /api/services/:clientId/link-request — the practitioner applies for SSO to a service.
 * The account-link API (issue 17 §7, seed 004: the service links its own user ID), called by the
 * service itself with its own client-credentials token:
 *   GET    /api/services/self/link-requests — its open requests and links, by the `sub` it knows
 *   POST   /api/services/self/links/:sub    — {"serviceUserId": "…"}: records (or replaces) its user ID
 *   DELETE /api/services/self/links/:sub    — removes it
 */
export const serviceLinkRoutes: Route[] = [
  { method: 'GET', pattern: /^\/api\/services\/self\/link-requests$/, handle: listLinkRequests },
  { method: 'POST', pattern: /^\/api\/services\/self\/links\/([A-Za-z0-9_.~-]{1,256})$/, handle: setLink },
  { method: 'DELETE', pattern: /^\/api\/services\/self\/links\/([A-Za-z0-9_.~-]{1,256})$/, handle: removeLink },
  { method: 'POST', pattern: /^\/api\/services\/([^/]{1,64})\/link-request$/, handle: requestLink },
];

async function requestLink({ portal, req, res, params }: RouteContext) {
  const clientId = params[0]!;
  requireSameOrigin(portal, req);
  const session = await requirePortalSession(portal, req);
  if (!/^[A-Za-z0-9._-]{3,64}$/.test(clientId) || clientId === PORTAL_CLIENT_ID) throw new PortalError('not_found', 404);
  const link = await requestServiceLink(portal.prisma, session.practitionerId, clientId);
  await portal.audit({ event: 'service_link.request', result: 'success', practitionerId: session.practitionerId, clientId, ip: clientIp(req, portal.env.trustedProxies) });
  sendJson(res, 200, { status: link.status });
}

interface ServiceAccess {
  clientId: string;
  subjectOf: SubjectOf;
}

/**
 * The calling service: an access token from the client credentials grant (its own registered
 * client authentication at the token endpoint), looked up in the provider's store (expiry and
 * revocation are the provider's), for this API's resource and scope; DPoP-bound tokens need a
 * valid proof for this request. The token's client is the service; it acts on its own links only.
 */
async function requireServiceAccess(portal: Portal, req: IncomingMessage, path: string): Promise<ServiceAccess> {
  const header = req.headers.authorization ?? '';
  const match = /^(Bearer|DPoP) ([A-Za-z0-9_.~+/-]{20,2048}=*)$/.exec(header);
  if (!match) throw new PortalError('service_token_invalid', 401, 'a client-credentials access token is required');
  const [, scheme, value] = match as unknown as [string, 'Bearer' | 'DPoP', string];
  const token = await portal.provider.ClientCredentials.find(value);
  if (!token || token.isExpired || !token.clientId) throw new PortalError('service_token_invalid', 401);
  const resource = `${portal.env.publicUrl}${ACCOUNT_LINK_API_PATH}`;
  const audience = (token as unknown as { aud?: string | string[] }).aud;
  const audiences = Array.isArray(audience) ? audience : audience ? [audience] : [];
  if (!audiences.includes(resource) || !String(token.scope ?? '').split(' ').includes(ACCOUNT_LINK_SCOPE)) {
    throw new PortalError('service_token_wrong_resource', 403);
  }
  const jkt = (token as unknown as { jkt?: string }).jkt;
  if (jkt || scheme === 'DPoP') {
    if (!jkt || scheme !== 'DPoP') throw new PortalError('service_token_invalid', 401, 'a DPoP-bound token goes with the DPoP scheme and a proof');
    const proof = req.headers.dpop;
    await verifyDpopProof(portal.prisma, Array.isArray(proof) ? undefined : proof, { method: req.method ?? 'GET', url: `${portal.env.publicUrl}${path}`, accessToken: value, jkt });
  }
  // A service disabled or no longer allowed the grant since the token was issued is refused.
  const client = await portal.provider.Client.find(token.clientId);
  if (!client || !client.grantTypeAllowed('client_credentials') || client.clientId === PORTAL_CLIENT_ID) throw new PortalError('service_token_invalid', 401);
  const pairwise = pairwiseSubjectFunction(portal.kek);
  const subjectOf: SubjectOf = (practitionerId) =>
    client.subjectType === 'pairwise' ? pairwise(practitionerId, client.sectorIdentifier as string | undefined) : practitionerId;
  return { clientId: client.clientId, subjectOf };
}

async function listLinkRequests({ portal, req, res, pathname }: RouteContext) {
  const service = await requireServiceAccess(portal, req, pathname);
  sendJson(res, 200, { requests: await serviceLinkRequests(portal.prisma, service.clientId, service.subjectOf) });
}

const setLinkBody = z.object({ serviceUserId: serviceUserIdSchema }).strict();

async function setLink({ portal, req, res, pathname, params }: RouteContext) {
  const service = await requireServiceAccess(portal, req, pathname);
  const body = setLinkBody.safeParse(await readJsonBody(req));
  if (!body.success) throw new PortalError('invalid_request', 400, 'expected {"serviceUserId": "<your user ID, printable ASCII, at most 128>"}');
  const sub = params[0]!;
  const ip = clientIp(req, portal.env.trustedProxies);
  let done;
  try {
    done = await setServiceUserIdByService(portal.prisma, service.clientId, sub, body.data.serviceUserId, service.subjectOf);
  } catch (error) {
    if (error instanceof PortalError) await portal.audit({ event: 'service_link.set', result: 'failure', clientId: service.clientId, errorCode: error.code, ip });
    throw error;
  }
  await portal.audit({
    event: 'service_link.set',
    result: 'success',
    practitionerId: done.practitionerId,
    clientId: service.clientId,
    ip,
    details: { serviceUserId: body.data.serviceUserId, previous: done.previous },
  });
  sendJson(res, 200, { sub, status: 'approved', serviceUserId: body.data.serviceUserId });
}

async function removeLink({ portal, req, res, pathname, params }: RouteContext) {
  const service = await requireServiceAccess(portal, req, pathname);
  const sub = params[0]!;
  const ip = clientIp(req, portal.env.trustedProxies);
  let done;
  try {
    done = await removeServiceUserIdByService(portal.prisma, service.clientId, sub, service.subjectOf);
  } catch (error) {
    if (error instanceof PortalError) await portal.audit({ event: 'service_link.remove', result: 'failure', clientId: service.clientId, errorCode: error.code, ip });
    throw error;
  }
  await portal.audit({ event: 'service_link.remove', result: 'success', practitionerId: done.practitionerId, clientId: service.clientId, ip, details: { previous: done.previous } });
  sendJson(res, 200, { sub, status: 'requested', serviceUserId: null });
}
