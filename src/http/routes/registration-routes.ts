import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Portal } from '../../portal/portal.ts';
import { PortalError } from '../../errors/portal-error.ts';
import { checkRegistrationPassword, findRegistrationCode } from '../../practitioners/registration-codes.ts';
import { beginPasskeyRegistration, finishPasskeyRegistration } from '../../auth/passkey/passkey-registration.ts';
import { readJsonBody, sendJson, sendJsonAndWait } from '../json.ts';
import { clientIp } from '../client-ip.ts';
import { recordDeviceReplacement } from '../../practitioners/device-replacement-effects.ts';
import { errorMessage } from '../../errors/catalogue.ts';
import { localeFromCookieHeader } from '../../i18n/locale.ts';

const passwordBody = z.object({ password: z.string().max(64) });
const codePattern = /^[A-Za-z0-9_-]{16,64}$/;

/** POST /api/register/:code/password and /api/register/:code/passkey (the registration QR flow). */
export async function handleRegistrationAction(portal: Portal, req: IncomingMessage, res: ServerResponse, code: string, action: string) {
  if (req.method !== 'POST') throw new PortalError('method_not_allowed', 405);
  if (!codePattern.test(code)) throw new PortalError('registration_code_unknown', 404);
  const ip = clientIp(req, portal.env.trustedProxies);
  const row = await findRegistrationCode(portal.prisma, code);
  const practitionerId = row?.practitionerId ?? null;
  const auditFailure = (errorCode: string, details: Record<string, unknown> = {}) =>
    portal.audit({ event: `registration.${action}`, result: 'failure', practitionerId, ip, errorCode, details });

  try {
    if (action === 'password') {
      const parsed = passwordBody.safeParse(await readJsonBody(req));
      if (!parsed.success) throw new PortalError('registration_password_format', 400);
      // A right password is answered while the code's row is still held (checkRegistrationPassword).
      const check = await checkRegistrationPassword(portal.prisma, code, parsed.data.password, async (tx, usable) => {
        const options = await beginPasskeyRegistration(tx, portal.rp, usable);
        await sendJsonAndWait(res, 200, { options });
      });
      if (!check.ok) {
        const errorCode = check.locked ? 'registration_code_locked' : 'registration_password_wrong';
        await auditFailure(errorCode, { remaining: check.remaining, attempt: check.attempt });
        const locale = localeFromCookieHeader(req.headers.cookie);
        sendJson(res, check.locked ? 423 : 401, { error: errorCode, message: errorMessage(errorCode, locale), remaining: check.remaining });
        return;
      }
      await portal.audit({ event: 'registration.password', result: 'success', practitionerId, ip, details: { attempt: check.attempt } });
      return;
    }
    if (action === 'passkey') {
      const body = z.object({ response: z.unknown() }).safeParse(await readJsonBody(req));
      if (!body.success) throw new PortalError('invalid_request', 400);
      const done = await finishPasskeyRegistration(portal.prisma, portal.rp, code, body.data.response);
      await portal.audit({
        event: 'registration.passkey',
        result: 'success',
        practitionerId: done.practitionerId,
        ip,
        details: { credentialId: done.credentialId, replacedDevice: done.replacedDevice },
      });
      await recordDeviceReplacement(portal, done.replacement, { practitionerId: done.practitionerId, ip, via: 'registration_code' });
      sendJson(res, 200, { ok: true });
      return;
    }
  } catch (error) {
    if (error instanceof PortalError) await auditFailure(error.code);
    // The answer may already be out (a right password whose audit entry failed): nothing more to send.
    if (res.headersSent) return;
    throw error;
  }
  throw new PortalError('not_found', 404);
}
