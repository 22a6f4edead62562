import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, CookieJar, type TestPortal } from '../support/test-portal.ts';
import { createHpkiTestPki, createJpkiTestPki, issueJpkiUserCertificate, type HpkiTestPki, type JpkiTestPki } from '../../src/pki/test-pki/index.ts';
import { importTestPki } from '../support/seed-trust.ts';
import { importCrl, importTrustCertificates } from '../../src/pki/trust/trust-material-repository.ts';
import { beginLoginInteraction } from '../support/authorization-request.ts';
import { upsertClient } from '../../src/clients/clients.ts';
import { hpkiCardLogin, jsonPost, myNumberCardProof } from '../support/browser-flow.ts';
import { legacyJwsToken, webEidToken } from '../support/card-tokens.ts';
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

type ProofOptions = {
  /** Whose key signs (another card's key: a stolen certificate). */
  signer?: IssuedCertificate;
  /** The card bridge's token (web-eid:1.0 or the legacy JWS), or the page-made proof without an origin. */
  format?: 'web-eid:1.0' | 'legacy-jws' | 'page';
  /** The origin the browser reported to the bridge; the portal's own by default. */
  origin?: string;
};

/** What the page sends for a challenge: the bridge's origin-bound token by default. */
async function proofOf(card: IssuedCertificate, nonce: string, options: ProofOptions = {}): Promise<Record<string, unknown>> {
  const signer = options.signer ?? card;
  const origin = options.origin ?? t.portal.rp.origin;
  if (options.format === 'page') return myNumberCardProof(card, nonce, signer);
  if (options.format === 'legacy-jws') return { nonce, token: await legacyJwsToken(signer, { origin, nonce, x5c: [Buffer.from(card.der).toString('base64')] }) };
  return { nonce, token: await webEidToken(signer, { origin, nonce, certificate: card }) };
}

async function link(jar: CookieJar, card: IssuedCertificate, options: ProofOptions = {}) {
  const challenge = await jar.fetch(`${t.url}/api/my-number-card/challenge`, jsonPost({}, { origin: t.url }));
  if (challenge.status !== 200) return { status: challenge.status, body: await challenge.json() };
  const { nonce, digest } = await challenge.json();
  expect(Buffer.from(digest, 'base64')).toHaveLength(32);
  const res = await jar.fetch(`${t.url}/api/my-number-card/link`, jsonPost(await proofOf(card, nonce, options), { origin: t.url }));
  return { status: res.status, body: await res.json() };
}

async function mncLogin(card: IssuedCertificate, options: ProofOptions & { nonceOverride?: string } = {}) {
  const login = await beginLoginInteraction(t.url, client);
  const challenge = await login.jar.fetch(`${t.url}/interaction/${login.uid}/jpki/challenge`, jsonPost({}));
  const { nonce } = await challenge.json();
  const proof = await proofOf(card, options.nonceOverride ?? nonce, options);
  const res = await login.jar.fetch(`${t.url}/interaction/${login.uid}/jpki/verify`, jsonPost(proof));
  return { status: res.status, body: await res.json(), proof, login, nonce };
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

  it('stores only the JPKI issuer, subject ID, fingerprint and the certificate’s expiry', async () => {
    const res = await link(await portalSession(), jpki.cards.valid);
    expect(res).toMatchObject({ status: 200, body: { linked: true } });
    const row = await t.portal.prisma.myNumberCardLink.findFirstOrThrow();
    expect(Object.keys(row).sort()).toEqual(['fingerprint', 'jpkiIssuer', 'jpkiSubject', 'linkedAt', 'notAfter', 'practitionerId']);
    // The expiry notices (issue 17, point 4): every link records when the card's certificate ends.
    expect(row.notAfter?.toISOString()).toBe(jpki.cards.valid.certificate.notAfter.toISOString());
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
    expect((await link(await portalSession(), jpki.cards.valid, { signer: jpki.cards.secondHolder })).body.error).toBe('card_signature_invalid');
  });

  it('refuses a token the card made for another origin (a relay)', async () => {
    const res = await link(await portalSession(), jpki.cards.valid, { origin: 'https://relay.example' });
    expect(res).toMatchObject({ status: 401, body: { error: 'card_signature_invalid' } });
  });

  it('refuses the page-made proof without an origin, with its own code', async () => {
    const res = await link(await portalSession(), jpki.cards.valid, { format: 'page' });
    expect(res).toMatchObject({ status: 400, body: { error: 'jpki_proof_unbound' } });
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

  it('the legacy JWS from the bridge logs in as well', async () => {
    expect((await mncLogin(jpki.cards.valid, { format: 'legacy-jws' })).status).toBe(200);
  });

  it.each([
    ['web-eid:1.0', 'card_signature_invalid'],
    ['legacy-jws', 'card_origin_mismatch'],
  ] as const)('a %s token made for another origin is refused (%s) and spends the nonce', async (format, code) => {
    const relayed = await mncLogin(jpki.cards.valid, { format, origin: 'https://relay.example' });
    expect(relayed).toMatchObject({ status: 401, body: { error: code } });
    const again = await relayed.login.jar.fetch(`${t.url}/interaction/${relayed.login.uid}/jpki/verify`, jsonPost(await proofOf(jpki.cards.valid, relayed.nonce)));
    expect((await again.json()).error).toBe('card_challenge_invalid');
  });

  it('the page-made proof without an origin is refused outside the demo, and the challenge stays usable', async () => {
    const unbound = await mncLogin(jpki.cards.valid, { format: 'page' });
    expect(unbound).toMatchObject({ status: 400, body: { error: 'jpki_proof_unbound' } });
    const res = await unbound.login.jar.fetch(`${t.url}/interaction/${unbound.login.uid}/jpki/verify`, jsonPost(await proofOf(jpki.cards.valid, unbound.nonce)));
    expect(res.status).toBe(200);
  });

  it('a token signed by another card’s key is refused', async () => {
    expect((await mncLogin(jpki.cards.valid, { signer: jpki.cards.secondHolder })).body.error).toBe('card_signature_invalid');
  });

  it('a proof that is not { nonce, token } is refused with a code', async () => {
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

describe('with JPKI_UNBOUND_PROOF=true (the demo’s software card)', () => {
  let demoLike: TestPortal;
  beforeAll(async () => {
    demoLike = await startTestPortal('my-number-card-unbound', { env: { HPKI_AUTO_ENROL: 'true', JPKI_UNBOUND_PROOF: 'true' } });
    await importTestPki(demoLike.portal.prisma, hpki);
    await importTrustCertificates(demoLike.portal.prisma, 'jpki', 'anchor', jpki.root.der);
    await importCrl(demoLike.portal.prisma, 'jpki', jpki.rootCrl.der, 'test');
    await upsertClient(demoLike.portal.prisma, { clientId: client.id, name: 'MNC RP', secret: client.secret, redirectUris: [client.redirectUri] });
  }, 60_000);
  afterAll(() => demoLike?.close());

  async function pageProofFlow(start: string, finish: string, jar: CookieJar, body: (nonce: string) => Promise<Record<string, unknown>>, headers: Record<string, string> = {}) {
    const { nonce } = await (await jar.fetch(start, jsonPost({}, headers))).json();
    const res = await jar.fetch(finish, jsonPost(await body(nonce), headers));
    return { status: res.status, body: await res.json() };
  }

  it('links and logs in with the page-made proof, and still takes the bridge token', async () => {
    const jar = new CookieJar();
    await hpkiCardLogin(jar, demoLike.url, demoLike.portal.rp.origin, `${demoLike.url}/portal/login`, hpki.practitioners.valid);
    const linked = await pageProofFlow(`${demoLike.url}/api/my-number-card/challenge`, `${demoLike.url}/api/my-number-card/link`, jar, (nonce) => myNumberCardProof(jpki.cards.valid, nonce), { origin: demoLike.url });
    expect(linked).toMatchObject({ status: 200, body: { linked: true } });
    for (const body of [
      (nonce: string) => myNumberCardProof(jpki.cards.valid, nonce),
      async (nonce: string) => ({ nonce, token: await webEidToken(jpki.cards.valid, { origin: demoLike.portal.rp.origin, nonce }) }),
    ]) {
      const login = await beginLoginInteraction(demoLike.url, client);
      const res = await pageProofFlow(`${demoLike.url}/interaction/${login.uid}/jpki/challenge`, `${demoLike.url}/interaction/${login.uid}/jpki/verify`, login.jar, body);
      expect(res.status).toBe(200);
    }
  });

  it('the page-made proof still needs the right key', async () => {
    const login = await beginLoginInteraction(demoLike.url, client);
    const res = await pageProofFlow(`${demoLike.url}/interaction/${login.uid}/jpki/challenge`, `${demoLike.url}/interaction/${login.uid}/jpki/verify`, login.jar, (nonce) =>
      myNumberCardProof(jpki.cards.valid, nonce, jpki.cards.secondHolder),
    );
    expect(res).toMatchObject({ status: 401, body: { error: 'card_signature_invalid' } });
  });
});
