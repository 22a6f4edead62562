import type { IncomingMessage, ServerResponse } from 'node:http';
import QRCode from 'qrcode';
import { z } from 'zod';
import type { Portal } from '../../portal/portal.ts';
import { PortalError } from '../../errors/portal-error.ts';
import {
  CROSS_DEVICE_SECONDS,
  beginCrossDeviceApproval,
  completeCrossDeviceRequest,
  crossDeviceStatus,
  crossDeviceUrl,
  findCrossDeviceRequest,
  finishCrossDeviceApproval,
  startCrossDeviceRequest,
} from '../../auth/cross-device/cross-device-requests.ts';
import { summariseUserAgent } from '../../auth/cross-device/terminal-summary.ts';
import { methodsMeeting } from '../../oidc/interaction-view.ts';
import { methodsForService, readServicePolicy } from '../../clients/service-policy.ts';
import type { LoginContext } from '../../auth/login-method.ts';
import { readJsonBody, sendJson } from '../json.ts';
import { clientIp } from '../client-ip.ts';
import { enforceLimit } from '../request-limits.ts';
import { requireJsonRequest, requireSameOrigin } from '../request-origin.ts';
import { completeLogin, finishMethod, requireInteraction, requireLoginPending } from './interaction-routes.ts';

const completeBody = z.object({ request: z.string().max(64) });

/** A QR code image of a URL, as a data: URL (the content-security policy allows `img-src data:`). */
export function qrDataUrl(url: string): Promise<string> {
  return QRCode.toDataURL(url, { errorCorrectionLevel: 'M', margin: 2, width: 280 });
}

/**
 * Cross-device login (seed 003). Terminal, with the login interaction's cookie:
 *   POST /interaction/:uid/cross-device/start     → { request, url, qrDataUrl, expiresAt, expiresInSeconds }
 *   GET  /interaction/:uid/cross-device/status?request=<id> → { status, expiresAt, expiresInSeconds }
 *   POST /interaction/:uid/cross-device/complete  { request } → { redirectTo } once the phone approved
 * Phone, holding only the one-time URL:
 *   POST /api/approve/:token/options → WebAuthn options;  POST /api/approve/:token/verify → { ok }
 */
export async function handleCrossDeviceAction(
  portal: Portal,
  req: IncomingMessage,
  res: ServerResponse,
  uid: string | undefined,
  token: string | undefined,
  action: string,
) {
  if (uid !== undefined) return handleTerminal(portal, req, res, uid, action);
  if (token !== undefined) return handlePhone(portal, req, res, token, action);
  throw new PortalError('not_found', 404);
}

async function handleTerminal(portal: Portal, req: IncomingMessage, res: ServerResponse, uid: string, action: string) {
  if (!['start', 'status', 'complete'].includes(action)) throw new PortalError('not_found', 404);
  if (req.method !== (action === 'status' ? 'GET' : 'POST')) throw new PortalError('method_not_allowed', 405);
  requireSameOrigin(portal, req);
  if (req.method === 'POST') requireJsonRequest(req);
  const details = await requireInteraction(portal, req, res, uid);
  const ctx: LoginContext = { interactionUid: uid, origin: portal.rp.origin, ip: clientIp(req, portal.env.trustedProxies) };
  const clientId = String(details.params.client_id);

  // Per login, after the interaction cookie proved this browser owns it (a stranger cannot use up its caps).
  await enforceLimit(portal, req, action === 'status' ? 'cross-device-status-interaction' : action === 'start' ? 'cross-device-start-interaction' : 'finish-interaction', uid);
  if (action === 'status') {
    const requestId = new URL(req.url ?? '/', 'http://portal.invalid').searchParams.get('request') ?? '';
    const { status, expiresAt } = await crossDeviceStatus(portal.prisma, uid, requestId);
    sendJson(res, 200, { status, expiresAt: expiresAt.toISOString(), expiresInSeconds: secondsUntil(expiresAt) });
    return;
  }

  requireLoginPending(details);
  if (action === 'start') {
    // Offered wherever the login page offers the passkey: not when the service's policy or the
    // request (acr_values) asks for a card.
    const client = await portal.provider.Client.find(clientId);
    const offered = methodsForService(await portal.methods(), readServicePolicy(client?.metadata()));
    if (!methodsMeeting(offered, String(details.params.acr_values ?? '')).includes('passkey')) {
      throw new PortalError('method_not_available', 400);
    }
    const started = await startCrossDeviceRequest(portal.prisma, {
      interactionUid: uid,
      clientId,
      clientName: String(client?.clientName ?? clientId),
      terminalIp: ctx.ip,
      terminalAgent: summariseUserAgent(req.headers['user-agent']),
    });
    await portal.audit({ event: 'cross_device.start', result: 'success', clientId, ip: ctx.ip, details: { request: started.id } });
    const url = crossDeviceUrl(portal.env.publicUrl, started.token);
    sendJson(res, 200, {
      request: started.id,
      url,
      qrDataUrl: await qrDataUrl(url),
      expiresAt: started.expiresAt.toISOString(),
      expiresInSeconds: CROSS_DEVICE_SECONDS,
    });
    return;
  }

  // complete
  const body = completeBody.safeParse(await readJsonBody(req));
  if (!body.success) throw new PortalError('invalid_request', 400, 'request is missing');
  const auth = await finishMethod(portal, 'passkey-cross-device', clientId, ctx, async () => {
    const { credentialId: _credentialId, ...result } = await completeCrossDeviceRequest(portal.prisma, uid, body.data.request);
    return result;
  });
  await completeLogin(portal, req, res, details, auth, ctx);
}

async function handlePhone(portal: Portal, req: IncomingMessage, res: ServerResponse, token: string, action: string) {
  if (action !== 'options' && action !== 'verify') throw new PortalError('not_found', 404);
  if (req.method !== 'POST') throw new PortalError('method_not_allowed', 405);
  requireSameOrigin(portal, req);
  requireJsonRequest(req);
  const ip = clientIp(req, portal.env.trustedProxies);
  try {
    if (action === 'options') {
      const { options } = await beginCrossDeviceApproval(portal.prisma, portal.rp, token);
      sendJson(res, 200, options);
      return;
    }
    const approved = await finishCrossDeviceApproval(portal.prisma, portal.rp, token, await readJsonBody(req));
    await portal.audit({
      event: 'cross_device.approve',
      result: 'success',
      method: 'passkey-cross-device',
      practitionerId: approved.practitionerId,
      clientId: approved.request.clientId,
      ip,
      details: { request: approved.request.id, credentialId: approved.credentialId, terminalIp: approved.request.terminalIp },
    });
    sendJson(res, 200, { ok: true });
  } catch (error) {
    const row = await findCrossDeviceRequest(portal.prisma, token).catch(() => null);
    await portal.refusals.record({
      event: 'cross_device.approve',
      result: 'failure',
      method: 'passkey-cross-device',
      clientId: row?.clientId ?? null,
      ip,
      errorCode: error instanceof PortalError ? error.code : 'internal_error',
      details: { step: action, ...(row ? { request: row.id } : {}) },
    });
    throw error;
  }
}

function secondsUntil(date: Date): number {
  return Math.max(0, Math.ceil((date.getTime() - Date.now()) / 1000));
}
