import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Portal } from '../portal/portal.ts';
import { PortalError } from '../errors/portal-error.ts';
import { handleHpkiCertLogin, handleInteractionAction } from './routes/interaction-routes.ts';
import { handleRegistrationAction } from './routes/registration-routes.ts';
import { handleCrossDeviceAction } from './routes/cross-device-routes.ts';
import { handleDeviceAction } from './routes/device-routes.ts';
import { handleDemoRoute } from './routes/demo-routes.ts';
import { handlePortalSessionRoute } from './routes/portal-session-routes.ts';
import { handleMyNumberCardRoute } from './routes/my-number-card-routes.ts';
import { handleServiceLinkRequest } from './routes/service-link-routes.ts';
import { handleSigningAuthorisationRevoke } from './routes/signing-routes.ts';
import { handleCscRequest } from '../signing/csc/csc-api.ts';
import { signWithKeyStores } from '../signing/sign-with-credential.ts';
import { handleAdminRoute } from './routes/admin-routes.ts';
import { failureLogLine, sendError } from './json.ts';
import { LOCALE_COOKIE } from '../i18n/locale.ts';

const CROSS_DEVICE_ACTION = /^\/(?:interaction\/([^/]{1,128})\/cross-device|api\/approve\/([^/]{1,128}))\/([a-z]{1,16})$/;
const DEVICE_ACTION = /^\/api\/devices\/(passkey\/options|passkey\/verify|registration-code)$/;
const INTERACTION_ACTION = /^\/interaction\/([^/]{1,128})\/(.{1,64})$/;
const CSC_METHOD = /^\/csc\/v2\/(info|credentials\/list|credentials\/info|signatures\/signHash)$/;
const SIGNING_REVOKE = /^\/api\/signing\/authorisations\/([^/]{1,128})\/revoke$/;
const SERVICE_LINK_REQUEST = /^\/api\/services\/([^/]{1,64})\/link-request$/;
const REGISTRATION_ACTION = /^\/api\/register\/([^/]{1,128})\/(password|passkey)$/;

/**
 * The portal's JSON endpoints, served in the Node process next to oidc-provider (they need its
 * req/res-based interaction API). Returns false when the path is not one of them.
 */
export async function routeApi(portal: Portal, req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
  const interaction = INTERACTION_ACTION.exec(pathname);
  const registration = interaction ? null : REGISTRATION_ACTION.exec(pathname);
  const csc = CSC_METHOD.exec(pathname);
  if (csc || pathname.startsWith('/csc/')) {
    // The signing API answers in its own (CSC) error format, never via Next.js.
    if (csc) await handleCscRequest(portal, req, res, csc[1]!, signWithKeyStores(portal.keyStores));
    else sendError(req, res, new PortalError('not_found', 404), () => {});
    return true;
  }
  const isApi =
    interaction || registration || pathname.startsWith('/api/') || pathname.startsWith('/demo/') || pathname.startsWith('/portal/') || pathname === '/lang';
  if (!isApi) return false;
  try {
    const crossDevice = CROSS_DEVICE_ACTION.exec(pathname);
    const device = DEVICE_ACTION.exec(pathname);
    if (crossDevice) await handleCrossDeviceAction(portal, req, res, crossDevice[1], crossDevice[2], crossDevice[3]!);
    else if (device) await handleDeviceAction(portal, req, res, device[1]!);
    else if (interaction?.[2] === 'hpki-cert') await handleHpkiCertLogin(portal, req, res, interaction[1]!);
    else if (interaction) await handleInteractionAction(portal, req, res, interaction[1]!, interaction[2]!);
    else if (registration) await handleRegistrationAction(portal, req, res, registration[1]!, registration[2]!);
    else if (pathname === '/lang') switchLanguage(req, res);
    else if (pathname.startsWith('/demo/')) await handleDemoRoute(portal, req, res, pathname);
    else if (pathname.startsWith('/portal/')) await handlePortalSessionRoute(portal, req, res, pathname);
    else if (pathname.startsWith('/api/my-number-card/')) await handleMyNumberCardRoute(portal, req, res, pathname.slice('/api/my-number-card/'.length));
    else if (SIGNING_REVOKE.test(pathname)) await handleSigningAuthorisationRevoke(portal, req, res, SIGNING_REVOKE.exec(pathname)![1]!);
    else if (SERVICE_LINK_REQUEST.test(pathname)) await handleServiceLinkRequest(portal, req, res, SERVICE_LINK_REQUEST.exec(pathname)![1]!);
    else if (pathname.startsWith('/api/admin/')) await handleAdminRoute(portal, req, res, pathname.slice('/api/admin/'.length));
    else throw new PortalError('not_found', 404);
  } catch (error) {
    sendError(req, res, error, (e) => portal.log(failureLogLine(req, e)));
  }
  return true;
}

/** GET /lang?set=en&return=/path: remembers the language and goes back to the same page. */
function switchLanguage(req: IncomingMessage, res: ServerResponse) {
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
