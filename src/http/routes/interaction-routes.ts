import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { InteractionResults } from 'oidc-provider';
import type { Portal } from '../../portal/portal.ts';
import { PortalError } from '../../errors/portal-error.ts';
import { renderStandaloneError } from '../../oidc/provider-pages.ts';
import { methodsMeeting } from '../../oidc/interaction-view.ts';
import { localeFromCookieHeader } from '../../i18n/locale.ts';
import { checkServicePolicy, methodsForService, readServicePolicy, serviceAllowsMethod } from '../../clients/service-policy.ts';
import { parseStoredHcRoles, JPKI_HCROLE_SCHEME } from '../../practitioners/practitioner.ts';
import { describeHcRole } from '../../pki/hcrole/display-names.ts';
import { approvedSigningDetails } from '../../signing/signing-consent.ts';
import { recordLoginEvidence } from '../../auth/login-evidence.ts';
import { LOGIN_METHODS, stepPath } from '../../auth/methods/registry.ts';
import type { AuthResult, LoginContext, LoginMethodDefinition, LoginStep, LoginStepResult, MethodDependencies } from '../../auth/login-method.ts';
import { readJsonBody, sendJson } from '../json.ts';
import { clientIp } from '../client-ip.ts';
import { enforceLimit } from '../request-limits.ts';
import { requireJsonRequest, requireSameOrigin } from '../request-origin.ts';
import { RateLimitedError } from '../../errors/rate-limited-error.ts';
import type { Route, RouteContext } from '../route.ts';
import { qrDataUrl } from '../qr-code.ts';

export type Details = Awaited<ReturnType<Portal['provider']['interactionDetails']>>;
type Client = Awaited<ReturnType<Portal['provider']['Client']['find']>>;

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

/** A login method's second step, audited either way. */
export async function finishMethod(
  portal: Portal,
  method: string,
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
async function requireMethod(portal: Portal, method: string, client: Client | undefined) {
  if (!(await portal.methods()).some((m) => m === method)) throw new PortalError('method_not_available', 400);
  if (!serviceAllowsMethod(readServicePolicy(client?.metadata()), method)) throw new PortalError('method_not_available', 400);
}

/** What a method's steps may use, from the running portal. */
function methodDependencies(portal: Portal): MethodDependencies {
  return {
    prisma: portal.prisma,
    rp: portal.rp,
    trust: portal.trust,
    certificates: { prisma: portal.prisma, trust: portal.trust, autoEnrol: portal.env.hpkiAutoEnrol, ocsp: portal.env.ocsp, fetch: portal.outboundFetch },
    publicUrl: portal.env.publicUrl,
    trustedProxies: portal.env.trustedProxies,
    clientCertProxyHeader: portal.env.clientCertProxyHeader,
    jpkiUnboundProof: portal.env.jpkiUnboundProof,
    qrDataUrl,
    audit: (entry) => portal.audit(entry),
  };
}

/**
 * One step of a login method (the registry's declaration), mounted generically: the checks every
 * step gets, then the step, then — when it authenticated — the service's policy and the login.
 */
async function runStep(method: LoginMethodDefinition, step: LoginStep, { portal, req, res, params }: RouteContext) {
  const uid = params[0]!;
  // The page's own fetches only (SPEC §12); a navigation (to the TLS listener) comes from the login page's origin.
  if (step.response === 'json') requireSameOrigin(portal, req);
  if (req.method === 'POST') requireJsonRequest(req);
  const details = await requireInteraction(portal, req, res, uid);
  const ctx: LoginContext = { interactionUid: uid, origin: portal.rp.origin, ip: clientIp(req, portal.env.trustedProxies) };
  const clientId = String(details.params.client_id);
  // Per login, after the interaction cookie proved this browser owns it (a stranger cannot use up its caps).
  await enforceLimit(portal, req, step.loginLimit, uid);
  if (!step.anyPrompt) requireLoginPending(details);
  // Read once for the method check, the step and its offered-methods question.
  const client = await portal.provider.Client.find(clientId);
  await requireMethod(portal, method.id, client);
  const input = {
    ctx,
    body: () => readJsonBody(req),
    query: new URL(req.url ?? '/', 'http://portal.invalid').searchParams,
    request: req,
    service: { clientId, name: String(client?.clientName ?? clientId) },
    offered: async () => methodsMeeting(methodsForService(await portal.methods(), readServicePolicy(client?.metadata())), String(details.params.acr_values ?? '')),
  };
  const deps = methodDependencies(portal);
  const result: LoginStepResult = step.authenticates
    ? { auth: await finishMethod(portal, method.id, clientId, ctx, async () => expectAuth(await step.run(deps, input))) }
    : await step.run(deps, input);
  if ('auth' in result) await completeLogin(portal, req, res, details, result.auth, ctx, step.response === 'page' ? 'redirect' : 'json');
  else sendJson(res, 200, result.json);
}

function expectAuth(result: LoginStepResult): AuthResult {
  if (!('auth' in result)) throw new PortalError('internal_error', 500, 'a finishing step did not authenticate');
  return result.auth;
}

/**
 * A step that is a top-level navigation (the TLS certificate login): success continues the
 * authorization, a failure is a page that says what to do and links back to the method chooser.
 */
async function runPageStep(method: LoginMethodDefinition, step: LoginStep, route: RouteContext) {
  const { portal, req, res, params } = route;
  const uid = params[0]!;
  const fail = (code: string, status: number, params?: Record<string, string>) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(renderStandaloneError(localeFromCookieHeader(req.headers.cookie), code, `${portal.env.publicUrl}/interaction/${encodeURIComponent(uid)}`, params, { demo: portal.env.demo }));
  };
  if (req.method !== step.httpMethod) return fail('method_not_allowed', 405);
  try {
    await runStep(method, step, route);
  } catch (error) {
    if (error instanceof RateLimitedError) {
      res.setHeader('retry-after', String(error.retryAfterSeconds));
      return fail(error.code, 429, error.params);
    }
    if (!(error instanceof PortalError)) throw error;
    fail(error.code, error.status >= 500 ? 503 : error.status, error.params);
  }
}

const UID = '([^/]{1,128})';
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const consentBody = z.object({ decision: z.enum(['approve', 'deny']) });

/** Login and consent endpoints of an interaction: every method's steps (the registry), consent, cancel. */
export const interactionRoutes: Route[] = [
  ...LOGIN_METHODS.flatMap((method): Route[] =>
    method.steps.flatMap((step): Route[] => {
      const pattern = new RegExp(`^/interaction/${UID}/${escape(stepPath(method, step))}$`);
      if (step.response === 'page') {
        const handle = (ctx: RouteContext) => runPageStep(method, step, ctx);
        // A navigation answers every method with a page (405 too), never JSON.
        return (['GET', 'POST', 'DELETE'] as const).map((m) => ({ method: m, pattern, handle }));
      }
      return [{ method: step.httpMethod, pattern, handle: (ctx) => runStep(method, step, ctx) }];
    }),
  ),
  { method: 'POST', pattern: new RegExp(`^/interaction/${UID}/consent$`), handle: decideConsent },
  { method: 'POST', pattern: new RegExp(`^/interaction/${UID}/abort$`), handle: abortLogin },
];

/** POST /interaction/:uid/consent { decision }: what the practitioner decided for this service. */
async function decideConsent({ portal, req, res, params }: RouteContext) {
  requireSameOrigin(portal, req);
  requireJsonRequest(req);
  const details = await requireInteraction(portal, req, res, params[0]!);
  const clientId = String(details.params.client_id);
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
  await portal.audit({ event: 'consent', result: 'success', practitionerId: accountId, clientId, details: { scope: details.params.scope } });
  await finish(portal, req, res, { consent: { grantId } });
}

/** POST /interaction/:uid/abort: the person cancelled; the service hears access_denied. */
async function abortLogin({ portal, req, res, params }: RouteContext) {
  requireSameOrigin(portal, req);
  requireJsonRequest(req);
  const details = await requireInteraction(portal, req, res, params[0]!);
  await portal.audit({ event: 'login', result: 'failure', clientId: String(details.params.client_id), errorCode: 'access_denied', details: { reason: 'cancelled' } });
  await finish(portal, req, res, { error: 'access_denied', error_description: 'The login was cancelled.' });
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
    for (const detail of await approvedSigningDetails(portal.prisma, accountId, missing.rar, portal.env.dailyWindow)) grant.addRar(detail);
  }
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  return grant.save();
}
