import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Portal } from '../portal/portal.ts';
import { routeApi } from './router.ts';
import { failureLogLine, sendError, sendJson } from './json.ts';
import { PortalError } from '../errors/portal-error.ts';
import { buildInteractionView } from '../oidc/interaction-view.ts';
import { renderStandaloneError } from '../oidc/provider-pages.ts';
import { localeFromCookieHeader } from '../i18n/locale.ts';
import { stripUntrustedCertificateHeaders } from '../auth/methods/hpki-cert/client-certificate-source.ts';
import { refusedCertificateHeaders } from '../auth/methods/hpki-cert/hpki-cert-login.ts';
import { clientIp, stripUntrustedForwardedHeaders } from './client-ip.ts';
import { withRequestMemo } from '../db/request-memo.ts';
import { DEMO_CLIENT_HEADER, JPKI_PAGE_PIN_HEADER } from './page-headers.ts';
import { isDemoClient, offersJpkiPagePin } from './demo-client.ts';
import { addressLimitFor, enforceLimit, guardTokenEndpoint } from './request-limits.ts';
import { RateLimitedError } from '../errors/rate-limited-error.ts';
import { applySecurityHeaders, requestNonce } from './security-headers.ts';
import { createInteractionPageCache, isPlainPageLoad, type InteractionPageCache } from './interaction-page-cache.ts';


export type PageHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

const INTERACTION_PAGE = /^\/interaction\/([A-Za-z0-9_-]{1,64})$/;
/** What the login or consent page shows for one interaction (app/interaction/[uid]/interaction-screen.tsx). */
const INTERACTION_VIEW = /^\/interaction\/([A-Za-z0-9_-]{1,64})\/view$/;
/** oidc-provider's uids are 43 characters; a short one could occur elsewhere in the page and is never kept. */
const MIN_KEPT_UID_LENGTH = 16;

export interface RequestHandlerOptions {
  /** Serve the login and consent page from memory after its first rendering per language (production). */
  keepInteractionPage?: boolean;
}

/**
 * The portal's HTTP surface: oidc-provider under /oidc, the JSON endpoints, and the pages (Next.js
 * in server.ts; tests may pass another page handler). No request escapes without a response.
 */
export function createRequestHandler(portal: Portal, pages: PageHandler, options: RequestHandlerOptions = {}) {
  const oidcCallback = portal.provider.callback();
  const logUnexpected = (req: IncomingMessage) => (e: unknown) => portal.log(failureLogLine(req, e));
  const headerOptions = { httpsPublicUrl: portal.env.publicUrl.startsWith('https:'), development: !portal.env.production };
  const pageCache = options.keepInteractionPage ? createInteractionPageCache() : undefined;

  return (req: IncomingMessage, res: ServerResponse): Promise<void> => withRequestMemo(() => handle(req, res));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Only this handler may tell pages that the demo's helpers may load.
    delete req.headers[DEMO_CLIENT_HEADER];
    delete req.headers[JPKI_PAGE_PIN_HEADER];
    // X-Forwarded-* only from a trusted proxy: Koa (oidc-provider) and Next.js read them otherwise.
    stripUntrustedForwardedHeaders(req, portal.env.trustedProxies);
    if (isDemoClient(portal, req)) req.headers[DEMO_CLIENT_HEADER] = '1';
    if (offersJpkiPagePin(portal, req)) req.headers[JPKI_PAGE_PIN_HEADER] = '1';
    // Client-certificate headers count only from a configured proxy; from anyone else they are
    // removed before anything reads them, and the attempt is recorded.
    if (stripUntrustedCertificateHeaders(req, portal.env.trustedProxies, portal.env.clientCertProxyHeader)) {
      refusedCertificateHeaders.add(req);
      // Once a minute per address in full, then counted: a flood of them adds two rows a minute.
      void portal.refusals
        .record({ event: 'security.client_certificate_header_refused', result: 'failure', ip: clientIp(req, portal.env.trustedProxies), errorCode: 'client_certificate_untrusted_proxy' })
        .catch(() => {});
    }
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://portal.invalid').pathname;
    } catch {
      applySecurityHeaders(req, res, '/', headerOptions);
      sendError(req, res, new PortalError('invalid_request', 400), () => {});
      return;
    }
    applySecurityHeaders(req, res, pathname, headerOptions);
    try {
      const limit = addressLimitFor(pathname);
      if (limit) await enforceLimit(portal, req, limit);
      if (pathname === '/oidc/token' && req.method === 'POST') await guardTokenEndpoint(portal, req, res);
      if (pathname === '/oidc' || pathname.startsWith('/oidc/')) {
        // oidc-provider derives its mount path from originalUrl vs url.
        (req as IncomingMessage & { originalUrl?: string }).originalUrl = req.url;
        req.url = req.url!.replace(/^\/oidc/, '') || '/';
        await oidcCallback(req, res);
        return;
      }
      const page = INTERACTION_PAGE.exec(pathname);
      if (page && (req.method === 'GET' || req.method === 'HEAD')) {
        await renderInteraction(portal, req, res, page[1]!, pages, pageCache);
        return;
      }
      const viewOf = INTERACTION_VIEW.exec(pathname);
      if (viewOf && req.method === 'GET') {
        await sendInteractionView(portal, req, res, viewOf[1]!);
        return;
      }
      if (await routeApi(portal, req, res, pathname)) return;
      await pages(req, res);
    } catch (error) {
      if (error instanceof RateLimitedError && wantsPage(req)) {
        res.writeHead(429, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'retry-after': String(error.retryAfterSeconds) });
        res.end(renderStandaloneError(localeFromCookieHeader(req.headers.cookie), error.code, undefined, error.params, { demo: portal.env.demo }));
        return;
      }
      sendError(req, res, error, logUnexpected(req));
    }
  }
}

/** A browser navigating (the authorization endpoint, the certificate login): it gets a page, not JSON. */
function wantsPage(req: IncomingMessage): boolean {
  return req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');
}

/** The interaction of this browser (its interaction cookie), if it is the one in the URL; else why not. */
async function interactionOf(portal: Portal, req: IncomingMessage, res: ServerResponse, uid: string) {
  let details;
  try {
    details = await portal.provider.interactionDetails(req, res);
  } catch {
    details = undefined;
  }
  if (!details) return 'interaction_expired' as const;
  if (details.uid !== uid) return 'interaction_mismatch' as const;
  return details;
}

async function renderInteraction(portal: Portal, req: IncomingMessage, res: ServerResponse, uid: string, pages: PageHandler, cache: InteractionPageCache | undefined) {
  const details = await interactionOf(portal, req, res, uid);
  if (typeof details === 'string') {
    res.writeHead(400, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(renderStandaloneError(localeFromCookieHeader(req.headers.cookie), details, undefined, undefined, { demo: portal.env.demo }));
    return;
  }
  res.setHeader('cache-control', 'no-store');
  // The page shows nothing of the interaction itself (it asks /view): one rendering per language serves all.
  if (cache && uid.length >= MIN_KEPT_UID_LENGTH && isPlainPageLoad(req)) {
    const key = `${localeFromCookieHeader(req.headers.cookie)}:${uid.length}`;
    await cache.serve(req, res, { key, nonce: requestNonce(req), uid, render: () => pages(req, res) });
    return;
  }
  await pages(req, res);
}

/** What the page shows for this interaction, as JSON (interaction-view-schema.ts). */
async function sendInteractionView(portal: Portal, req: IncomingMessage, res: ServerResponse, uid: string) {
  const details = await interactionOf(portal, req, res, uid);
  if (typeof details === 'string') throw new PortalError(details, 400);
  const view = await buildInteractionView(portal.provider, portal.prisma, details, await portal.methods(), {
    demo: isDemoClient(portal, req),
    jpkiPagePin: offersJpkiPagePin(portal, req),
    hpkiCertOrigin: portal.env.hpkiCertOrigin,
    dailyWindow: portal.env.dailyWindow,
  });
  sendJson(res, 200, view);
}
