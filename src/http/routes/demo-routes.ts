import type { IncomingMessage } from 'node:http';
import crypto from 'node:crypto';
import type { Portal } from '../../portal/portal.ts';
import { PortalError } from '../../errors/portal-error.ts';
import { isDemoClient } from '../demo-client.ts';
import { clientIp } from '../client-ip.ts';
import type { Route, RouteContext } from '../route.ts';

/**
 * The demo's software cards, so the card logins can be tried without a reader. The router lists
 * these only in demo mode (elsewhere their paths are unknown), and the login page labels them:
 *   GET /demo/software-card.js?holder=doctor|pharmacist&format=jws|web-eid:1 — an HPKI card that
 *     answers the extension's messages with a demo certificate;
 *   GET /demo/software-my-number-card.js — a My Number Card with the demo PIN.
 */
export const demoRoutes: Route[] = [
  { method: 'GET', pattern: /^\/demo\/software-card\.js$/, handle: softwareHpkiCard },
  { method: 'GET', pattern: /^\/demo\/software-my-number-card\.js$/, handle: softwareMyNumberCard },
];

/** Test keys, the demo administrator's among them: for a browser on this machine only. */
async function requireDemoClient(portal: Portal, req: IncomingMessage, pathname: string) {
  if (!portal.env.demo) throw new PortalError('not_found', 404);
  if (isDemoClient(portal, req)) return;
  // Recorded before the answer: the refusal is in the audit log by the time the client hears of it.
  await portal.refusals
    .record({ event: 'security.demo_helper_refused', result: 'failure', ip: clientIp(req, portal.env.trustedProxies), errorCode: 'demo_loopback_only', details: { path: pathname } })
    .catch(() => {});
  throw new PortalError('demo_loopback_only', 403);
}

async function softwareHpkiCard({ portal, req, res, pathname }: RouteContext) {
  await requireDemoClient(portal, req, pathname);
  // src/demo is loaded only in demo mode.
  const [{ demoCardKey, loadDemoPki }, { softwareCardScript }] = await Promise.all([import('../../demo/demo-pki.ts'), import('../../demo/software-card-script.ts')]);
  const url = new URL(req.url ?? '/', 'http://portal.invalid');
  const holder = url.searchParams.get('holder') ?? 'doctor';
  const format = url.searchParams.get('format') === 'web-eid:1' ? 'web-eid:1' : 'jws';
  const pki = await loadDemoPki(portal.env.demoPkiDir);
  const card = pki.cards.find((c) => c.holder === holder);
  if (!card) throw new PortalError('not_found', 404);
  const key = await demoCardKey(card);
  const script = softwareCardScript({
    certificateDer: Buffer.from(card.certificate.der).toString('base64'),
    privateKeyPkcs8: key.pkcs8,
    keyAlgorithm: key.algorithm,
    format,
    origin: portal.rp.origin,
  });
  res.writeHead(200, { 'content-type': 'application/javascript; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`/* DEMO ONLY: software HPKI card for ${card.registrationNumber}; never in production. */\n${script}`);
}

async function softwareMyNumberCard({ portal, req, res, pathname }: RouteContext) {
  await requireDemoClient(portal, req, pathname);
  const [{ DEMO_MY_NUMBER_CARD_PIN, loadDemoPki }, { softwareMyNumberCardScript }] = await Promise.all([
    import('../../demo/demo-pki.ts'),
    import('../../demo/software-my-number-card.ts'),
  ]);
  const pki = await loadDemoPki(portal.env.demoPkiDir);
  const pkcs8 = new Uint8Array(await crypto.webcrypto.subtle.exportKey('pkcs8', pki.myNumberCard.keys.privateKey));
  const script = softwareMyNumberCardScript({ certificateDer: pki.myNumberCard.der, privateKeyPkcs8: pkcs8, pin: DEMO_MY_NUMBER_CARD_PIN });
  res.writeHead(200, { 'content-type': 'application/javascript; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`/* DEMO ONLY: software My Number Card (PIN ${DEMO_MY_NUMBER_CARD_PIN}); never in production. */\n${script}`);
}
