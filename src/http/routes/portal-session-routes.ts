import type { IncomingMessage } from 'node:http';
import type { Portal } from '../../portal/portal.ts';
import { PortalError } from '../../errors/portal-error.ts';
import { PortalRelyingParty, safeReturnPath } from '../../portal-session/portal-relying-party.ts';
import { endPortalSession, lookupPortalSession, portalSessionCookieName, secondsLeft } from '../../portal-session/portal-sessions.ts';
import { ACR } from '../../auth/assurance.ts';
import { endSsoSessions } from '../../oidc/end-sso-session.ts';
import { clientIp } from '../client-ip.ts';
import { requireSameOrigin } from '../request-origin.ts';
import { RequestAbortedError } from '../json.ts';
import type { Route, RouteContext } from '../route.ts';

const STATE_COOKIE = 'portal_login';
const relyingParties = new WeakMap<Portal, PortalRelyingParty>();

export function portalRelyingParty(portal: Portal): PortalRelyingParty {
  let rp = relyingParties.get(portal);
  if (!rp) relyingParties.set(portal, (rp = new PortalRelyingParty(portal)));
  return rp;
}

export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const match = new RegExp(`(?:^|;\\s*)${name.replace(/[^A-Za-z0-9_-]/g, '\\$&')}=([^;]*)`).exec(req.headers.cookie ?? '');
  return match?.[1];
}

function cookie(portal: Portal, name: string, value: string, maxAgeSeconds: number, path = '/') {
  const secure = portal.env.publicUrl.startsWith('https:') ? '; Secure' : '';
  return `${name}=${value}; Path=${path}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure}`;
}

/** The logged-in practitioner's portal session for a JSON endpoint, or a 401 with a code. */
export async function requirePortalSession(portal: Portal, req: IncomingMessage) {
  const lookup = await lookupPortalSession(portal.prisma, readCookie(req, portalSessionCookieName(portal.env.publicUrl)), portal.env);
  if (lookup.ended === 'idle') throw new PortalError('session_idle', 401);
  if (!lookup.session) throw new PortalError('login_required', 401);
  return lookup.session;
}

/**
 * The portal's own login: GET /portal/login?return=/path[&reauth=hpki], GET /portal/callback,
 * POST /portal/logout, POST /portal/backchannel-logout.
 */
export const portalSessionRoutes: Route[] = [
  { method: 'GET', pattern: /^\/portal\/login$/, handle: beginPortalLogin },
  { method: 'GET', pattern: /^\/portal\/callback$/, handle: finishPortalLogin },
  { method: 'POST', pattern: /^\/portal\/logout$/, handle: logOut },
  { method: 'POST', pattern: /^\/portal\/backchannel-logout$/, handle: backchannelLogOut },
];

async function beginPortalLogin({ portal, req, res }: RouteContext) {
  const url = new URL(req.url ?? '/', 'http://portal.invalid');
  // reauth=hpki: actions that need a card within the last 5 minutes ask for a fresh HPKI login.
  const hpki = url.searchParams.get('reauth') === 'hpki';
  // After an idle session the provider's SSO session must not let the next person at this
  // terminal back in: the person authenticates again (max_age=0).
  const { ended } = await lookupPortalSession(portal.prisma, readCookie(req, portalSessionCookieName(portal.env.publicUrl)), portal.env);
  const begun = await portalRelyingParty(portal).beginLogin({
    returnTo: safeReturnPath(url.searchParams.get('return')),
    ...(hpki ? { maxAge: 0, acrValues: ACR.hpki } : ended === 'idle' ? { maxAge: 0 } : {}),
  });
  res.writeHead(303, { location: begun.location, 'set-cookie': cookie(portal, STATE_COOKIE, begun.cookie, 900, '/portal'), 'cache-control': 'no-store' });
  res.end();
}

async function finishPortalLogin({ portal, req, res }: RouteContext) {
  const done = await portalRelyingParty(portal).finishLogin(new URL(req.url ?? '/', portal.env.publicUrl), readCookie(req, STATE_COOKIE));
  await portal.audit({ event: 'portal.login', result: 'success', practitionerId: done.practitionerId, ip: clientIp(req, portal.env.trustedProxies) });
  res.writeHead(303, {
    location: done.returnTo,
    'set-cookie': [
      cookie(portal, portalSessionCookieName(portal.env.publicUrl), done.sessionId, Math.max(1, secondsLeft(done.authTime, portal.env))),
      cookie(portal, STATE_COOKIE, '', 0, '/portal'),
    ],
    'cache-control': 'no-store',
  });
  res.end();
}

async function logOut({ portal, req, res }: RouteContext) {
  requireSameOrigin(portal, req);
  // One step on a shared terminal: the portal session, this browser's SSO session at the provider
  // (and the one the portal session came from), and through back-channel logout every linked
  // service's session. No confirmation page: the request is the person's own, same-origin.
  const sessionCookie = portalSessionCookieName(portal.env.publicUrl);
  const id = readCookie(req, sessionCookie);
  const { session } = await lookupPortalSession(portal.prisma, id, portal.env);
  if (id) await endPortalSession(portal.prisma, id, 'logout');
  const ended = await endSsoSessions(portal.provider, portal.prisma, { browser: { req, res }, portalSid: session?.sid }, portal.log);
  const practitionerId = session?.practitionerId ?? ended[0]?.accountId ?? null;
  const services = [...new Set(ended.flatMap((e) => e.clientIds))];
  const backchannel = ended.flatMap((e) => e.backchannel);
  await portal.audit({
    event: 'logout',
    result: 'success',
    practitionerId,
    ip: clientIp(req, portal.env.trustedProxies),
    details: {
      via: 'portal',
      providerSessions: ended.length,
      services,
      backchannel: { delivered: backchannel.filter((b) => b.ok).map((b) => b.clientId), failed: backchannel.filter((b) => !b.ok).map((b) => b.clientId) },
    },
  });
  res.appendHeader('set-cookie', cookie(portal, sessionCookie, '', 0));
  res.writeHead(303, { location: '/logged-out', 'cache-control': 'no-store' });
  res.end();
}

async function backchannelLogOut({ portal, req, res }: RouteContext) {
  const body = new URLSearchParams(await readFormBody(req));
  const token = body.get('logout_token');
  if (!token) throw new PortalError('invalid_request', 400, 'logout_token missing');
  try {
    await portalRelyingParty(portal).backchannelLogout(token);
  } catch (error) {
    throw error instanceof PortalError ? error : new PortalError('invalid_request', 400, (error as Error).message);
  }
  res.writeHead(200, { 'cache-control': 'no-store' });
  res.end();
}

async function readFormBody(req: IncomingMessage): Promise<string> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (type !== 'application/x-www-form-urlencoded') throw new PortalError('unsupported_media_type', 415);
  let size = 0;
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > 16 * 1024) throw new PortalError('payload_too_large', 413);
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    throw error instanceof PortalError ? error : new RequestAbortedError();
  }
  return Buffer.concat(chunks).toString('utf8');
}
