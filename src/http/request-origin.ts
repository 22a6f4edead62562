import type { IncomingMessage } from 'node:http';
import type { Portal } from '../portal/portal.ts';
import { PortalError } from '../errors/portal-error.ts';

/**
 * State-changing requests must come from the portal's own pages: a browser always names the origin
 * of a cross-site POST (`Origin`) or says it is one (`Sec-Fetch-Site`); clients that are not browsers
 * send neither and are judged by what else they must prove (a cookie, a token).
 */
export function requireSameOrigin(portal: Portal, req: IncomingMessage) {
  const origin = req.headers.origin;
  const site = req.headers['sec-fetch-site'];
  if (origin ? origin !== new URL(portal.env.publicUrl).origin : site !== undefined && site !== 'same-origin') {
    throw new PortalError('invalid_request', 403, 'cross-site request');
  }
}

/**
 * A JSON endpoint takes `application/json` only, even when it reads no body: a cross-site form or a
 * `text/plain` fetch, which a browser sends without asking the server first, is refused before anything runs.
 */
export function requireJsonRequest(req: IncomingMessage) {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new PortalError('unsupported_media_type', 415);
}
