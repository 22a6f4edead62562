import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { isTrustedProxyAddress, parseTrustedProxies } from '../../src/config/trusted-proxies.ts';
import { clientIp, stripUntrustedForwardedHeaders } from '../../src/http/client-ip.ts';
import { readEnvironment } from '../../src/config/environment.ts';

/** Issue 13 §21: TRUSTED_PROXIES takes addresses and CIDR ranges and nothing else. */
describe('TRUSTED_PROXIES', () => {
  it('accepts IPv4, IPv6 and IPv4-mapped addresses and ranges', () => {
    const list = parseTrustedProxies(' 10.0.0.5, 192.168.0.0/16 ,fd00::/8, ::1, ::ffff:172.16.0.1, ::ffff:10.9.0.0/120');
    expect(list).toHaveLength(6);
    for (const a of ['10.0.0.5', '192.168.44.1', 'fd12::1', '::1', '172.16.0.1', '::ffff:172.16.0.1', '10.9.0.77', '::ffff:192.168.1.1']) {
      expect(isTrustedProxyAddress(a, list), a).toBe(true);
    }
    for (const a of ['10.0.0.6', '192.169.0.1', 'fe80::1', '127.0.0.1', '10.9.1.1', '', undefined, 'localhost']) {
      expect(isTrustedProxyAddress(a, list), String(a)).toBe(false);
    }
  });
  it('refuses anything else at start, naming it', () => {
    for (const bad of ['localhost', 'proxy.example', '10.0.0.0/33', '10.0.0/8', '10.0.0.1/8/9', 'fd00::/129', '*', '10.0.0.1-10.0.0.9', '10.0.0.0/x']) {
      expect(() => parseTrustedProxies(bad), bad).toThrow(/is not an IP address or a CIDR range/);
    }
    expect(() => readEnvironment({ TRUSTED_PROXIES: '10.0.0.1, nginx' })).toThrow(/Invalid configuration: TRUSTED_PROXIES: "nginx"/);
    expect(parseTrustedProxies('')).toEqual([]);
  });
});

const request = (remoteAddress: string, headers: Record<string, string> = {}) =>
  ({ socket: { remoteAddress }, headers: { ...headers }, rawHeaders: Object.entries(headers).flat() }) as unknown as IncomingMessage;

describe('the client address', () => {
  const proxies = parseTrustedProxies('10.0.0.0/24');
  it('from anyone but a trusted proxy: the socket, whatever X-Forwarded-For says', () => {
    expect(clientIp(request('203.0.113.9', { 'x-forwarded-for': '198.51.100.1' }), proxies)).toBe('203.0.113.9');
    expect(clientIp(request('::ffff:203.0.113.9'), proxies)).toBe('203.0.113.9');
  });
  it('through trusted proxies: the nearest hop that is not one of them', () => {
    // The client wrote "1.1.1.1" itself; the first proxy appended what it saw, 198.51.100.7.
    expect(clientIp(request('10.0.0.2', { 'x-forwarded-for': '1.1.1.1, 198.51.100.7, 10.0.0.3' }), proxies)).toBe('198.51.100.7');
    expect(clientIp(request('10.0.0.2', { 'x-forwarded-for': '198.51.100.7' }), proxies)).toBe('198.51.100.7');
    expect(clientIp(request('10.0.0.2'), proxies)).toBe('10.0.0.2');
  });
  it('forwarding headers from an untrusted peer are removed before anything reads them', () => {
    const req = request('203.0.113.9', { 'X-Forwarded-Host': 'evil.example', 'x-forwarded-proto': 'https', Forwarded: 'for=1.2.3.4', accept: 'text/html' });
    req.headers = { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https', forwarded: 'for=1.2.3.4', accept: 'text/html' };
    stripUntrustedForwardedHeaders(req, proxies);
    expect(req.headers).toEqual({ accept: 'text/html' });
    expect(req.rawHeaders).toEqual(['accept', 'text/html']);
    const trusted = request('10.0.0.9', { 'x-forwarded-host': 'sso.example.jp' });
    stripUntrustedForwardedHeaders(trusted, proxies);
    expect(trusted.headers['x-forwarded-host']).toBe('sso.example.jp');
  });
});
