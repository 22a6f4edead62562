import { PortalError } from '../../errors/portal-error.ts';
import { issueJpkiChallenge, verifyJpkiProof } from '../../auth/methods/jpki/jpki-proof.ts';
import { hasRecentHpkiLogin } from '../../portal-session/portal-sessions.ts';
import { linkMyNumberCard, unlinkMyNumberCard } from '../../practitioners/my-number-card-links.ts';
import { readJsonBody, sendJson } from '../json.ts';
import { clientIp } from '../client-ip.ts';
import { requirePortalSession } from './portal-session-routes.ts';
import { requireSameOrigin } from '../request-origin.ts';
import type { Route, RouteContext } from '../route.ts';
import { jpkiDependencies } from '../jpki-dependencies.ts';

/**
 * POST /api/my-number-card/{challenge,link,unlink}: a practitioner logged in with an HPKI method in
 * the last 5 minutes proves their My Number Card, and the link is stored (seed 002).
 */
export const myNumberCardRoutes: Route[] = [
  { method: 'POST', pattern: /^\/api\/my-number-card\/challenge$/, handle: challenge },
  { method: 'POST', pattern: /^\/api\/my-number-card\/link$/, handle: link },
  { method: 'POST', pattern: /^\/api\/my-number-card\/unlink$/, handle: unlink },
];


/** The practitioner's own portal session, from the portal's own pages. */
async function ownSession({ portal, req }: RouteContext) {
  requireSameOrigin(portal, req);
  const session = await requirePortalSession(portal, req);
  return { session, ip: clientIp(req, portal.env.trustedProxies) };
}

async function unlink(ctx: RouteContext) {
  const { portal, res } = ctx;
  const { session, ip } = await ownSession(ctx);
  const removed = await unlinkMyNumberCard(portal.prisma, session.practitionerId);
  await portal.audit({ event: 'mnc.unlink', result: removed ? 'success' : 'info', practitionerId: session.practitionerId, ip });
  sendJson(res, 200, { unlinked: removed });
}

async function challenge(ctx: RouteContext) {
  const { portal, res } = ctx;
  const { session } = await ownSession(ctx);
  if (!hasRecentHpkiLogin(session)) throw new PortalError('recent_hpki_login_required', 403);
  sendJson(res, 200, await issueJpkiChallenge(jpkiDependencies(portal), 'jpki-link', session.idHash));
}

async function link(ctx: RouteContext) {
  const { portal, req, res } = ctx;
  const { session, ip } = await ownSession(ctx);
  if (!hasRecentHpkiLogin(session)) throw new PortalError('recent_hpki_login_required', 403);
  try {
    const card = await verifyJpkiProof(jpkiDependencies(portal), await readJsonBody(req), 'jpki-link', session.idHash, portal.rp.origin);
    const { replaced } = await linkMyNumberCard(portal.prisma, session.practitionerId, card);
    // The subject is an opaque ID; the audit keeps only the fingerprint.
    await portal.audit({ event: 'mnc.link', result: 'success', practitionerId: session.practitionerId, ip, details: { fingerprint: card.fingerprint, replaced } });
    sendJson(res, 200, { linked: true, replaced });
  } catch (error) {
    await portal.audit({
      event: 'mnc.link',
      result: 'failure',
      practitionerId: session.practitionerId,
      ip,
      errorCode: error instanceof PortalError ? error.code : 'internal_error',
    });
    throw error;
  }
}
