import type { IncomingMessage } from 'node:http';

/** The caller's address: X-Forwarded-For is believed only from a configured proxy. */
export function clientIp(req: IncomingMessage, trustedProxies: string[]): string | undefined {
  const peer = req.socket.remoteAddress?.replace(/^::ffff:/, '');
  if (peer && trustedProxies.includes(peer)) {
    const forwarded = String(req.headers['x-forwarded-for'] ?? '').split(',')[0]?.trim();
    if (forwarded) return forwarded;
  }
  return peer;
}
