import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, CookieJar, type TestPortal } from '../support/test-portal.ts';
import { createHpkiTestPki, createJpkiTestPki, issueJpkiUserCertificate, type HpkiTestPki, type JpkiTestPki } from '../../src/pki/test-pki/index.ts';
import { importTestPki } from '../support/seed-trust.ts';
import { importCrl, importTrustCertificates } from '../../src/pki/trust/trust-material-repository.ts';
import { beginLoginInteraction } from '../support/authorization-request.ts';
import { upsertClient } from '../../src/clients/clients.ts';
import { hpkiCardLogin, jsonPost, myNumberCardProof } from '../support/browser-flow.ts';
import type { IssuedCertificate } from '../../src/pki/test-pki/index.ts';

/** My Number Card: linked after an HPKI login, then a daily login that carries the HPKI qualification. */
let t: TestPortal;
let hpki: HpkiTestPki;
let jpki: JpkiTestPki;
const client = { id: 'mnc-rp', secret: 'mnc-rp-secret-0123456789', redirectUri: 'http://localhost:9/cb' };

beforeAll(async () => {
  t = await startTestPortal('my-number-card', { env: { HPKI_AUTO_ENROL: 'true' } });
  [hpki, jpki] = await Promise.all([createHpkiTestPki(), createJpkiTestPki()]);
  await importTestPki(t.portal.prisma, hpki);
  await importTrustCertificates(t.portal.prisma, 'jpki', 'anchor', jpki.root.der);
  await importCrl(t.portal.prisma, 'jpki', jpki.rootCrl.der, 'test');
  await upsertClient(t.portal.prisma, { clientId: client.id, name: 'MNC RP', secret: client.secret, redirectUris: [client.redirectUri] });
}, 60_000);
afterAll(() => t?.close());

async function portalSession() {
  const jar = new CookieJar();
  await hpkiCardLogin(jar, t.url, t.portal.rp.origin, `${t.url}/portal/login`, hpki.practitioners.valid);
  return jar;
}

async function link(jar: CookieJar, card: IssuedCertificate, signer?: IssuedCertificate) {
  const challenge = await jar.fetch(`${t.url}/api/my-number-card/challenge`, jsonPost({}, { origin: t.url }));
  if (challenge.status !== 200) return { status: challenge.status, body: await challenge.json() };
  const { nonce, digest } = await challenge.json();
  expect(Buffer.from(digest, 'base64')).toHaveLength(32);
  const res = await jar.fetch(`${t.url}/api/my-number-card/link`, jsonPost(await myNumberCardProof(card, nonce, signer), { origin: t.url }));
  return { status: res.status, body: await res.json() };
}

async function mncLogin(card: IssuedCertificate, options: { signer?: IssuedCertificate; nonceOverride?: string } = {}) {
  const login = await beginLoginInteraction(t.url, client);
  const challenge = await login.jar.fetch(`${t.url}/interaction/${login.uid}/jpki/challenge`, jsonPost({}));
  const { nonce } = await challenge.json();
  const proof = await myNumberCardProof(card, options.nonceOverride ?? nonce, options.signer);
  const res = await login.jar.fetch(`${t.url}/interaction/${login.uid}/jpki/verify`, jsonPost(proof));
  return { status: res.status, body: await res.json(), proof, login };
}

describe('linking a My Number Card', () => {
  it('needs a portal session', async () => {
    const res = await fetch(`${t.url}/api/my-number-card/challenge`, jsonPost({}, { origin: t.url }));
    expect(res.status).toBe(401);
    expect((await res.json()).error).toBe('login_required');
  });

  it('needs an HPKI login within the last 5 minutes', async () => {
    const jar = await portalSession();
    await t.portal.prisma.portalSession.updateMany({ data: { authTime: new Date(Date.now() - 6 * 60_000) } });
    const res = await link(jar, jpki.cards.valid);
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('recent_hpki_login_required');
  });

  it('stores only the JPKI issuer, subject ID and fingerprint', async () => {
    const res = await link(await portalSession(), jpki.cards.valid);
    expect(res).toMatchObject({ status: 200, body: { linked: true } });
    const row = await t.portal.prisma.myNumberCardLink.findFirstOrThrow();
    expect(Object.keys(row).sort()).toEqual(['fingerprint', 'jpkiIssuer', 'jpkiSubject', 'linkedAt', 'practitionerId']);
    expect(row.jpkiSubject).toBe(jpki.cards.valid.certificate.subjectName.getField('CN')[0]);
  });

  it.each([
    ['a revoked card', 'revoked', 'certificate_revoked'],
    ['an expired card', 'expired', 'certificate_expired'],
    ['a card of an untrusted root', 'untrustedIssuer', 'certificate_untrusted'],
  ] as const)('refuses %s (%s)', async (_name, variant, code) => {
    expect((await link(await portalSession(), jpki.cards[variant])).body.error).toBe(code);
  });

  it('refuses an HPKI certificate presented as a My Number Card', async () => {
    expect((await link(await portalSession(), hpki.practitioners.valid)).body.error).toBe('certificate_policy_invalid');
  });

  it('refuses a signature by another card’s key', async () => {
    expect((await link(await portalSession(), jpki.cards.valid, jpki.cards.secondHolder)).body.error).toBe('card_signature_invalid');
  });
});

describe('logging in with a My Number Card', () => {
  it('a linked card logs in as the practitioner, with the JPKI assurance', async () => {
    const res = await mncLogin(jpki.cards.valid);
    expect(res.status).toBe(200);
    expect(String(res.body.redirectTo)).toContain('/oidc/auth/');
    const audit = await t.portal.prisma.auditEvent.findFirstOrThrow({ where: { event: 'login', method: 'jpki', result: 'success' } });
    expect(audit.details).toMatchObject({ acr: 'urn:hpki-sso:acr:jpki:aal3', amr: ['sc', 'pin', 'hwk'] });
    // No certificate of the card is kept as login evidence: JPKI data never reaches relying parties.
    expect(await t.portal.prisma.loginEvidence.count({ where: { method: 'jpki' } })).toBe(0);
  });

  it('an unlinked card gets jpki_not_linked, never a login', async () => {
    const res = await mncLogin(jpki.cards.secondHolder);
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('jpki_not_linked');
  });

  it('a replayed nonce is refused', async () => {
    const first = await mncLogin(jpki.cards.valid);
    const again = await first.login.jar.fetch(`${t.url}/interaction/${first.login.uid}/jpki/verify`, jsonPost(first.proof));
    expect((await again.json()).error).toBe('card_challenge_invalid');
  });

  it('a proof that is not { nonce, certificate, signature } is refused with a code', async () => {
    const login = await beginLoginInteraction(t.url, client);
    const res = await login.jar.fetch(`${t.url}/interaction/${login.uid}/jpki/verify`, jsonPost({ certificate: '***' }));
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe('jpki_proof_invalid');
  });

  it('a renewed card needs a new link; linking it replaces the old one', async () => {
    const renewed = await issueJpkiUserCertificate({
      issuer: jpki.root,
      cardId: 'RENEWED0000000000000001',
      notBefore: new Date(Date.now() - 86400_000),
      notAfter: new Date(Date.now() + 365 * 86400_000),
    });
    expect((await mncLogin(renewed)).body.error).toBe('jpki_not_linked');
    expect((await link(await portalSession(), renewed)).body).toMatchObject({ linked: true, replaced: true });
    expect((await mncLogin(renewed)).status).toBe(200);
    expect((await mncLogin(jpki.cards.valid)).body.error).toBe('jpki_not_linked');
  });

  it('after unlinking, the card no longer logs in', async () => {
    const jar = await portalSession();
    const res = await jar.fetch(`${t.url}/api/my-number-card/unlink`, jsonPost({}, { origin: t.url }));
    expect(await res.json()).toEqual({ unlinked: true });
    expect(await t.portal.prisma.myNumberCardLink.count()).toBe(0);
    const events = (await t.portal.prisma.auditEvent.findMany({ where: { event: { startsWith: 'mnc.' } } })).map((e) => `${e.event}:${e.result}`);
    expect(events).toEqual(expect.arrayContaining(['mnc.link:success', 'mnc.link:failure', 'mnc.unlink:success']));
  });
});
