import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { startTestPortal, CookieJar, type TestPortal } from '../support/test-portal.ts';
import { upsertClient } from '../../src/clients/clients.ts';
import { beginLoginInteraction } from '../support/authorization-request.ts';

/**
 * Issue 13 §19: the same security headers on every response — pages of oidc-provider (logout,
 * errors) and of the HTTP layer (interaction expired, the certificate-login failure, 429), JSON too —
 * and HSTS on the HTTPS listener and whenever PUBLIC_URL is https. (Next.js pages: the e2e suite.)
 */
let t: TestPortal;
let rp: { id: string; secret: string; redirectUri: string };
beforeAll(async () => {
  t = await startTestPortal('headers', { https: true, env: { RATE_LIMITS: 'authorize-ip=3/60' } });
  const made = await upsertClient(t.portal.prisma, { clientId: 'headers-rp', name: 'RP', redirectUris: ['http://localhost:9/cb'] });
  rp = { id: 'headers-rp', secret: made.clientSecret, redirectUri: 'http://localhost:9/cb' };
});
afterAll(() => t?.close());

function expectSecurityHeaders(headers: Headers, what: string, https = false) {
  const csp = headers.get('content-security-policy') ?? '';
  const scriptSrc = csp.split(';').map((d) => d.trim()).find((d) => d.startsWith('script-src')) ?? '';
  expect(csp, what).toContain("frame-ancestors 'none'");
  expect(scriptSrc, what).toMatch(/^script-src /);
  expect(scriptSrc, what).not.toContain("'unsafe-inline'");
  expect(headers.get('x-content-type-options'), what).toBe('nosniff');
  expect(headers.get('x-frame-options'), what).toBe('DENY');
  expect(headers.get('cache-control'), what).toContain('no-store');
  if (https) expect(headers.get('strict-transport-security'), what).toMatch(/^max-age=\d{7,}/);
  else expect(headers.get('strict-transport-security'), what).toBeNull();
}

describe('security headers on every response', () => {
  it('provider pages: the logout question, the logged-out page, an error page', async () => {
    const jar = new CookieJar();
    const question = await jar.fetch(`${t.url}/oidc/session/end?client_id=${rp.id}`, { headers: { accept: 'text/html' } });
    expect(question.status).toBe(200);
    expectSecurityHeaders(question.headers, 'logout question');
    const done = await jar.fetch(`${t.url}/oidc/session/end/success`, { headers: { accept: 'text/html' } });
    expectSecurityHeaders(done.headers, 'logged out');
    const error = await fetch(`${t.url}/oidc/auth?client_id=nobody&response_type=code`, { headers: { accept: 'text/html' } });
    expect(error.status).toBe(400);
    expect(await error.text()).toContain('data-testid="error-code"');
    expectSecurityHeaders(error.headers, 'provider error page');
  });

  it('the HTTP layer’s pages and answers: interaction expired, certificate-login failure, JSON errors, 429', async () => {
    const expired = await fetch(`${t.url}/interaction/nonexistent`, { headers: { accept: 'text/html' } });
    expect(expired.status).toBe(400);
    expectSecurityHeaders(expired.headers, 'interaction expired');
    const login = await beginLoginInteraction(t.url, rp);
    const certFailure = await login.jar.fetch(`${t.url}/interaction/${login.uid}/hpki-cert`);
    expect(certFailure.headers.get('content-type')).toContain('text/html');
    expectSecurityHeaders(certFailure.headers, 'hpki-cert failure');
    const json = await fetch(`${t.url}/api/nothing-here`);
    expect(json.status).toBe(404);
    expectSecurityHeaders(json.headers, 'JSON error');
    let limited: Response | undefined;
    for (let i = 0; i < 5 && !limited; i++) {
      const res = await fetch(`${t.url}/oidc/auth?client_id=${rp.id}`, { headers: { accept: 'text/html' }, redirect: 'manual' });
      if (res.status === 429) limited = res;
    }
    expect(limited).toBeDefined();
    expectSecurityHeaders(limited!.headers, '429 page');
    const discovery = await fetch(`${t.url}/oidc/.well-known/openid-configuration`);
    expectSecurityHeaders(discovery.headers, 'discovery');
  });

  it('the self-submitting logout page allows exactly its own script, by hash', async () => {
    // (Its content is tested in logout-and-session-limits; here only that the other headers stay.)
    const page = await fetch(`${t.url}/oidc/session/end`, { headers: { accept: 'text/html' } });
    expectSecurityHeaders(page.headers, 'logout without session');
  });

  it('every response gets a fresh nonce', async () => {
    const a = (await fetch(`${t.url}/oidc/jwks`)).headers.get('content-security-policy');
    const b = (await fetch(`${t.url}/oidc/jwks`)).headers.get('content-security-policy');
    expect(a).toMatch(/'nonce-[A-Za-z0-9+/=]{22,}'/);
    expect(a).not.toBe(b);
  });

  it('HSTS on the HTTPS listener', async () => {
    const agent = new Agent({ connect: { rejectUnauthorized: false } });
    try {
      const res = await request(`${t.httpsUrl}/oidc/.well-known/openid-configuration`, { dispatcher: agent });
      await res.body.dump();
      const headers = new Headers(Object.entries(res.headers).map(([k, v]) => [k, String(v)] as [string, string]));
      expectSecurityHeaders(headers, 'https listener', true);
    } finally {
      await agent.close();
    }
  });
});

describe('with an https PUBLIC_URL', () => {
  it('HSTS on every response of the plain listener too (TLS ends at the proxy)', async () => {
    const behindProxy = await startTestPortal('headers-https', { env: { PUBLIC_URL: 'https://sso.example.jp' } });
    try {
      const res = await fetch(`${behindProxy.url}/oidc/.well-known/openid-configuration`);
      expectSecurityHeaders(res.headers, 'https PUBLIC_URL', true);
    } finally {
      await behindProxy.close();
    }
  });
});
