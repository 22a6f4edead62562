import http from 'node:http';
import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair } from 'jose';
import { startTestPortal, CookieJar, type TestPortal } from '../support/test-portal.ts';
import { createHpkiTestPki, type HpkiTestPki } from '../../src/pki/test-pki/index.ts';
import { importTestPki } from '../support/seed-trust.ts';
import { followRedirects, hpkiCardLogin, jsonPost, finishAuthorization } from '../support/browser-flow.ts';
import { webEidToken } from '../support/card-tokens.ts';
import { upsertClient } from '../../src/clients/clients.ts';
import { createJwksUriService, pushAuthorizationRequestWithAssertion } from '../support/jwks-service.ts';

/**
 * Issue 13 §18: the provider's own outbound requests — a service's JWKS URI and its back-channel
 * logout URI — follow the portal's outbound policy (src/net/outbound-fetch.ts), as CRL and OCSP
 * requests do. The test portal allows `localhost` (PRIVATE_FETCH_HOSTS); the same server reached
 * as 127.0.0.1 is a loopback destination that is not allowed.
 */
let t: TestPortal;
let pki: HpkiTestPki;
let server: http.Server;
let port: number;
/** Every request the service's server received: path and body. */
const received: { path: string; body: string }[] = [];
let jwksBody = '';
let keys: Awaited<ReturnType<typeof generateKeyPair>>;

beforeAll(async () => {
  t = await startTestPortal('outbound-fetch', { env: { HPKI_AUTO_ENROL: 'true' } });
  pki = await createHpkiTestPki();
  await importTestPki(t.portal.prisma, pki);
  keys = await generateKeyPair('ES256', { extractable: true });
  jwksBody = JSON.stringify({ keys: [{ ...(await exportJWK(keys.publicKey)), kid: 'k1', use: 'sig', alg: 'ES256' }] });

  // One server plays every service: its JWKS, a redirecting JWKS, an oversized JWKS, and the
  // back-channel logout endpoints.
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ path: String(req.url), body });
      if (req.url === '/jwks') res.setHeader('content-type', 'application/json').end(jwksBody);
      else if (req.url === '/jwks-redirect') res.writeHead(302, { location: `http://127.0.0.1:${port}/jwks` }).end();
      else if (req.url === '/jwks-same-host-redirect') res.writeHead(302, { location: `http://localhost:${port}/jwks` }).end();
      else if (req.url === '/jwks-huge') res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [], padding: 'x'.repeat(300 * 1024) }));
      else res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
}, 60_000);
afterAll(async () => {
  server?.close();
  await t?.close();
});
beforeEach(() => {
  received.length = 0;
});

const keyService = (clientId: string, jwksUri: string) => createJwksUriService(t, clientId, jwksUri);
const pushAuthorizationRequest = (clientId: string) => pushAuthorizationRequestWithAssertion(t, clientId, keys.privateKey);

describe('JWKS URI (§18)', () => {
  it('fetches a service’s keys from an allowed private host', async () => {
    await keyService('jwks-allowed', `http://localhost:${port}/jwks`);
    const par = await pushAuthorizationRequest('jwks-allowed');
    expect(par.status).toBe(201);
    expect(par.body.request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    expect(received.map((r) => r.path)).toEqual(['/jwks']);
  });

  it('refuses a loopback address that is not in PRIVATE_FETCH_HOSTS: no request leaves, the client is not authenticated', async () => {
    await keyService('jwks-loopback', `http://127.0.0.1:${port}/jwks`);
    const par = await pushAuthorizationRequest('jwks-loopback');
    expect(par.status).toBe(401);
    expect(par.body.error).toBe('invalid_client');
    expect(received).toEqual([]);
  });

  it('follows a redirect to the same host, and refuses one to another host', async () => {
    await keyService('jwks-same-host', `http://localhost:${port}/jwks-same-host-redirect`);
    expect((await pushAuthorizationRequest('jwks-same-host')).status).toBe(201);
    expect(received.map((r) => r.path)).toEqual(['/jwks-same-host-redirect', '/jwks']);

    received.length = 0;
    await keyService('jwks-redirect', `http://localhost:${port}/jwks-redirect`);
    const par = await pushAuthorizationRequest('jwks-redirect');
    expect(par.status).toBe(401);
    expect(received.map((r) => r.path)).toEqual(['/jwks-redirect']);
  });

  it('refuses a JWKS document larger than the limit', async () => {
    await keyService('jwks-huge', `http://localhost:${port}/jwks-huge`);
    const par = await pushAuthorizationRequest('jwks-huge');
    expect(par.status).toBe(401);
    expect(par.body.error).toBe('invalid_client');
  });
});

describe('back-channel logout (§18)', () => {
  it('reaches a service on an allowed host and refuses a loopback address, and the logout’s audit entry says so', async () => {
    const services = [
      { id: 'bc-allowed', uri: `http://localhost:${port}/bc-allowed` },
      { id: 'bc-loopback', uri: `http://127.0.0.1:${port}/bc-loopback` },
    ];
    const secrets = new Map<string, string>();
    for (const s of services) {
      const made = await upsertClient(t.portal.prisma, {
        clientId: s.id,
        name: s.id,
        redirectUris: [`http://localhost:9/${s.id}/cb`],
        postLogoutRedirectUris: [],
        backchannelLogoutUri: s.uri,
        scope: 'openid profile',
      });
      secrets.set(s.id, made.clientSecret);
    }
    const jar = new CookieJar();
    await hpkiCardLogin(jar, t.url, t.portal.rp.origin, `${t.url}/portal/login`, pki.practitioners.valid);
    for (const s of services) await serviceLogin(jar, s.id, secrets.get(s.id)!);
    received.length = 0;

    const logout = await jar.fetch(`${t.url}/portal/logout`, { method: 'POST', headers: { origin: t.url } });
    expect(logout.status).toBe(303);
    expect(received.map((r) => r.path)).toEqual(['/bc-allowed']);
    expect(new URLSearchParams(received[0]!.body).get('logout_token')).toMatch(/^ey/);

    // The logout's audit entry says which services were told and which could not be.
    const audit = await t.portal.prisma.auditEvent.findFirstOrThrow({ where: { event: 'logout', details: { path: ['via'], equals: 'portal' } }, orderBy: { seq: 'desc' } });
    const { delivered, failed } = (audit.details as { backchannel: { delivered: string[]; failed: string[] } }).backchannel;
    expect(delivered).toContain('bc-allowed'); // (and the portal's own session, on localhost)
    expect(failed).toEqual(['bc-loopback']);
  });
});

/** A linked service's login in this browser, SSO from the portal login (PAR + PKCE, client_secret_basic). */
async function serviceLogin(jar: CookieJar, clientId: string, secret: string) {
  const redirectUri = `http://localhost:9/${clientId}/cb`;
  const verifier = crypto.randomBytes(32).toString('base64url');
  const par = await fetch(`${t.url}/oidc/request`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      scope: 'openid profile',
      code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }),
  });
  const { request_uri } = (await par.json()) as { request_uri: string };
  const landed = await followRedirects(jar, t.url, `${t.url}/oidc/auth?client_id=${clientId}&request_uri=${encodeURIComponent(request_uri)}`, (u) =>
    u.href.startsWith(redirectUri) || u.pathname.startsWith('/interaction/'),
  );
  let redirectTo = landed.href;
  const uid = landed.pathname.startsWith('/interaction/') ? landed.pathname.split('/')[2]! : undefined;
  if (uid && (await (await jar.fetch(landed.href)).json()).view.prompt === 'login') {
    const { nonce } = await (await jar.fetch(`${t.url}/interaction/${uid}/hpki-card/challenge`, jsonPost({}))).json();
    const token = await webEidToken(pki.practitioners.valid, { origin: t.portal.rp.origin, nonce });
    ({ redirectTo } = await (await jar.fetch(`${t.url}/interaction/${uid}/hpki-card/verify`, jsonPost({ nonce, token }))).json());
  }
  return finishAuthorization(jar, t.url, redirectTo, { id: clientId, secret, redirectUri }, verifier);
}
