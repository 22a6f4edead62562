import { z } from 'zod';
import { PortalError } from '../../../errors/portal-error.ts';
import type { LoginMethodDefinition } from '../../login-method.ts';
import {
  CROSS_DEVICE_ASSURANCE,
  CROSS_DEVICE_SECONDS,
  completeCrossDeviceRequest,
  crossDeviceStatus,
  crossDeviceUrl,
  startCrossDeviceRequest,
} from './cross-device-requests.ts';
import { summariseUserAgent } from './terminal-summary.ts';

const completeBody = z.object({ request: z.string().max(64) });

function secondsUntil(date: Date): number {
  return Math.max(0, Math.ceil((date.getTime() - Date.now()) / 1000));
}

/**
 * Cross-device login (seed 003): the terminal shows a one-time URL as a QR code, the registered phone
 * approves it with its passkey (`/api/approve/:token/*`, http/routes/approve-routes.ts), and the
 * terminal, polling, completes the login by itself. A service that offers `passkey` offers this too.
 *   POST start → { request, url, qrDataUrl, expiresAt, expiresInSeconds }
 *   GET  status?request=<id> → { status, expiresAt, expiresInSeconds }
 *   POST complete { request } → the login, once the phone approved
 */
export const passkeyCrossDeviceMethod = {
  id: 'passkey-cross-device',
  assurance: CROSS_DEVICE_ASSURANCE,
  credential: 'passkey',
  routeSegment: 'cross-device',
  offeredAs: 'passkey',
  chooser: { panel: 'cross-device', titleKey: 'crossDevice.title', descriptionKey: 'crossDevice.description', devices: ['terminal'] },
  auditEvents: ['cross_device.start', 'cross_device.approve'],
  available: () => true,
  steps: [
    {
      path: 'start',
      httpMethod: 'POST',
      response: 'json',
      addressLimit: 'cross-device-start-ip',
      loginLimit: 'cross-device-start-interaction',
      async run(deps, { ctx, service, request, offered }) {
        // Offered wherever the login page offers it: not when the service or acr_values asks for a card.
        if (!(await offered()).includes('passkey-cross-device')) throw new PortalError('method_not_available', 400);
        const started = await startCrossDeviceRequest(deps.prisma, {
          interactionUid: ctx.interactionUid,
          clientId: service.clientId,
          clientName: service.name,
          terminalIp: ctx.ip,
          terminalAgent: summariseUserAgent(request.headers['user-agent']),
        });
        await deps.audit({ event: 'cross_device.start', result: 'success', clientId: service.clientId, ip: ctx.ip, details: { request: started.id } });
        const url = crossDeviceUrl(deps.publicUrl, started.token);
        return {
          json: { request: started.id, url, qrDataUrl: await deps.qrDataUrl(url), expiresAt: started.expiresAt.toISOString(), expiresInSeconds: CROSS_DEVICE_SECONDS },
        };
      },
    },
    {
      path: 'status',
      httpMethod: 'GET',
      response: 'json',
      addressLimit: 'cross-device-status-ip',
      loginLimit: 'cross-device-status-interaction',
      anyPrompt: true,
      async run(deps, { ctx, query }) {
        const { status, expiresAt } = await crossDeviceStatus(deps.prisma, ctx.interactionUid, query.get('request') ?? '');
        return { json: { status, expiresAt: expiresAt.toISOString(), expiresInSeconds: secondsUntil(expiresAt) } };
      },
    },
    {
      path: 'complete',
      authenticates: true,
      httpMethod: 'POST',
      response: 'json',
      addressLimit: 'finish-ip',
      loginLimit: 'finish-interaction',
      async run(deps, { ctx, body }) {
        const parsed = completeBody.safeParse(await body());
        if (!parsed.success) throw new PortalError('invalid_request', 400, 'request is missing');
        const { credentialId: _credentialId, ...auth } = await completeCrossDeviceRequest(deps.prisma, ctx.interactionUid, parsed.data.request);
        return { auth };
      },
    },
  ],
} as const satisfies LoginMethodDefinition<'passkey-cross-device'>;
