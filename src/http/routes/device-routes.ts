import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Portal } from '../../portal/portal.ts';
import { PortalError } from '../../errors/portal-error.ts';
import { findPortalSession, hasRecentCardLogin, hasRecentHpkiLogin, portalSessionCookieName } from '../../portal-session/portal-sessions.ts';
import { consumeChallenge, issueChallenge } from '../../auth/challenges.ts';
import { PASSKEY_CEREMONY_SECONDS } from '../../auth/passkey/relying-party.ts';
import { passkeyRegistrationOptions } from '../../auth/passkey/registration-options.ts';
import { readRegistrationResponse, verifyPasskeyRegistration } from '../../auth/passkey/verify-passkey-registration.ts';
import { replacePasskeyDevice } from '../../practitioners/passkey-device.ts';
import { issueRegistrationCode, registrationUrl } from '../../practitioners/registration-codes.ts';
import { aaguidName } from '../../practitioners/aaguid-names.ts';
import { readJsonBody, sendJson } from '../json.ts';
import { recordDeviceReplacement } from '../../practitioners/device-replacement-effects.ts';
import { clientIp } from '../client-ip.ts';
import { readCookie } from './portal-session-routes.ts';
import { requireSameOrigin } from '../request-origin.ts';
import { qrDataUrl } from './cross-device-routes.ts';

const verifyBody = z.object({ response: z.unknown() });

/**
 * The device-change page's endpoints (SPEC §8), for the practitioner's own portal session:
 *   POST /api/devices/passkey/options, /api/devices/passkey/verify — replace the registered passkey
 *     (a card login within 5 minutes: HPKI card or certificate, or a linked My Number Card);
 *   POST /api/devices/registration-code — a new registration QR at once (an HPKI login within
 *     5 minutes, seed 001 A4); every earlier code stops working.
 */
export async function handleDeviceAction(portal: Portal, req: IncomingMessage, res: ServerResponse, action: string) {
  if (req.method !== 'POST') throw new PortalError('method_not_allowed', 405);
  requireSameOrigin(portal, req);
  const ip = clientIp(req, portal.env.trustedProxies);
  const session = await findPortalSession(portal.prisma, readCookie(req, portalSessionCookieName(portal.env.publicUrl)), portal.env);
  const event = action === 'registration-code' ? 'registration.reissue' : 'device.change';
  try {
    if (!session) throw new PortalError('login_required', 401);
    const practitionerId = session.practitionerId;
    const binding = `device-change:${session.idHash}`;

    if (action === 'passkey/options') {
      if (!hasRecentCardLogin(session)) throw new PortalError('device_change_reauth_required', 403);
      const p = await portal.prisma.practitioner.findUniqueOrThrow({ where: { id: practitionerId }, include: { passkey: true } });
      const options = await passkeyRegistrationOptions(portal.rp, p, p.passkey ? [p.passkey] : []);
      await issueChallenge(portal.prisma, 'passkey-registration', binding, PASSKEY_CEREMONY_SECONDS, options.challenge);
      sendJson(res, 200, { options });
      return;
    }

    if (action === 'passkey/verify') {
      // The recent card login was required to get this session's challenge; the ceremony may
      // outlast the 5 minutes, the challenge (single use, bound to this session) may not.
      const body = verifyBody.safeParse(await readJsonBody(req));
      if (!body.success) throw new PortalError('invalid_request', 400);
      const { response, challenge } = readRegistrationResponse(body.data.response);
      const spent = await consumeChallenge(portal.prisma, 'passkey-registration', binding, challenge);
      if (!spent.ok) throw new PortalError('passkey_challenge_invalid', 400, spent.reason);
      const device = await verifyPasskeyRegistration(portal.rp, response, challenge);
      const replacement = await portal.prisma.$transaction((tx) => replacePasskeyDevice(tx, practitionerId, device));
      await recordDeviceReplacement(portal, replacement, { practitionerId, ip, via: 'device_change', authorisedBy: session.acr });
      sendJson(res, 200, { ok: true, device: { label: aaguidName(device.aaguid), aaguid: device.aaguid } });
      return;
    }

    if (action === 'registration-code') {
      if (!hasRecentHpkiLogin(session)) throw new PortalError('registration_reissue_reauth_required', 403);
      const issued = await issueRegistrationCode(portal.prisma, practitionerId);
      const url = registrationUrl(portal.env.publicUrl, issued.code);
      await portal.audit({ event, result: 'success', practitionerId, ip, details: { codeId: issued.id, by: 'practitioner', expiresAt: issued.expiresAt.toISOString() } });
      sendJson(res, 200, { url, qrDataUrl: await qrDataUrl(url), expiresAt: issued.expiresAt.toISOString() });
      return;
    }
    throw new PortalError('not_found', 404);
  } catch (error) {
    if (error instanceof PortalError && error.code !== 'not_found') {
      await portal.audit({ event, result: 'failure', practitionerId: session?.practitionerId ?? null, ip, errorCode: error.code, details: { step: action } });
    }
    throw error;
  }
}

