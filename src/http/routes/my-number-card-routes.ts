import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Portal } from '../../portal/portal.ts';
import { PortalError } from '../../errors/portal-error.ts';
import { issueJpkiChallenge, verifyJpkiProof } from '../../auth/jpki/jpki-proof.ts';
import { hasRecentHpkiLogin } from '../../portal-session/portal-sessions.ts';
import { linkMyNumberCard, unlinkMyNumberCard } from '../../practitioners/my-number-card-links.ts';
import { readJsonBody, sendJson } from '../json.ts';
import { clientIp } from '../client-ip.ts';
import { requirePortalSession } from './portal-session-routes.ts';
import { requireSameOrigin } from '../request-origin.ts';

/**
 * POST /api/my-number-card/{challenge,link,unlink}: a practitioner logged in with an HPKI method in
 * the last 5 minutes proves their My Number Card, and the link is stored (seed 002).
 */
export async function handleMyNumberCardRoute(portal: Portal, req: IncomingMessage, res: ServerResponse, action: string) {
  if (!['challenge', 'link', 'unlink'].includes(action)) throw new PortalError('not_found', 404);
  if (req.method !== 'POST') throw new PortalError('method_not_allowed', 405);
  requireSameOrigin(portal, req);
  const session = await requirePortalSession(portal, req);
  const ip = clientIp(req, portal.env.trustedProxies);
  const deps = { prisma: portal.prisma, trust: portal.trust };

  if (action === 'unlink') {
    const removed = await unlinkMyNumberCard(portal.prisma, session.practitionerId);
    await portal.audit({ event: 'mnc.unlink', result: removed ? 'success' : 'info', practitionerId: session.practitionerId, ip });
    sendJson(res, 200, { unlinked: removed });
    return;
  }
  if (!hasRecentHpkiLogin(session)) throw new PortalError('recent_hpki_login_required', 403);
  if (action === 'challenge') {
    sendJson(res, 200, await issueJpkiChallenge(deps, 'jpki-link', session.idHash));
    return;
  }
  try {
    const card = await verifyJpkiProof(deps, await readJsonBody(req), 'jpki-link', session.idHash);
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
