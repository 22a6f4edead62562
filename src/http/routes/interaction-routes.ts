import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { InteractionResults } from 'oidc-provider';
import type { Portal } from '../../portal/portal.ts';
import { PortalError } from '../../errors/portal-error.ts';
import { passkeyLogin } from '../../auth/passkey/passkey-login.ts';
import { hpkiCardLogin } from '../../auth/hpki-card/hpki-card-login.ts';
import { jpkiLogin } from '../../auth/jpki/jpki-login.ts';
import { finishHpkiCertLogin } from '../../auth/hpki-cert/hpki-cert-login.ts';
import { renderStandaloneError } from '../../oidc/provider-pages.ts';
import { localeFromCookieHeader } from '../../i18n/locale.ts';
import { checkServicePolicy, readServicePolicy, serviceAllowsMethod } from '../../clients/service-policy.ts';
import { parseStoredHcRoles, JPKI_HCROLE_SCHEME } from '../../practitioners/practitioner.ts';
import { describeHcRole } from '../../pki/hcrole/displayNames.ts';
import { approvedSigningDetails } from '../../signing/signing-consent.ts';
import { recordLoginEvidence } from '../../auth/login-evidence.ts';
import type { LoginMethodId } from '../../auth/assurance.ts';
import type { AuthResult, LoginContext } from '../../auth/login-method.ts';
import { readJsonBody, sendJson } from '../json.ts';
import { clientIp } from '../client-ip.ts';
import { enforceLimit } from '../request-limits.ts';
import { requireJsonRequest, requireSameOrigin } from '../request-origin.ts';
import { RateLimitedError } from '../../errors/rate-limited-error.ts';

export type Details = Awaited<ReturnType<Portal['provider']['interactionDetails']>>;

/** The interaction must exist, belong to this browser (cookie) and be the one in the URL. */
export async function requireInteraction(portal: Portal, req: IncomingMessage, res: ServerResponse, uid: string): Promise<Details> {
  let details: Details;
  try {
    details = await portal.provider.interactionDetails(req, res);
  } catch {
    throw new PortalError('interaction_expired', 400);
  }
  if (details.uid !== uid) throw new PortalError('interaction_mismatch', 400);
  return details;
}

async function finish(portal: Portal, req: IncomingMessage, res: ServerResponse, result: InteractionResults) {
  const redirectTo = await portal.provider.interactionResult(req, res, result, { mergeWithLastSubmission: false });
  sendJson(res, 200, { redirectTo });
}

export async function completeLogin(
  portal: Portal,
  req: IncomingMessage,
  res: ServerResponse,
  details: Details,
  auth: AuthResult,
  ctx: LoginContext,
  respond: 'json' | 'redirect' = 'json',
) {
  await enforceServicePolicy(portal, details, auth, ctx);
  const loginTs = Math.floor(Date.now() / 1000);
  await recordLoginEvidence(portal.prisma, auth, loginTs);
  await portal.audit({
    event: 'login',
    result: 'success',
    method: auth.method,
    practitionerId: auth.practitionerId,
    clientId: String(details.params.client_id),
    ip: ctx.ip,
    details: { acr: auth.acr, amr: auth.amr, ...(auth.certificate ? { certificate: auth.certificate } : {}) },
  });
  const result = { login: { accountId: auth.practitionerId, acr: auth.acr, amr: auth.amr, remember: false, ts: loginTs } };
  if (respond === 'json') {
    await finish(portal, req, res, result);
    return;
  }
  const redirectTo = await portal.provider.interactionResult(req, res, result, { mergeWithLastSubmission: false });
  res.writeHead(303, { location: redirectTo, 'cache-control': 'no-store' });
  res.end();
}

/**
 * The service's policy decides after the person is known: a practitioner without an allowed
 * qualification, or a login below the service's minimum, is refused with a page that says what is
 * needed — never a login.
 */
async function enforceServicePolicy(portal: Portal, details: Details, auth: AuthResult, ctx: LoginContext) {
  const clientId = String(details.params.client_id);
  const client = await portal.provider.Client.find(clientId);
  const policy = readServicePolicy(client?.metadata());
  // A certificate login brings the qualifications it proved; other methods use the record's.
  const hcRoles =
    auth.hcRoles ?? parseStoredHcRoles((await portal.prisma.practitioner.findUnique({ where: { id: auth.practitionerId }, select: { hcRoles: true } }))?.hcRoles);
  const refusal = checkServicePolicy(policy, { method: auth.method, acr: auth.acr, hcRoles });
  if (!refusal) return;
  await portal.audit({ event: 'login', result: 'failure', method: auth.method, practitionerId: auth.practitionerId, clientId, ip: ctx.ip, errorCode: refusal.code });
  // Japanese name and the certificate's own string, readable in either language.
  const required =
    refusal.code === 'service_hcrole_required'
      ? refusal.required.map((r) => `${describeHcRole(r, JPKI_HCROLE_SCHEME).displayJa} (${r})`).join('、')
      : refusal.code === 'service_acr_too_low'
        ? refusal.required
        : '';
  throw new PortalError(refusal.code, 403, undefined, { required });
}

/**
 * GET /interaction/:uid/hpki-cert — a top-level navigation to the TLS listener (or through the
 * certificate-requesting proxy): success continues the authorization, failure is a page that says
 * what to do and links back to the method chooser.
 */
export async function handleHpkiCertLogin(portal: Portal, req: IncomingMessage, res: ServerResponse, uid: string) {
  const locale = localeFromCookieHeader(req.headers.cookie);
  const fail = (code: string, status: number, params?: Record<string, string>) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(renderStandaloneError(locale, code, `${portal.env.publicUrl}/interaction/${encodeURIComponent(uid)}`, params));
  };
  if (req.method !== 'GET') return fail('method_not_allowed', 405);
  if (!portal.env.hpkiCertOrigin) return fail('method_not_available', 400);
  let details: Details;
  try {
    details = await requireInteraction(portal, req, res, uid);
  } catch (error) {
    return fail(error instanceof PortalError ? error.code : 'interaction_expired', 400);
  }
  if (details.prompt.name !== 'login') return fail('invalid_request', 400);
  try {
    await enforceLimit(portal, req, 'finish-interaction', uid);
  } catch (error) {
    if (!(error instanceof RateLimitedError)) throw error;
    res.setHeader('retry-after', String(error.retryAfterSeconds));
    return fail(error.code, 429, error.params);
  }
  const ctx: LoginContext = { interactionUid: uid, origin: portal.rp.origin, ip: clientIp(req, portal.env.trustedProxies) };
  try {
    const auth = await finishMethod(portal, 'hpki-cert', String(details.params.client_id), ctx, () =>
      finishHpkiCertLogin(certificateDeps(portal), req, { trustedProxies: portal.env.trustedProxies, proxyHeader: portal.env.clientCertProxyHeader }),
    );
    await completeLogin(portal, req, res, details, auth, ctx, 'redirect');
  } catch (error) {
    if (!(error instanceof PortalError)) throw error;
    fail(error.code, error.status >= 500 ? 503 : error.status, error.params);
  }
}

const KNOWN_ACTIONS = new Set([
  'passkey/options',
  'passkey/verify',
  'hpki-card/challenge',
  'hpki-card/verify',
  'jpki/challenge',
  'jpki/verify',
  'consent',
  'abort',
]);

/** A login method's second step, audited either way. */
export async function finishMethod(
  portal: Portal,
  method: LoginMethodId,
  clientId: string,
  ctx: LoginContext,
  run: () => Promise<AuthResult>,
): Promise<AuthResult> {
  try {
    return await run();
  } catch (error) {
    // Identical failures from one address are one entry a minute plus a count (SPEC §12).
    await portal.refusals.record({
      event: 'login',
      result: 'failure',
      method,
      clientId,
      ip: ctx.ip,
      errorCode: error instanceof PortalError ? error.code : 'internal_error',
      // A detail can quote the refused input; PostgreSQL's jsonb cannot store U+0000, so it is escaped.
      details: error instanceof PortalError && error.detail ? { detail: error.detail.replaceAll('\u0000', '\\0').slice(0, 300) } : {},
    });
    throw error;
  }
}

export function requireLoginPending(details: Details) {
  if (details.prompt.name !== 'login') throw new PortalError('invalid_request', 400, 'login is not pending');
}

/** The method must be offered by this installation and by the service asking for the login. */
async function requireMethod(portal: Portal, method: LoginMethodId, details: Details) {
  if (!(await portal.methods()).includes(method)) throw new PortalError('method_not_available', 400);
  const client = await portal.provider.Client.find(String(details.params.client_id));
  if (!serviceAllowsMethod(readServicePolicy(client?.metadata()), method)) throw new PortalError('method_not_available', 400);
}

const consentBody = z.object({ decision: z.enum(['approve', 'deny']) });

/** JSON endpoints behind the login and consent pages: POST /interaction/:uid/<action>. */
export async function handleInteractionAction(portal: Portal, req: IncomingMessage, res: ServerResponse, uid: string, action: string) {
  if (!KNOWN_ACTIONS.has(action)) throw new PortalError('not_found', 404);
  if (req.method !== 'POST') throw new PortalError('method_not_allowed', 405);
  // The login page's own fetches only: same origin, JSON (SPEC §12).
  requireSameOrigin(portal, req);
  requireJsonRequest(req);
  const details = await requireInteraction(portal, req, res, uid);
  const ctx: LoginContext = { interactionUid: uid, origin: portal.rp.origin, ip: clientIp(req, portal.env.trustedProxies) };
  const clientId = String(details.params.client_id);
  // Per login, after the interaction cookie proved this browser owns it (a stranger cannot use up its caps).
  const perLogin = action.endsWith('/challenge') || action === 'passkey/options' ? 'challenge-interaction' : action.endsWith('/verify') ? 'finish-interaction' : undefined;
  if (perLogin) await enforceLimit(portal, req, perLogin, uid);

  switch (action) {
    case 'passkey/options': {
      requireLoginPending(details);
      await requireMethod(portal, 'passkey', details);
      sendJson(res, 200, await passkeyLogin(portal.prisma, portal.rp).begin(ctx));
      return;
    }
    case 'passkey/verify': {
      requireLoginPending(details);
      await requireMethod(portal, 'passkey', details);
      const auth = await finishMethod(portal, 'passkey', clientId, ctx, async () =>
        passkeyLogin(portal.prisma, portal.rp).finish(ctx, await readJsonBody(req)),
      );
      await completeLogin(portal, req, res, details, auth, ctx);
      return;
    }
    case 'hpki-card/challenge': {
      requireLoginPending(details);
      await requireMethod(portal, 'hpki-card', details);
      sendJson(res, 200, await hpkiCardLogin(certificateDeps(portal)).begin(ctx));
      return;
    }
    case 'hpki-card/verify': {
      requireLoginPending(details);
      await requireMethod(portal, 'hpki-card', details);
      const auth = await finishMethod(portal, 'hpki-card', clientId, ctx, async () =>
        hpkiCardLogin(certificateDeps(portal)).finish(ctx, await readJsonBody(req)),
      );
      await completeLogin(portal, req, res, details, auth, ctx);
      return;
    }
    case 'jpki/challenge': {
      requireLoginPending(details);
      await requireMethod(portal, 'jpki', details);
      sendJson(res, 200, await jpkiLogin({ prisma: portal.prisma, trust: portal.trust }).begin(ctx));
      return;
    }
    case 'jpki/verify': {
      requireLoginPending(details);
      await requireMethod(portal, 'jpki', details);
      const auth = await finishMethod(portal, 'jpki', clientId, ctx, async () =>
        jpkiLogin({ prisma: portal.prisma, trust: portal.trust }).finish(ctx, await readJsonBody(req)),
      );
      await completeLogin(portal, req, res, details, auth, ctx);
      return;
    }
    case 'consent': {
      if (details.prompt.name !== 'consent') throw new PortalError('invalid_request', 400, 'consent is not pending');
      const parsed = consentBody.safeParse(await readJsonBody(req));
      if (!parsed.success) throw new PortalError('invalid_request', 400, 'decision must be approve or deny');
      const accountId = details.session?.accountId;
      if (!accountId) throw new PortalError('interaction_expired', 400);
      if (parsed.data.decision === 'deny') {
        await portal.audit({ event: 'consent', result: 'failure', practitionerId: accountId, clientId, errorCode: 'access_denied' });
        await finish(portal, req, res, { error: 'access_denied', error_description: 'The practitioner declined consent.' });
        return;
      }
      const grantId = await saveGrant(portal, details, accountId, clientId);
      await portal.audit({
        event: 'consent',
        result: 'success',
        practitionerId: accountId,
        clientId,
        details: { scope: details.params.scope },
      });
      await finish(portal, req, res, { consent: { grantId } });
      return;
    }
    case 'abort': {
      await portal.audit({ event: 'login', result: 'failure', clientId, errorCode: 'access_denied', details: { reason: 'cancelled' } });
      await finish(portal, req, res, { error: 'access_denied', error_description: 'The login was cancelled.' });
      return;
    }
    default:
      throw new PortalError('not_found', 404);
  }
}

function certificateDeps(portal: Portal) {
  return { prisma: portal.prisma, trust: portal.trust, autoEnrol: portal.env.hpkiAutoEnrol, ocsp: portal.env.ocsp, fetch: portal.outboundFetch };
}

/** Records what the practitioner approved: the missing scopes and claims of this request. */
async function saveGrant(portal: Portal, details: Details, accountId: string, clientId: string): Promise<string> {
  const { Grant } = portal.provider;
  const grant = details.grantId ? await Grant.find(details.grantId) : new Grant({ accountId, clientId });
  if (!grant) throw new PortalError('interaction_expired', 400);
  const missing = details.prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
    rar?: unknown[];
  };
  // A remote-signing request: the practitioner's own second certificate, within the window.
  if (missing.rar?.length) {
    for (const detail of await approvedSigningDetails(portal.prisma, accountId, missing.rar, portal.env.signingHours)) grant.addRar(detail);
  }
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  return grant.save();
}
