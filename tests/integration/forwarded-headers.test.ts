import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, type TestPortal } from '../support/test-portal.ts';

/**
 * Issue 13 §21: X-Forwarded-* is believed only from TRUSTED_PROXIES peers. oidc-provider (Koa, proxy
 * mode) builds its endpoint URLs from X-Forwarded-Host/Proto, so a client that could set them would
 * choose the addresses in discovery; the test client here connects from 127.0.0.1.
 */
let untrusting: TestPortal;
let trusting: TestPortal;
beforeAll(async () => {
  untrusting = await startTestPortal('fwd-untrusted', { env: { TRUSTED_PROXIES: '10.0.0.0/8, fd00::/8' } });
  trusting = await startTestPortal('fwd-trusted', { env: { TRUSTED_PROXIES: '127.0.0.0/8' } });
});
afterAll(async () => {
  await untrusting?.close();
  await trusting?.close();
});

const discovery = (t: TestPortal, headers: Record<string, string>) =>
  fetch(`${t.url}/oidc/.well-known/openid-configuration`, { headers }).then((r) => r.json() as Promise<{ token_endpoint: string; issuer: string }>);

describe('forwarding headers', () => {
  const spoof = { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.5' };

  it('from a client that is not a trusted proxy: ignored (discovery names the real host)', async () => {
    const meta = await discovery(untrusting, spoof);
    expect(new URL(meta.token_endpoint).host).toBe(new URL(untrusting.url).host);
    expect(meta.issuer).toBe(untrusting.portal.env.issuer);
  });

  it('from a trusted proxy (a CIDR range): believed', async () => {
    const meta = await discovery(trusting, spoof);
    expect(meta.token_endpoint).toMatch(/^https:\/\/evil\.example\//);
  });

  it('the audit log records the socket address, not a claimed one', async () => {
    await fetch(`${untrusting.url}/api/register/${'x'.repeat(22)}/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.77' },
      body: JSON.stringify({ password: '19800401' }),
    });
    const entry = await untrusting.portal.prisma.auditEvent.findFirst({ where: { event: 'registration.password' }, orderBy: { seq: 'desc' } });
    expect(entry?.ip).toBe('127.0.0.1');
  });
});

describe('login-page actions: same origin and JSON only (issue 13 §20)', () => {
  it('refuses cross-site requests and anything but JSON before doing anything', async () => {
    const { beginLoginInteraction } = await import('../support/authorization-request.ts');
    const { upsertClient } = await import('../../src/clients/clients.ts');
    const made = await upsertClient(untrusting.portal.prisma, { clientId: 'origin-rp', name: 'RP', redirectUris: ['http://localhost:9/cb'] });
    const login = await beginLoginInteraction(untrusting.url, { id: 'origin-rp', secret: made.clientSecret, redirectUri: 'http://localhost:9/cb' });
    const action = (path: string, headers: Record<string, string>, body = '{}') =>
      login.jar.fetch(`${untrusting.url}/interaction/${login.uid}/${path}`, { method: 'POST', headers, body });
    const json = { 'content-type': 'application/json' };
    for (const path of ['hpki-card/challenge', 'passkey/options', 'passkey/verify', 'consent', 'abort', 'cross-device/start', 'cross-device/complete']) {
      expect((await action(path, { ...json, origin: 'https://evil.example' })).status, path).toBe(403);
      expect((await action(path, { ...json, 'sec-fetch-site': 'cross-site' })).status, path).toBe(403);
      expect((await action(path, { 'content-type': 'text/plain' })).status, path).toBe(415);
      expect((await action(path, { 'content-type': 'application/x-www-form-urlencoded' }, 'a=b')).status, path).toBe(415);
      expect((await action(path, {}, '')).status, path).toBe(415);
    }
    // Nothing was created by the refused requests; the page's own request works.
    expect(await untrusting.portal.prisma.challenge.count({ where: { boundTo: login.uid } })).toBe(0);
    const ok = await action('passkey/options', { ...json, origin: new URL(untrusting.url).origin, 'sec-fetch-site': 'same-origin' });
    expect(ok.status).toBe(200);
  });
});
