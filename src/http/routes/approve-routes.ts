import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Portal } from '../../portal/portal.ts';
import { PortalError } from '../../errors/portal-error.ts';
import { beginCrossDeviceApproval, findCrossDeviceRequest, finishCrossDeviceApproval } from '../../auth/methods/passkey-cross-device/cross-device-requests.ts';
import { passkeyCrossDeviceMethod } from '../../auth/methods/passkey-cross-device/method.ts';
import { readJsonBody, sendJson } from '../json.ts';
import { clientIp } from '../client-ip.ts';
import { requireJsonRequest, requireSameOrigin } from '../request-origin.ts';
import type { Route, RouteContext } from '../route.ts';

/**
 * The phone's half of the cross-device login (seed 003), holding only the one-time URL; the
 * terminal's steps are the method's own (`src/auth/methods/passkey-cross-device/method.ts`).
 *   POST /api/approve/:token/options → WebAuthn options;  POST /api/approve/:token/verify → { ok }
 */
export const approveRoutes: Route[] = (['options', 'verify'] as const).map((action) => ({
  method: 'POST',
  pattern: new RegExp(`^/api/approve/([^/]{1,128})/${action}$`),
  handle: ({ portal, req, res, params }: RouteContext) => approveOnPhone(portal, req, res, params[0]!, action),
}));

async function approveOnPhone(portal: Portal, req: IncomingMessage, res: ServerResponse, token: string, action: 'options' | 'verify') {
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
      method: passkeyCrossDeviceMethod.id,
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
      method: passkeyCrossDeviceMethod.id,
      clientId: row?.clientId ?? null,
      ip,
      errorCode: error instanceof PortalError ? error.code : 'internal_error',
      details: { step: action, ...(row ? { request: row.id } : {}) },
    });
    throw error;
  }
}
