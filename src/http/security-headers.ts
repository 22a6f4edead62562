import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';

/**
 * The same security headers on every response of both listeners (SPEC §12): pages rendered by
 * Next.js, by oidc-provider (logout, errors) and by the HTTP layer (interaction expired, the
 * certificate-login failure page, 429 pages), JSON answers included.
 *
 * Scripts run only with this request's nonce (Next.js reads it from the request's own
 * `content-security-policy` header and puts it on every script it renders) or from the portal's
 * own origin; never inline without one. A page that needs an inline script of its own replaces the
 * policy with one that names the script's hash (the provider's self-submitting logout page).
 */
export interface SecurityHeaderOptions {
  /** PUBLIC_URL is https: browsers are told to use nothing else. */
  httpsPublicUrl: boolean;
  /** Next.js development mode evaluates code (React refresh): allowed there only. */
  development: boolean;
}

const HSTS = 'max-age=31536000; includeSubDomains';

export function contentSecurityPolicy(nonce: string, options: { development: boolean; formAction: boolean }): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}'${options.development ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    // Also blocks, deliberately, the web-eid package's fallback WebSocket to a public host: the card
    // is reached only through the extension's postMessage.
    "connect-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    // Under /oidc a logout form ends in a redirect to the service (Chromium applies form-action to it).
    ...(options.formAction ? ["form-action 'self'"] : []),
  ].join('; ');
}

/** The script nonce applySecurityHeaders chose for this request (empty when none was set). */
export function requestNonce(req: IncomingMessage): string {
  return /'nonce-([^']+)'/.exec(String(req.headers['content-security-policy'] ?? ''))?.[1] ?? '';
}

/**
 * Sets the headers for this request and makes sure they are still there when the response is
 * written, whoever wrote it (a framework's error path may clear headers it set itself).
 */
export function applySecurityHeaders(req: IncomingMessage, res: ServerResponse, pathname: string, options: SecurityHeaderOptions): void {
  const nonce = crypto.randomBytes(16).toString('base64');
  const csp = contentSecurityPolicy(nonce, { development: options.development, formAction: !pathname.startsWith('/oidc/') });
  // Next.js takes the nonce from here; nobody else may choose it.
  req.headers['content-security-policy'] = csp;
  const https = options.httpsPublicUrl || Boolean((req.socket as TLSSocket).encrypted);
  const defaults: [string, string][] = [
    ['content-security-policy', csp],
    ['x-content-type-options', 'nosniff'],
    ['x-frame-options', 'DENY'],
    ['referrer-policy', 'same-origin'],
    // Everything the portal answers is personal or single-use; static assets set their own caching.
    ['cache-control', 'no-store'],
    ...(https ? ([['strict-transport-security', HSTS]] as [string, string][]) : []),
  ];
  for (const [name, value] of defaults) res.setHeader(name, value);
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
    const given = args.find((a) => a && typeof a === 'object' && !Array.isArray(a)) as Record<string, unknown> | undefined;
    const givenNames = new Set(Object.keys(given ?? {}).map((k) => k.toLowerCase()));
    for (const [name, value] of defaults) {
      if (!this.hasHeader(name) && !givenNames.has(name)) this.setHeader(name, value);
    }
    return writeHead.apply(this, args);
  } as ServerResponse['writeHead'];
}
