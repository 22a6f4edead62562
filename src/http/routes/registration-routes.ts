import { z } from 'zod';
import { PortalError } from '../../errors/portal-error.ts';
import { checkRegistrationPassword, findRegistrationCode, requireUsableRegistrationCode } from '../../practitioners/registration-codes.ts';
import { issueJpkiChallenge, verifyJpkiProof } from '../../auth/methods/jpki/jpki-proof.ts';
import { linkMyNumberCard } from '../../practitioners/my-number-card-links.ts';
import { beginPasskeyRegistration, finishPasskeyRegistration } from '../../auth/methods/passkey/passkey-registration.ts';
import { readJsonBody, sendJson, sendJsonAndWait } from '../json.ts';
import { clientIp } from '../client-ip.ts';
import { recordDeviceReplacement } from '../../portal/device-replacement-effects.ts';
import { errorMessage } from '../../errors/catalogue.ts';
import { localeFromCookieHeader } from '../../i18n/locale.ts';
import type { Route, RouteContext } from '../route.ts';
import { jpkiDependencies } from '../jpki-dependencies.ts';

const passwordBody = z.object({ password: z.string().max(64) });
const codePattern = /^[A-Za-z0-9_-]{16,64}$/;

interface RegistrationContext extends RouteContext {
  code: string;
  ip: string | undefined;
  practitionerId: string | null;
  auditFailure(errorCode: string, details?: Record<string, unknown>): Promise<unknown>;
}

/**
 * POST /api/register/:code/password and /api/register/:code/passkey (the registration QR flow), and
 * /api/register/:code/my-number-card/{challenge,link}: the code and its password (the birth date)
 * prove the person the SSO center issued it to, the card proves possession — the first link of a
 * My Number Card without an HPKI card (seed 002).
 */
export const registrationRoutes: Route[] = [
  registrationStep('password', 'password', checkPassword),
  registrationStep('passkey', 'passkey', registerPasskey),
  registrationStep('mnc_challenge', 'my-number-card/challenge', myNumberCardChallenge),
  registrationStep('mnc_link', 'my-number-card/link', linkWithMyNumberCard),
];

/** A step of the flow for a well-formed code; a refusal is audited under `registration.<action>`. */
function registrationStep(action: string, path: string, step: (ctx: RegistrationContext) => Promise<void>): Route {
  return {
    method: 'POST',
    pattern: new RegExp(`^/api/register/([^/]{1,128})/${path}$`),
    async handle(ctx) {
      const { portal, req, res } = ctx;
      const code = ctx.params[0]!;
      if (!codePattern.test(code)) throw new PortalError('registration_code_unknown', 404);
      const ip = clientIp(req, portal.env.trustedProxies);
      const row = await findRegistrationCode(portal.prisma, code);
      const practitionerId = row?.practitionerId ?? null;
      const auditFailure = (errorCode: string, details: Record<string, unknown> = {}) =>
        portal.audit({ event: `registration.${action}`, result: 'failure', practitionerId, ip, errorCode, details });
      try {
        await step({ ...ctx, code, ip, practitionerId, auditFailure });
      } catch (error) {
        if (error instanceof PortalError) await auditFailure(error.code);
        // The answer may already be out (a right password whose audit entry failed): nothing more to send.
        if (res.headersSent) return;
        throw error;
      }
    },
  };
}

async function checkPassword(ctx: RegistrationContext) {
  const { portal, req, res, code, ip, practitionerId } = ctx;
  const parsed = passwordBody.safeParse(await readJsonBody(req));
  if (!parsed.success) throw new PortalError('registration_password_format', 400);
  // A right password is answered while the code's row is still held (checkRegistrationPassword).
  const check = await checkRegistrationPassword(portal.prisma, code, parsed.data.password, async (tx, usable) => {
    const options = await beginPasskeyRegistration(tx, portal.rp, usable);
    await sendJsonAndWait(res, 200, { options });
  });
  if (!check.ok) return answerWrongPassword(ctx, check);
  await portal.audit({ event: 'registration.password', result: 'success', practitionerId, ip, details: { attempt: check.attempt } });
}

/** A wrong password (423 once the code locks), with the tries left; audited with the attempt's number. */
async function answerWrongPassword({ req, res, auditFailure }: RegistrationContext, check: { locked: boolean; remaining: number; attempt: number }) {
  const errorCode = check.locked ? 'registration_code_locked' : 'registration_password_wrong';
  await auditFailure(errorCode, { remaining: check.remaining, attempt: check.attempt });
  const locale = localeFromCookieHeader(req.headers.cookie);
  sendJson(res, check.locked ? 423 : 401, { error: errorCode, message: errorMessage(errorCode, locale), remaining: check.remaining });
}

async function registerPasskey({ portal, req, res, code, ip }: RegistrationContext) {
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
}

/** What a registration-code challenge is bound to: the code's row, not the code itself. */
const registrationBinding = (rowId: string) => `registration:${rowId}`;


/**
 * The password again (counted and locking like the passkey step), then a JPKI challenge for the
 * card. The code is not used up: the passkey can still be registered with it.
 */
async function myNumberCardChallenge(ctx: RegistrationContext) {
  const { portal, req, res, code, ip } = ctx;
  const parsed = passwordBody.safeParse(await readJsonBody(req));
  if (!parsed.success) throw new PortalError('registration_password_format', 400);
  const check = await checkRegistrationPassword(portal.prisma, code, parsed.data.password);
  if (!check.ok) return answerWrongPassword(ctx, check);
  await portal.audit({ event: 'registration.mnc_challenge', result: 'success', practitionerId: check.row.practitionerId, ip, details: { attempt: check.attempt } });
  sendJson(res, 200, await issueJpkiChallenge(jpkiDependencies(portal), 'jpki-registration', registrationBinding(check.row.id)));
}

/** The card's answer to that challenge (origin-bound through the card bridge): the first link only. */
async function linkWithMyNumberCard({ portal, req, res, code, ip }: RegistrationContext) {
  const row = await requireUsableRegistrationCode(portal.prisma, code);
  const card = await verifyJpkiProof(jpkiDependencies(portal), await readJsonBody(req), 'jpki-registration', registrationBinding(row.id), portal.rp.origin);
  await linkMyNumberCard(portal.prisma, row.practitionerId, card, { firstOnly: true });
  await portal.audit({ event: 'mnc.link', result: 'success', practitionerId: row.practitionerId, ip, details: { fingerprint: card.fingerprint, via: 'registration_code' } });
  sendJson(res, 200, { linked: true });
}
