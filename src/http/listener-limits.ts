import type http from 'node:http';
import type https from 'node:https';
import { isIP } from 'node:net';
import { isTrustedProxyAddress, plainAddress } from '../config/trusted-proxies.ts';

export interface ListenerLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  maxConnectionsPerAddress: number;
}

/**
 * Options for http/https.createServer: the timeouts, checked every second (Node's default check
 * every 30 s would let a slow request hold its connection up to 30 s past them).
 */
export function serverTimeouts(limits: ListenerLimits) {
  return { headersTimeout: limits.headersTimeoutMs, requestTimeout: limits.requestTimeoutMs, connectionsCheckingInterval: 1000 };
}

/**
 * Transport limits for one listener (SPEC §12), created with serverTimeouts(): a request's headers must arrive within
 * `headersTimeoutMs` and the whole request within `requestTimeoutMs` (a slow body gets 408 and the
 * connection closes), and one client address holds at most `maxConnectionsPerAddress` open
 * connections — a trusted proxy, which carries everyone's, is exempt. An over-limit connection is
 * closed at once (on plain HTTP with a 503 and Retry-After first).
 */
export function applyListenerLimits(
  server: http.Server | https.Server,
  limits: ListenerLimits,
  options: { exempt: string[]; plaintext: boolean; onRefused?: (address: string) => void },
): void {
  // Idle keep-alive connections stay open longer than a load balancer's or client pool's idle
  // timeout (commonly 60 s): otherwise a client may send on a connection at the moment the server
  // closes it. Node counts headersTimeout from a request's first byte, not from the idle start.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  const open = new Map<string, number>();
  server.on('connection', (socket) => {
    const address = plainAddress(socket.remoteAddress ?? '');
    if (!address || isIP(address) === 0 || isTrustedProxyAddress(address, options.exempt)) return;
    const count = (open.get(address) ?? 0) + 1;
    if (count > limits.maxConnectionsPerAddress) {
      options.onRefused?.(address);
      if (options.plaintext) socket.end('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 10\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroySoon?.();
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
}

