import https from 'node:https';
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, CookieJar, type TestPortal } from '../support/test-portal.ts';
import { beginLoginInteraction } from '../support/authorization-request.ts';
import { upsertClient } from '../../src/clients/clients.ts';
import { ACR } from '../../src/auth/assurance.ts';
import { createHpkiTestPki, createJpkiTestPki, type HpkiTestPki, type IssuedCertificate, type JpkiTestPki } from '../../src/pki/test-pki/index.ts';
import { importTestPki } from '../support/seed-trust.ts';
import { importCrl, importTrustCertificates } from '../../src/pki/trust/trust-material-repository.ts';
import { hpkiCardLogin, jsonPost } from '../support/browser-flow.ts';
import { webEidToken } from '../support/card-tokens.ts';

/**
 * A My Number Card as the TLS client certificate (seed 002/003: with the JPKI client software the OS
 * offers the card's user-authentication certificate to the browser): through the hpki-cert
 * listener it logs in as the practitioner the card is linked to, at the My Number Card's level.
 */
let t: TestPortal;
let hpki: HpkiTestPki;
let jpki: JpkiTestPki;
const redirectUri = 'http://localhost:9/cb';
const client = { id: 'mnc-tls-rp', secret: 'mnc-tls-rp-secret-0123456789', redirectUri };

beforeAll(async () => {
  t = await startTestPortal('mnc-tls', { https: true, env: { HPKI_AUTO_ENROL: 'true' } });
  [hpki, jpki] = await Promise.all([createHpkiTestPki(), createJpkiTestPki()]);
  await importTestPki(t.portal.prisma, hpki);
  await upsertClient(t.portal.prisma, { clientId: client.id, name: 'MNC TLS RP', secret: client.secret, redirectUris: [redirectUri] });
}, 60_000);
afterAll(() => t?.close());

async function pem(card: IssuedCertificate) {
  const pkcs8 = await crypto.webcrypto.subtle.exportKey('pkcs8', card.keys.privateKey);
  return { cert: card.pem, key: crypto.createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }) };
}

function tlsGet(url: string, cookie: string, card: { cert: string; key: string | Buffer }) {
  return new Promise<{ status: number; location?: string; body: string }>((resolve, reject) => {
    const req = https.request(url, { method: 'GET', headers: { cookie }, rejectUnauthorized: false, ...card }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, location: res.headers.location, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function service(clientId: string, metadata: Record<string, unknown>) {
  const { clientSecret } = await upsertClient(t.portal.prisma, { clientId, name: clientId, redirectUris: [redirectUri] });
  const row = await t.portal.prisma.oidcClient.findUniqueOrThrow({ where: { clientId } });
  await t.portal.prisma.oidcClient.update({ where: { clientId }, data: { metadata: JSON.parse(JSON.stringify({ ...(row.metadata as object), ...metadata })) } });
  return { id: clientId, secret: clientSecret, redirectUri };
}

async function tlsLogin(card: IssuedCertificate, rp = client) {
  const login = await beginLoginInteraction(t.url, rp);
  return tlsGet(`${t.httpsUrl}/interaction/${login.uid}/hpki-cert`, login.jar.header(), await pem(card));
}

const errorCodeOf = (body: string) => /data-testid="error-code"[^>]*>([^<]*)</.exec(body)?.[1]?.replace(/^.*?([a-z_]+)$/, '$1');

describe('a My Number Card certificate at the TLS listener', () => {
  it('without a JPKI anchor it is judged as HPKI and refused as not an HPKI authentication certificate', async () => {
    const res = await tlsLogin(jpki.cards.valid);
    expect(res.status).toBe(401);
    expect(errorCodeOf(res.body)).toBe('certificate_policy_invalid');
  });

  it('with the J-LIS anchor: an unlinked card gets jpki_not_linked, never a login', async () => {
    await importTrustCertificates(t.portal.prisma, 'jpki', 'anchor', jpki.root.der);
    await importCrl(t.portal.prisma, 'jpki', jpki.rootCrl.der, 'test');
    t.portal.trust.invalidate();
    const res = await tlsLogin(jpki.cards.valid);
    expect(res.status).toBe(403);
    expect(errorCodeOf(res.body)).toBe('jpki_not_linked');
  });

  it('a linked card logs in as its practitioner with the My Number Card’s acr (method jpki)', async () => {
    // Link it the usual way: an HPKI login, then the card through the bridge.
    const jar = new CookieJar();
    await hpkiCardLogin(jar, t.url, t.portal.rp.origin, `${t.url}/portal/login`, hpki.practitioners.valid);
    const { nonce } = await (await jar.fetch(`${t.url}/api/my-number-card/challenge`, jsonPost({}, { origin: t.url }))).json();
    const token = await webEidToken(jpki.cards.valid, { origin: t.portal.rp.origin, nonce });
    const linked = await jar.fetch(`${t.url}/api/my-number-card/link`, jsonPost({ nonce, token }, { origin: t.url }));
    expect(linked.status).toBe(200);

    const res = await tlsLogin(jpki.cards.valid);
    expect(res.status).toBe(303);
    const audit = await t.portal.prisma.auditEvent.findFirstOrThrow({ where: { event: 'login', method: 'jpki', result: 'success' } });
    expect(audit.details).toMatchObject({ acr: ACR.jpki, amr: ['sc', 'pin', 'hwk'] });
    const practitioner = await t.portal.prisma.myNumberCardLink.findFirstOrThrow();
    expect(audit.practitionerId).toBe(practitioner.practitionerId);
    // No certificate of the card is kept as login evidence.
    expect(await t.portal.prisma.loginEvidence.count({ where: { method: 'jpki' } })).toBe(0);
  });

  it.each([
    ['revoked', 'certificate_revoked', 401],
    ['expired', 'certificate_expired', 401],
  ] as const)('a %s My Number Card gets its own refusal (%s)', async (variant, code, status) => {
    const res = await tlsLogin(jpki.cards[variant]);
    expect(res.status).toBe(status);
    expect(errorCodeOf(res.body)).toBe(code);
  });

  it('a certificate neither hierarchy issued keeps the HPKI refusal', async () => {
    const res = await tlsLogin(hpki.practitioners.untrustedIssuer);
    expect(errorCodeOf(res.body)).toBe('certificate_untrusted');
    expect((await tlsLogin(jpki.cards.untrustedIssuer)).body).toContain('certificate_untrusted');
  });

  it('the service’s policy judges it as a My Number Card login', async () => {
    const certOnly = await service('cert-only', { login_methods: ['hpki-cert'] });
    const refused = await tlsLogin(jpki.cards.valid, certOnly);
    expect(refused.status).toBe(403);
    expect(errorCodeOf(refused.body)).toBe('service_method_not_allowed');
    const hpkiLevel = await service('hpki-level', { min_acr: ACR.hpki, login_methods: ['hpki-cert', 'jpki'] });
    const tooLow = await tlsLogin(jpki.cards.valid, hpkiLevel);
    expect(tooLow.status).toBe(403);
    expect(errorCodeOf(tooLow.body)).toBe('service_acr_too_low');
    // An HPKI certificate still logs in there.
    expect((await tlsLogin(hpki.practitioners.valid, hpkiLevel)).status).toBe(303);
  });
});
