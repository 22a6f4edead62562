import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Portal } from '../../portal/portal.ts';
import { PortalError } from '../../errors/portal-error.ts';
import crypto from 'node:crypto';
import { DEMO_MY_NUMBER_CARD_PIN, demoCardKey, loadDemoPki } from '../../demo/demo-pki.ts';
import { softwareMyNumberCardScript } from '../../demo/software-my-number-card.ts';
import { softwareCardScript } from '../../demo/software-card-script.ts';
import { isDemoClient } from '../demo-client.ts';
import { clientIp } from '../client-ip.ts';

/**
 * GET /demo/software-card.js?holder=doctor|pharmacist&format=jws|web-eid:1 — a software HPKI card
 * that answers the extension's messages with a demo certificate, so the card login can be tried
 * without a reader. Exists only in demo mode; the login page labels it as such.
 */
export async function handleDemoRoute(portal: Portal, req: IncomingMessage, res: ServerResponse, pathname: string) {
  if (!portal.env.demo || !['/demo/software-card.js', '/demo/software-my-number-card.js'].includes(pathname)) throw new PortalError('not_found', 404);
  // Test keys, the demo administrator's among them: for a browser on this machine only.
  if (!isDemoClient(portal, req)) {
    void portal.refusals
      .record({ event: 'security.demo_helper_refused', result: 'failure', ip: clientIp(req, portal.env.trustedProxies), errorCode: 'demo_loopback_only', details: { path: pathname } })
      .catch(() => {});
    throw new PortalError('demo_loopback_only', 403);
  }
  if (req.method !== 'GET') throw new PortalError('method_not_allowed', 405);
  if (pathname === '/demo/software-my-number-card.js') {
    const pki = await loadDemoPki(portal.env.demoPkiDir);
    const pkcs8 = new Uint8Array(await crypto.webcrypto.subtle.exportKey('pkcs8', pki.myNumberCard.keys.privateKey));
    const script = softwareMyNumberCardScript({ certificateDer: pki.myNumberCard.der, privateKeyPkcs8: pkcs8, pin: DEMO_MY_NUMBER_CARD_PIN });
    res.writeHead(200, { 'content-type': 'application/javascript; charset=utf-8', 'cache-control': 'no-store' });
    res.end(`/* DEMO ONLY: software My Number Card (PIN ${DEMO_MY_NUMBER_CARD_PIN}); never in production. */\n${script}`);
    return;
  }
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
