import type { IncomingMessage } from 'node:http';
import type { Portal } from '../portal/portal.ts';
import { isLoopbackAddress } from '../config/loopback.ts';
import { clientIp } from './client-ip.ts';

/**
 * The demo's helpers (software cards with their private keys) are for a person at this machine
 * only: demo mode, and a client on a loopback address (as seen through a trusted proxy, if any).
 */
export function isDemoClient(portal: Portal, req: IncomingMessage): boolean {
  return portal.env.demo && isLoopbackAddress(clientIp(req, portal.env.trustedProxies));
}

/**
 * The My Number Card pages may run the card themselves with the PIN typed on the page (a proof that
 * names no origin): only where the server accepts such proofs, and in the demo only for the clients
 * its software card is served to.
 */
export function offersJpkiPagePin(portal: Portal, req: IncomingMessage): boolean {
  return portal.env.jpkiUnboundProof && (!portal.env.demo || isDemoClient(portal, req));
}
