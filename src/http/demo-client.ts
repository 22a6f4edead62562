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
