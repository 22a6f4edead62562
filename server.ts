// The one process: oidc-provider under /oidc, the portal's JSON endpoints, and Next.js for every page.
import 'reflect-metadata';
import http from 'node:http';
import next from 'next';
import { readEnvironment } from './src/config/environment.ts';
import { startPortal } from './src/portal/start-portal.ts';
import { routeApi } from './src/http/router.ts';
import { sendError } from './src/http/json.ts';
import { PortalError } from './src/errors/portal-error.ts';
import { INTERACTION_VIEW_HEADER, buildInteractionView, encodeInteractionView } from './src/oidc/interaction-view.ts';
import { renderStandaloneError } from './src/oidc/provider-pages.ts';
import { localeFromCookieHeader } from './src/i18n/locale.ts';
import { seedDemoData } from './src/demo/seed-demo-data.ts';

const env = readEnvironment();
const dev = process.env.NODE_ENV !== 'production';
const log = (line: string) => console.log(`[portal] ${line}`);

const portal = await startPortal(env, log);
if (env.demo) await seedDemoData(portal, { printQr: !process.env.CI });

const app = next({ dev, dir: import.meta.dirname, hostname: 'localhost', port: env.port });
await app.prepare();
const handleNext = app.getRequestHandler();
const oidcCallback = portal.provider.callback();

const INTERACTION_PAGE = /^\/interaction\/([A-Za-z0-9_-]{1,64})$/;

const server = http.createServer(async (req, res) => {
  // Only server.ts may tell pages about an interaction.
  delete req.headers[INTERACTION_VIEW_HEADER];
  let pathname: string;
  try {
    pathname = new URL(req.url ?? '/', 'http://portal.invalid').pathname;
  } catch {
    sendError(req, res, new PortalError('invalid_request', 400), () => {});
    return;
  }
  try {
    if (pathname === '/oidc' || pathname.startsWith('/oidc/')) {
      // oidc-provider derives its mount path from originalUrl vs url.
      (req as http.IncomingMessage & { originalUrl?: string }).originalUrl = req.url;
      req.url = req.url!.replace(/^\/oidc/, '') || '/';
      oidcCallback(req, res);
      return;
    }
    const page = INTERACTION_PAGE.exec(pathname);
    if (page && (req.method === 'GET' || req.method === 'HEAD')) {
      let details;
      try {
        details = await portal.provider.interactionDetails(req, res);
      } catch {
        details = undefined;
      }
      if (!details || details.uid !== page[1]) {
        res.writeHead(400, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(renderStandaloneError(localeFromCookieHeader(req.headers.cookie), details ? 'interaction_mismatch' : 'interaction_expired'));
        return;
      }
      const view = await buildInteractionView(portal.provider, portal.prisma, details, portal.methods);
      req.headers[INTERACTION_VIEW_HEADER] = encodeInteractionView(view);
      res.setHeader('cache-control', 'no-store');
      await handleNext(req, res);
      return;
    }
    if (await routeApi(portal, req, res, pathname)) return;
    await handleNext(req, res);
  } catch (error) {
    sendError(req, res, error, (e) => log(`unexpected error on ${req.method} ${pathname}: ${(e as Error).stack ?? e}`));
  }
});

server.listen(env.port, env.host, () => {
  log(`issuer ${env.issuer}`);
  log(`ready on ${env.publicUrl} (${dev ? 'development' : 'production'})`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
    void portal.close().finally(() => process.exit(0));
  });
}
