import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Portal } from '../portal/portal.ts';
import type { RateLimitName } from '../config/rate-limits.ts';
import { RateLimitedError } from '../errors/rate-limited-error.ts';
import { clientIp } from './client-ip.ts';
import { LOGIN_METHODS, stepPath } from '../auth/methods/registry.ts';

/** Each login method's steps count against the address limit they declare (the registry). */
const STEP_ADDRESS_LIMITS = new Map<string, RateLimitName>(LOGIN_METHODS.flatMap((m) => m.steps.map((s) => [stepPath(m, s), s.addressLimit] as const)));

/**
 * The per-address limit a request counts against, by what it makes the portal do for a client that
 * has not authenticated yet (SPEC §12); undefined: none. Checked before anything else runs, so a
 * refused request costs no more than the check.
 */
export function addressLimitFor(pathname: string): RateLimitName | undefined {
  // Browsers' authorization requests (each makes an interaction). Not PAR: it comes from a service's
  // server, one address for all of a hospital's users, and is client-authenticated.
  if (pathname === '/oidc/auth' || pathname.startsWith('/oidc/auth/') || pathname === '/portal/login') return 'authorize-ip';
  const step = /^\/interaction\/[^/]{1,128}\/(.{1,64})$/.exec(pathname)?.[1];
  if (step) {
    return STEP_ADDRESS_LIMITS.get(step);
  }
  if (pathname.startsWith('/api/register/')) return 'registration-ip';
  if (pathname.startsWith('/api/approve/')) return 'approve-ip';
  if (pathname.startsWith('/api/admin/')) return 'admin-ip';
  if (pathname === '/portal/backchannel-logout') return 'finish-ip';
  return undefined;
}

/**
 * Counts the request against `limit` for `key` (default: the client's address). Over the limit: a
 * RateLimitedError (429, Retry-After, a message that says when to try again), and a refusal entry in
 * the audit log — the first of its kind a minute, then one counted summary.
 */
export async function enforceLimit(portal: Portal, req: IncomingMessage, limit: RateLimitName, key?: string): Promise<void> {
  const ip = clientIp(req, portal.env.trustedProxies) ?? 'unknown';
  const decision = await portal.limits.consume(limit, key ?? ip);
  if (decision.ok) return;
  await portal.refusals
    .record({ event: 'security.rate_limited', result: 'failure', errorCode: 'rate_limited', ip, details: { limit, path: new URL(req.url ?? '/', 'http://x').pathname.slice(0, 200) } }, limit)
    .catch(() => {});
  await tarpit(portal);
  throw new RateLimitedError(limit, decision.retryAfterSeconds);
}

/**
 * A refusal is answered a moment later (RATE_LIMIT_REFUSAL_DELAY_MS): a client that keeps asking on
 * its connections gets a few answers a second on each instead of thousands, which keeps a flood's
 * cost to the portal small (the per-address connection cap bounds how many it can hold open).
 */
function tarpit(portal: Portal): Promise<void> {
  const ms = portal.env.rateLimitRefusalDelayMs;
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/**
 * Token-endpoint failures per address: a client over the limit is refused before its request is
 * read; each failure (4xx) is counted before its answer goes out.
 */
export async function guardTokenEndpoint(portal: Portal, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const ip = clientIp(req, portal.env.trustedProxies) ?? 'unknown';
  const decision = await portal.limits.blocked('token-failure-ip', ip);
  if (!decision.ok) {
    await portal.refusals.record({ event: 'security.rate_limited', result: 'failure', errorCode: 'rate_limited', ip, details: { limit: 'token-failure-ip', path: '/oidc/token' } }, 'token-failure-ip').catch(() => {});
    await tarpit(portal);
    throw new RateLimitedError('token-failure-ip', decision.retryAfterSeconds);
  }
  countFailureBeforeAnswer(res, () => portal.limits.consume('token-failure-ip', ip));
}

/**
 * Holds a 4xx answer back until its failure is counted: counted after the answer, a client's next
 * request could be read before the count was written (it was, on PostgreSQL) and slip past the cap.
 * Koa writes status, headers and body in one `end`, so delaying `end` delays the whole answer.
 */
function countFailureBeforeAnswer(res: ServerResponse, count: () => Promise<unknown>): void {
  const end = res.end.bind(res) as (...args: unknown[]) => unknown;
  res.end = ((...args: unknown[]) => {
    if (res.statusCode < 400 || res.statusCode >= 500) return end(...args);
    // Headers already on their way (not Koa's way, but possible): count without holding the rest.
    if (res.headersSent) {
      void count().catch(() => {});
      return end(...args);
    }
    void count()
      .catch(() => {})
      .finally(() => end(...args));
    return res;
  }) as typeof res.end;
}
