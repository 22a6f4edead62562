import type { IncomingMessage } from 'node:http';
import { isTrustedProxyAddress, plainAddress } from '../config/trusted-proxies.ts';

/**
 * The caller's address. X-Forwarded-For counts only when the TCP peer is a trusted proxy, and then
 * the nearest hop that is not itself a trusted proxy is the client (a client can put anything at
 * the far end of the header; each proxy appends the address it saw).
 */
export function clientIp(req: IncomingMessage, trustedProxies: readonly string[]): string | undefined {
  const peer = req.socket.remoteAddress ? plainAddress(req.socket.remoteAddress) : undefined;
  if (!peer || !isTrustedProxyAddress(peer, trustedProxies)) return peer;
  const hops = String(req.headers['x-forwarded-for'] ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!isTrustedProxyAddress(hops[i], trustedProxies)) return plainAddress(hops[i]!);
  }
  return hops[0] ? plainAddress(hops[0]) : peer;
}

/** Headers that describe the client or the original request; believed only from a trusted proxy. */
const FORWARDED_HEADERS = ['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-forwarded-prefix', 'x-real-ip', 'forwarded'];

/**
 * Removes the forwarding headers of a request that does not come from a trusted proxy, before
 * anything (oidc-provider's Koa, which trusts them once a proxy is configured; Next.js) reads them.
 */
export function stripUntrustedForwardedHeaders(req: IncomingMessage, trustedProxies: readonly string[]): void {
  if (isTrustedProxyAddress(req.socket.remoteAddress, trustedProxies)) return;
  const names = new Set(FORWARDED_HEADERS);
  if (!FORWARDED_HEADERS.some((name) => req.headers[name] !== undefined)) return;
  for (const name of names) delete req.headers[name];
  if (Array.isArray(req.rawHeaders)) {
    const kept: string[] = [];
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      if (!names.has(req.rawHeaders[i]!.toLowerCase())) kept.push(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    }
    req.rawHeaders = kept;
  }
}
