import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Portal } from '../portal/portal.ts';
import { PortalError } from '../errors/portal-error.ts';
import { matchRoute, type Route, type RouteContext } from './route.ts';
import { interactionRoutes } from './routes/interaction-routes.ts';
import { approveRoutes } from './routes/approve-routes.ts';
import { deviceRoutes } from './routes/device-routes.ts';
import { registrationRoutes } from './routes/registration-routes.ts';
import { demoRoutes } from './routes/demo-routes.ts';
import { portalSessionRoutes } from './routes/portal-session-routes.ts';
import { myNumberCardRoutes } from './routes/my-number-card-routes.ts';
import { signingRoutes } from './routes/signing-routes.ts';
import { serviceLinkRoutes } from './routes/service-link-routes.ts';
import { adminRoutes } from './routes/admin-routes.ts';
import { handleCscRequest } from './csc/csc-api.ts';
import { signWithKeyStores } from '../signing/sign-with-credential.ts';
import { failureLogLine, sendError } from './json.ts';
import { LOCALE_COOKIE } from '../i18n/locale.ts';

const CSC_METHOD = /^\/csc\/v2\/(info|credentials\/list|credentials\/info|signatures\/signHash)$/;

/** The paths this layer answers, with a JSON 404 when no route has them; every other path is a page. */
const API_PATH = /^\/(?:api\/|demo\/|portal\/|lang$|interaction\/[^/]{1,128}\/.{1,64}$)/;


/** GET /lang?set=en&return=/path: remembers the language and goes back to the same page. */
const languageRoutes: Route[] = [{ method: 'GET', pattern: /^\/lang$/, handle: switchLanguage }];

/** Every JSON endpoint, tried in order: the first pattern that matches with the request's method wins. */
const ROUTES: readonly Route[] = [
  // Every login method's steps (the registry), consent and cancel; the phone's cross-device approval.
  ...interactionRoutes,
  ...approveRoutes,
  ...deviceRoutes,
  ...registrationRoutes,
  ...languageRoutes,
  ...portalSessionRoutes,
  ...myNumberCardRoutes,
  ...signingRoutes,
  ...serviceLinkRoutes,
  ...adminRoutes,
];
/** The demo's helpers are routes in demo mode only: elsewhere their paths are unknown. */
const DEMO_MODE_ROUTES: readonly Route[] = [...ROUTES, ...demoRoutes];

/**
 * The portal's JSON endpoints, served in the Node process next to oidc-provider (they need its
 * req/res-based interaction API). Returns false when the path is not one of them.
 */
export async function routeApi(portal: Portal, req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
  const csc = CSC_METHOD.exec(pathname);
  if (csc || pathname.startsWith('/csc/')) {
    // The signing API answers in its own (CSC) error format, never via Next.js.
    if (csc) await handleCscRequest(portal, req, res, csc[1]!, signWithKeyStores(portal.keyStores));
    else sendError(req, res, new PortalError('not_found', 404), () => {});
    return true;
  }
  if (!API_PATH.test(pathname)) return false;
  try {
    const found = matchRoute(portal.env.demo ? DEMO_MODE_ROUTES : ROUTES, req.method ?? '', pathname);
    if (found === 'method') throw new PortalError('method_not_allowed', 405);
    if (!found) throw new PortalError('not_found', 404);
    await found.route.handle({ portal, req, res, pathname, params: found.params });
  } catch (error) {
    sendError(req, res, error, (e) => portal.log(failureLogLine(req, e)));
  }
  return true;
}

async function switchLanguage({ req, res }: RouteContext) {
  const url = new URL(req.url ?? '/', 'http://portal.invalid');
  const lang = url.searchParams.get('set') === 'en' ? 'en' : 'ja';
  const back = url.searchParams.get('return') ?? '/';
  // Only a path on this site, never another origin.
  const safeBack = /^\/(?![/\\])/.test(back) ? back : '/';
  res.writeHead(303, {
    location: safeBack,
    'set-cookie': `${LOCALE_COOKIE}=${lang}; Path=/; Max-Age=31536000; SameSite=Lax`,
  });
  res.end();
}
