import https from 'node:https';
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, type TestPortal } from '../support/test-portal.ts';
import { beginLoginInteraction } from '../support/authorization-request.ts';
import { upsertClient } from '../../src/clients/clients.ts';
import { createHpkiTestPki, type HpkiTestPki, type IssuedCertificate } from '../../src/pki/test-pki/index.ts';
import { importTestPki } from '../support/seed-trust.ts';

/** Login with the HPKI authentication certificate: over our TLS listener, and through a proxy header. */
let t: TestPortal;
let pki: HpkiTestPki;
const client = { id: 'cert-rp', secret: 'cert-rp-secret-0123456789', redirectUri: 'http://localhost:9/cb' };

beforeAll(async () => {
  t = await startTestPortal('hpki-cert', { https: true, env: { HPKI_AUTO_ENROL: 'true', TRUSTED_PROXIES: '127.0.0.1' } });
  pki = await createHpkiTestPki();
  await importTestPki(t.portal.prisma, pki);
  await upsertClient(t.portal.prisma, { clientId: client.id, name: 'Cert RP', secret: client.secret, redirectUris: [client.redirectUri] });
}, 60_000);
afterAll(() => t?.close());

async function pem(card: IssuedCertificate) {
  const pkcs8 = await crypto.webcrypto.subtle.exportKey('pkcs8', card.keys.privateKey);
  return { cert: card.pem, key: crypto.createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }) };
}

/** A browser navigating to the TLS listener, presenting (or not) a client certificate. */
function tlsGet(url: string, cookie: string, card?: { cert: string; key: string | Buffer }) {
  return new Promise<{ status: number; location?: string; body: string }>((resolve, reject) => {
    const req = https.request(url, { method: 'GET', headers: { cookie }, rejectUnauthorized: false, ...(card ?? {}) }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, location: res.headers.location, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HPKI certificate login over TLS', () => {
  it('is offered with a link to the TLS listener', async () => {
    const login = await beginLoginInteraction(t.url, client);
    const page = await login.jar.fetch(`${t.url}/interaction/${login.uid}`);
    const { view } = await page.json();
    expect(view.methods).toContain('hpki-cert');
    expect(view.hpkiCertUrl).toBe(`${t.httpsUrl}/interaction/${login.uid}/hpki-cert`);
  });

  it('a valid certificate completes the login and continues the authorization', async () => {
    const login = await beginLoginInteraction(t.url, client);
    const res = await tlsGet(`${t.httpsUrl}/interaction/${login.uid}/hpki-cert`, login.jar.header(), await pem(pki.practitioners.valid));
    expect(res.status).toBe(303);
    expect(res.location).toBe(`${t.url}/oidc/auth/${login.uid}`);
    // Back on the portal origin the authorization resumes (next: consent).
    const resumed = await login.jar.fetch(res.location!);
    expect(resumed.status).toBe(303);
    expect(resumed.headers.get('location')).toContain('/interaction/');
    const audit = await t.portal.prisma.auditEvent.findFirst({ where: { event: 'login', method: 'hpki-cert', result: 'success' } });
    expect(audit?.details).toMatchObject({ amr: ['sc', 'pin', 'hwk'], acr: 'urn:hpki-sso:acr:hpki:aal3' });
  });

  it.each([
    ['revoked', 'certificate_revoked', 401],
    ['expired', 'certificate_expired', 401],
    ['untrustedIssuer', 'certificate_untrusted', 401],
    ['signing', 'certificate_signing_not_allowed', 401],
  ] as const)('a %s certificate gets a page with %s and a way back', async (variant, code, status) => {
    const login = await beginLoginInteraction(t.url, client);
    const res = await tlsGet(`${t.httpsUrl}/interaction/${login.uid}/hpki-cert`, login.jar.header(), await pem(pki.practitioners[variant]));
    expect(res.status).toBe(status);
    expect(res.body).toContain(`data-testid="error-code">${code}<`);
    expect(res.body).toContain(`${t.url}/interaction/${login.uid}`);
  });

  it('no client certificate → client_certificate_missing', async () => {
    const login = await beginLoginInteraction(t.url, client);
    const res = await tlsGet(`${t.httpsUrl}/interaction/${login.uid}/hpki-cert`, login.jar.header());
    expect(res.status).toBe(400);
    expect(res.body).toContain('client_certificate_missing');
  });

  it('without the interaction cookie → interaction_expired, never a login', async () => {
    const login = await beginLoginInteraction(t.url, client);
    const res = await tlsGet(`${t.httpsUrl}/interaction/${login.uid}/hpki-cert`, '', await pem(pki.practitioners.valid));
    expect(res.status).toBe(400);
    expect(res.body).toContain('interaction_expired');
  });
});

describe('HPKI certificate through a trusted proxy (RFC 9440 Client-Cert)', () => {
  const header = () => `:${Buffer.from(pki.practitioners.valid.der).toString('base64')}:`;

  it('is accepted from a configured proxy address', async () => {
    const login = await beginLoginInteraction(t.url, client);
    const res = await login.jar.fetch(`${t.url}/interaction/${login.uid}/hpki-cert`, { headers: { 'client-cert': header() } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${t.url}/oidc/auth/${login.uid}`);
  });

  it('is refused, stripped and audited from any other address', async () => {
    const saved = t.portal.env.trustedProxies;
    t.portal.env.trustedProxies = ['10.0.0.9'];
    try {
      const login = await beginLoginInteraction(t.url, client);
      const res = await login.jar.fetch(`${t.url}/interaction/${login.uid}/hpki-cert`, { headers: { 'client-cert': header() } });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('client_certificate_untrusted_proxy');
      const refused = await t.portal.prisma.auditEvent.count({ where: { event: 'security.client_certificate_header_refused' } });
      expect(refused).toBeGreaterThanOrEqual(1);
    } finally {
      t.portal.env.trustedProxies = saved;
    }
  });

  it('nginx URL-encoded PEM in the configured header works from the proxy too', async () => {
    const login = await beginLoginInteraction(t.url, client);
    const res = await login.jar.fetch(`${t.url}/interaction/${login.uid}/hpki-cert`, {
      headers: { 'x-ssl-client-cert': encodeURIComponent(pki.practitioners.validEcdsa.pem) },
    });
    expect(res.status).toBe(303);
  });
});
