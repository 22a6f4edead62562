import { z } from 'zod';
import { PortalError } from '../../errors/portal-error.ts';
import { findPortalSession, hasRecentCardLogin, hasRecentHpkiLogin, portalSessionCookieName } from '../../portal-session/portal-sessions.ts';
import { consumeChallenge, issueChallenge } from '../../auth/challenges.ts';
import { PASSKEY_CEREMONY_SECONDS } from '../../auth/methods/passkey/relying-party.ts';
import { passkeyRegistrationOptions } from '../../auth/methods/passkey/registration-options.ts';
import { readRegistrationResponse, verifyPasskeyRegistration } from '../../auth/methods/passkey/verify-passkey-registration.ts';
import { replacePasskeyDevice } from '../../auth/methods/passkey/passkey-device.ts';
import { issueRegistrationCode, registrationUrl } from '../../practitioners/registration-codes.ts';
import { aaguidName } from '../../practitioners/aaguid-names.ts';
import { readJsonBody, sendJson } from '../json.ts';
import { recordDeviceReplacement } from '../../portal/device-replacement-effects.ts';
import { clientIp } from '../client-ip.ts';
import { readCookie } from './portal-session-routes.ts';
import { requireSameOrigin } from '../request-origin.ts';
import { qrDataUrl } from '../qr-code.ts';
import type { Route, RouteContext } from '../route.ts';

const verifyBody = z.object({ response: z.unknown() });

type Session = NonNullable<Awaited<ReturnType<typeof findPortalSession>>>;
type Step = (ctx: RouteContext, session: Session, ip: string | undefined) => Promise<void>;

/**
 * The device-change page's endpoints (SPEC §8), for the practitioner's own portal session:
 *   POST /api/devices/passkey/options, /api/devices/passkey/verify — replace the registered passkey
 *     (a card login within 5 minutes: HPKI card or certificate, or a linked My Number Card);
 *   POST /api/devices/registration-code — a new registration QR at once (an HPKI login within
 *     5 minutes, seed 001 A4); every earlier code stops working.
 */
export const deviceRoutes: Route[] = [
  ownDeviceRoute('passkey/options', 'device.change', passkeyOptions),
  ownDeviceRoute('passkey/verify', 'device.change', passkeyVerify),
  ownDeviceRoute('registration-code', 'registration.reissue', newRegistrationCode),
];

/** Same origin, the practitioner's own portal session, and every refusal audited with its step. */
function ownDeviceRoute(action: string, event: 'device.change' | 'registration.reissue', step: Step): Route {
  return {
    method: 'POST',
    pattern: new RegExp(`^/api/devices/${action}$`),
    async handle(ctx) {
      const { portal, req } = ctx;
      requireSameOrigin(portal, req);
      const ip = clientIp(req, portal.env.trustedProxies);
      const session = await findPortalSession(portal.prisma, readCookie(req, portalSessionCookieName(portal.env.publicUrl)), portal.env);
      try {
        if (!session) throw new PortalError('login_required', 401);
        await step(ctx, session, ip);
      } catch (error) {
        if (error instanceof PortalError && error.code !== 'not_found') {
          await portal.audit({ event, result: 'failure', practitionerId: session?.practitionerId ?? null, ip, errorCode: error.code, details: { step: action } });
        }
        throw error;
      }
    },
  };
}

const deviceChangeBinding = (session: Session) => `device-change:${session.idHash}`;

async function passkeyOptions({ portal, res }: RouteContext, session: Session) {
  if (!hasRecentCardLogin(session)) throw new PortalError('device_change_reauth_required', 403);
  const p = await portal.prisma.practitioner.findUniqueOrThrow({ where: { id: session.practitionerId }, include: { passkey: true } });
  const options = await passkeyRegistrationOptions(portal.rp, p, p.passkey ? [p.passkey] : []);
  await issueChallenge(portal.prisma, 'passkey-registration', deviceChangeBinding(session), PASSKEY_CEREMONY_SECONDS, options.challenge);
  sendJson(res, 200, { options });
}

async function passkeyVerify({ portal, req, res }: RouteContext, session: Session, ip: string | undefined) {
  // The recent card login was required to get this session's challenge; the ceremony may
  // outlast the 5 minutes, the challenge (single use, bound to this session) may not.
  const practitionerId = session.practitionerId;
  const body = verifyBody.safeParse(await readJsonBody(req));
  if (!body.success) throw new PortalError('invalid_request', 400);
  const { response, challenge } = readRegistrationResponse(body.data.response);
  const spent = await consumeChallenge(portal.prisma, 'passkey-registration', deviceChangeBinding(session), challenge);
  if (!spent.ok) throw new PortalError('passkey_challenge_invalid', 400, spent.reason);
  const device = await verifyPasskeyRegistration(portal.rp, response, challenge);
  const replacement = await portal.prisma.$transaction((tx) => replacePasskeyDevice(tx, practitionerId, device));
  await recordDeviceReplacement(portal, replacement, { practitionerId, ip, via: 'device_change', authorisedBy: session.acr });
  sendJson(res, 200, { ok: true, device: { label: aaguidName(device.aaguid), aaguid: device.aaguid } });
}

async function newRegistrationCode({ portal, res }: RouteContext, session: Session, ip: string | undefined) {
  if (!hasRecentHpkiLogin(session)) throw new PortalError('registration_reissue_reauth_required', 403);
  const practitionerId = session.practitionerId;
  const issued = await issueRegistrationCode(portal.prisma, practitionerId);
  const url = registrationUrl(portal.env.publicUrl, issued.code);
  await portal.audit({ event: 'registration.reissue', result: 'success', practitionerId, ip, details: { codeId: issued.id, by: 'practitioner', expiresAt: issued.expiresAt.toISOString() } });
  sendJson(res, 200, { url, qrDataUrl: await qrDataUrl(url), expiresAt: issued.expiresAt.toISOString() });
}
